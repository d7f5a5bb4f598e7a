"""CoopMembers: admitting a member's wallet and marking an exit."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from web3 import Web3

from ksp.chain.handlers import Owed
from ksp.chain.outbox import OutboxItem, OutboxKind


class AdmitMember:
    kind: ClassVar[OutboxKind] = OutboxKind.ADMIT_MEMBER
    contract_name: ClassVar[str] = "CoopMembers"
    max_batch: ClassVar[int] = 1_000
    gas_per_item: ClassVar[int | None] = 95_000  # admitBatch of 100: 93,293 per member

    def batch_key(self, item: OutboxItem) -> Hashable:  # noqa: ARG002 - one batch per kind
        return self.kind

    def order_key(self, item: OutboxItem) -> Hashable | None:  # noqa: ARG002
        return None  # queue order within a run is enough

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        numbers = [i.data()["member"] for i in items]
        wallets = [Web3.to_checksum_address(i.data()["wallet"]) for i in items]
        return contract.functions.admitBatch(numbers, wallets)

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        data = item.data()
        account = contract.functions.accountOf(data["member"]).call()
        return bool(account == Web3.to_checksum_address(data["wallet"])
                    and contract.functions.isMember(account).call())

    def owed(self, item: OutboxItem) -> Owed | None:
        return Owed(int(item.data()["member"]), "membership")


class ExitMember:
    kind: ClassVar[OutboxKind] = OutboxKind.EXIT_MEMBER
    contract_name: ClassVar[str] = "CoopMembers"
    max_batch: ClassVar[int] = 1  # the contract exits one member per call
    gas_per_item: ClassVar[int | None] = None

    def batch_key(self, item: OutboxItem) -> Hashable:
        return (self.kind, item.id)

    def order_key(self, item: OutboxItem) -> Hashable | None:  # noqa: ARG002
        return None  # queue order within a run is enough

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        return contract.functions.exit(item.data()["member"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        account = contract.functions.accountOf(item.data()["member"]).call()
        return not contract.functions.isMember(account).call()

    def owed(self, item: OutboxItem) -> Owed | None:
        return Owed(int(item.data()["member"]), "membership")
