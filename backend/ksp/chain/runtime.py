"""Brings the chain side up from settings: local Anvil if no RPC URL, funded key, deployment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from web3 import Web3

from ksp.chain.anvil import Anvil
from ksp.chain.client import fund_on_anvil, make_web3
from ksp.chain.deploy import Roles, deploy_all, read_deployment
from ksp.core.settings import Settings


@dataclass
class ChainRuntime:
    settings: Settings
    anvil: Anvil | None = None
    w3: Web3 | None = None
    deployment: dict[str, Any] = field(default_factory=dict)

    @property
    def operator_address(self) -> str:
        address: str = Account.from_key(self.settings.operator_private_key()).address
        return address

    def start_local_chain(self) -> None:
        if self.settings.local_chain and self.anvil is None:
            self.anvil = Anvil(
                port=self.settings.anvil_port,
                chain_id=self.settings.chain_id,
                state_file=self.settings.var_dir / "anvil-state.json",
            )
            self.anvil.start()

    def connect(self) -> Web3:
        if self.w3 is None:
            self.w3 = make_web3(
                self.settings.effective_rpc_url, self.settings.operator_private_key()
            )
        return self.w3

    def deploy(self, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
        w3 = self.connect()
        fund_on_anvil(w3, self.operator_address)
        roles = Roles(
            admin=self.settings.admin_address or self.operator_address,
            operator=self.operator_address,
        )
        self.deployment = deploy_all(w3, roles, self.settings.deployments_dir, log=log)
        return self.deployment

    def read_deployment(self) -> dict[str, Any]:
        w3 = self.connect()
        self.deployment = read_deployment(self.settings.deployments_dir, w3.eth.chain_id)
        return self.deployment

    def stop(self) -> None:
        if self.anvil is not None:
            self.anvil.stop()
            self.anvil = None
