from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from ksp.chain.deploy import read_deployment
from ksp.chain.outbox import OPEN_STATUSES, OutboxItem
from ksp.chain.probe import ChainProbe
from ksp.core import clock

router = APIRouter(tags=["health"])
_probe_lock = threading.Lock()


def _probe(state: Any) -> ChainProbe:
    with _probe_lock:
        probe: ChainProbe | None = getattr(state, "chain_probe", None)
        if probe is None:
            probe = ChainProbe(state.settings.effective_rpc_url)
            state.chain_probe = probe
        return probe


def _mirror_lag(connection: Any) -> dict[str, Any]:
    """How far the chain mirror is behind: rows not yet confirmed, and the oldest one's age."""
    backlog, oldest = connection.execute(
        select(func.count(OutboxItem.id), func.min(OutboxItem.created_at))
        .where(OutboxItem.status.in_(OPEN_STATUSES))).one()
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=clock.now().tzinfo)
        age = max(0, int((clock.now() - oldest).total_seconds()))
    return {"backlog": int(backlog), "oldest_pending_age_s": age}


class MirrorLag(BaseModel):
    backlog: int = Field(description="Chain writes not yet confirmed")
    oldest_pending_age_s: int | None = Field(description="Age of the oldest, in seconds")


class Health(BaseModel):
    status: str = Field(description="ok | degraded")
    db: str = Field(description="ok, or the error class")
    outbox: MirrorLag | None = Field(None, description="How far the chain mirror lags")
    chain: str = Field(description="ok | unreachable")
    chain_error: str | None = Field(None, description="Why the chain is unreachable")
    chain_id: int | None
    block_number: int | None
    contracts: dict[str, str] = Field(description="Contract name -> address")


@router.get("/health", response_model=Health, response_model_exclude_unset=True)
def health(request: Request) -> dict[str, Any]:
    """Database and chain status, how far the chain mirror lags, and the addresses of the
    deployed contracts. Answers within a second even when the chain hangs."""
    state = request.app.state
    result: dict[str, Any] = {"status": "ok"}
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            result["db"] = "ok"
            result["outbox"] = _mirror_lag(connection)
    except Exception as exc:  # health reports failures, it does not raise them
        result["db"] = f"error: {type(exc).__name__}"
        result["outbox"] = None
        result["status"] = "degraded"
    chain = _probe(state).status(wait=0.6)
    result["chain"] = "ok" if chain.reachable else "unreachable"
    result["chain_id"] = chain.chain_id
    result["block_number"] = chain.block_number
    if not chain.reachable:
        result["chain_error"] = chain.error
        result["status"] = "degraded"
    # From the deployments file, not the chain: known even while the chain is down.
    deployment = read_deployment(state.settings.deployments_dir,
                                 chain.chain_id or state.settings.chain_id)
    result["contracts"] = {
        name: info["address"] for name, info in deployment.get("contracts", {}).items()}
    return result
