from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ksp.chain.deploy import read_deployment
from ksp.chain.outbox import OPEN_STATUSES, OutboxItem
from ksp.chain.probe import probe_of
from ksp.chain.rebuild import last_reset
from ksp.core import clock

router = APIRouter(tags=["health"])
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


RESET_CACHE_S = 10.0


def _chain_reset(state: Any, connection: Any) -> dict[str, Any] | None:
    """The last chain reset, plainly (never hidden); re-read every few seconds only, since
    the log has no index on its kind."""
    cached = getattr(state, "chain_reset_cache", None)
    if cached is not None and time.monotonic() - cached[0] < RESET_CACHE_S:
        found: dict[str, Any] | None = cached[1]
        return found
    with Session(bind=connection) as session:
        reset = last_reset(session)
    found = None
    if reset is not None:
        found = {
            "at": reset["at"], "seq": reset["seq"], "reason": reset.get("reason"),
            "anchors_lost": reset.get("anchors_lost"),
            "last_anchored_size": reset.get("last_anchored_size"),
            "message": f"Rantai direset pada {reset['at']} (seq {reset['seq']}); anchor "
                       "sebelumnya hilang, dibangun ulang dari buku besar.",
            "message_en": f"The chain was reset at {reset['at']} (seq {reset['seq']}); "
                          "anchors before it are gone; rebuilt from the ledger.",
        }
    state.chain_reset_cache = (time.monotonic(), found)
    return found


class MirrorLag(BaseModel):
    backlog: int = Field(description="Chain writes not yet confirmed")
    oldest_pending_age_s: int | None = Field(description="Age of the oldest, in seconds")


class ChainReset(BaseModel):
    at: str
    seq: int = Field(description="The `chain.reset` log entry")
    reason: str | None
    anchors_lost: int | None
    last_anchored_size: int | None
    message: str
    message_en: str


class Health(BaseModel):
    status: str = Field(description="ok | degraded")
    db: str = Field(description="ok, or the error class")
    outbox: MirrorLag | None = Field(None, description="How far the chain mirror lags")
    chain: str = Field(description="ok | unreachable")
    chain_error: str | None = Field(None, description="Why the chain is unreachable")
    chain_id: int | None
    block_number: int | None
    contracts: dict[str, str] = Field(description="Contract name -> address")
    chain_reset: ChainReset | None = Field(
        None, description="The last time the chain was lost or reset and rebuilt from the "
        "ledger (never hidden); null if never")


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
            result["chain_reset"] = _chain_reset(state, connection)
    except Exception as exc:  # health reports failures, it does not raise them
        result["db"] = f"error: {type(exc).__name__}"
        result["outbox"] = None
        result["status"] = "degraded"
    chain = probe_of(state).status(wait=0.6)
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
