from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(description="ok | degraded")
    db: str = Field(description="ok, or the error class")
    chain: str | None = Field(None, description="Set when the chain is unreachable")
    chain_id: int | None
    block_number: int | None
    contracts: dict[str, str] = Field(description="Contract name -> address")


@router.get("/health", response_model=Health, response_model_exclude_unset=True)
def health(request: Request) -> dict[str, Any]:
    """Database and chain status, and the addresses of the deployed contracts."""
    state = request.app.state
    result: dict[str, Any] = {"status": "ok"}
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        result["db"] = "ok"
    except Exception as exc:  # health reports failures, it does not raise them
        result["db"] = f"error: {type(exc).__name__}"
        result["status"] = "degraded"
    try:
        w3 = state.chain.connect()
        result["chain_id"] = w3.eth.chain_id
        result["block_number"] = w3.eth.block_number
        deployment = state.chain.read_deployment()
        result["contracts"] = {
            name: info["address"] for name, info in deployment.get("contracts", {}).items()
        }
    except Exception as exc:
        result["chain"] = f"unreachable: {type(exc).__name__}"
        result["chain_id"] = None
        result["block_number"] = None
        result["contracts"] = {}
        result["status"] = "degraded"
    return result
