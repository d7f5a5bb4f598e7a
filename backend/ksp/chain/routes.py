"""The chain facts the member's page needs, defined once on the server: chain id, the RPC
URL phones should use, contract addresses, and the SavingsToken id of each jenis."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ksp.ledger.chart import SAVINGS_TOKEN_IDS
from ksp.savings.service import ACCOUNT

router = APIRouter(prefix="/api/v1/chain", tags=["chain"])

SAVINGS_TOKEN_IDS_BY_JENIS = {
    jenis.value: SAVINGS_TOKEN_IDS[code] for jenis, code in ACCOUNT.items()
}


class ChainConfig(BaseModel):
    chain_id: int | None = Field(description="Chain id; null when the chain cannot be reached")
    rpc_url: str = Field(description="JSON-RPC URL for phones (KSP_PUBLIC_RPC_URL, else the "
                         "server's RPC URL)")
    contracts: dict[str, str] = Field(description="Deployed contract addresses by name; empty "
                                      "when the chain cannot be reached")
    savings_token_ids: dict[str, int] = Field(description="SavingsToken id of each jenis "
                                              "(1 unit = Rp 1)")


@router.get("/config", response_model=ChainConfig)
def chain_config(request: Request) -> ChainConfig:
    """Public, no token. An unreachable chain gives chain_id null and no contracts, never a
    500: the page then says the chain is down and still shows the ledger."""
    state = request.app.state
    settings = state.settings
    chain_id: int | None = None
    contracts: dict[str, str] = {}
    try:
        chain_id = int(state.chain.connect().eth.chain_id)
        deployment: dict[str, Any] = state.chain.read_deployment()
        contracts = {name: str(info["address"])
                     for name, info in deployment.get("contracts", {}).items()}
    except Exception:  # any chain failure means "unreachable" to the page
        chain_id, contracts = None, {}
    return ChainConfig(chain_id=chain_id,
                       rpc_url=settings.public_rpc_url or settings.effective_rpc_url,
                       contracts=contracts, savings_token_ids=SAVINGS_TOKEN_IDS_BY_JENIS)
