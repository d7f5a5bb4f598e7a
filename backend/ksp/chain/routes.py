"""The chain facts the member's page needs, defined once on the server: chain id, the RPC
URL phones should use, contract addresses, the SavingsToken id of each jenis, and the
address that signs receipts.

`chain` imports no domain module, so the app passes the token ids and the receipt signer
in (config_router)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ksp.chain.deploy import read_deployment
from ksp.chain.probe import probe_of


class ChainConfig(BaseModel):
    chain_id: int | None = Field(description="Chain id; null when the chain cannot be reached")
    rpc_url: str = Field(description="JSON-RPC URL for phones (KSP_PUBLIC_RPC_URL, else the "
                         "server's RPC URL)")
    contracts: dict[str, str] = Field(description="Deployed contract addresses by name; empty "
                                      "when the chain cannot be reached")
    savings_token_ids: dict[str, int] = Field(description="SavingsToken id of each jenis "
                                              "(1 unit = Rp 1)")
    receipt_signer: str | None = Field(description="Address that signs receipts (EIP-712, "
                                       "docs/ANCHORING.md); null when no key is set")
    anchor_every_minutes: int = Field(description="Longest wait before a new entry is "
                                      "anchored (KSP_ANCHOR_EVERY_MINUTES)")


def config_router(savings_token_ids: Mapping[str, int],
                  receipt_signer: Callable[[Any], str | None]) -> APIRouter:
    """`receipt_signer` gives the signer's address from the app's ChainRuntime."""
    router = APIRouter(prefix="/api/v1/chain", tags=["chain"])
    token_ids = dict(savings_token_ids)

    @router.get("/config", response_model=ChainConfig)
    def chain_config(request: Request) -> ChainConfig:
        """Public, no token. An unreachable chain gives chain_id null and no contracts,
        never a 500: the page then says the chain is down and still shows the ledger."""
        state = request.app.state
        settings = state.settings
        chain_id: int | None = None
        contracts: dict[str, str] = {}
        # The cached probe, not a chain call per page load: a hung chain cannot hang this.
        status = probe_of(state).status(wait=0.6)
        if status.reachable and status.chain_id is not None:
            chain_id = status.chain_id
            deployment = read_deployment(settings.deployments_dir, chain_id)
            contracts = {name: str(info["address"])
                         for name, info in deployment.get("contracts", {}).items()}
        return ChainConfig(chain_id=chain_id,
                           rpc_url=settings.public_rpc_url or settings.effective_rpc_url,
                           contracts=contracts, savings_token_ids=token_ids,
                           receipt_signer=receipt_signer(state.chain),
                           anchor_every_minutes=settings.anchor_every_minutes)

    return router
