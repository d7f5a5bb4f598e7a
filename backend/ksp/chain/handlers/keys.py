"""A lost key replaced by the board: CoopMembers maps the number to the new address, and
SavingsToken moves the member's savings from the old address to the new one."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from web3 import Web3

from ksp.chain.handlers import Owed
from ksp.chain.outbox import OutboxItem, OutboxKind


def move_ref(seq: int) -> str:
    """The contract's bytes32 ref of a move: the `anggota.kunci_diganti` log seq."""
    return "0x" + seq.to_bytes(32, "big").hex()


class ChangeMemberAddress:
    kind: ClassVar[OutboxKind] = OutboxKind.CHANGE_MEMBER_ADDRESS
    contract_name: ClassVar[str] = "CoopMembers"
    max_batch: ClassVar[int] = 1  # one member per call
    gas_per_item: ClassVar[int | None] = None

    def batch_key(self, item: OutboxItem) -> Hashable:
        return (self.kind, item.id)

    def order_key(self, item: OutboxItem) -> Hashable | None:  # noqa: ARG002
        return None  # queue order within a run is enough

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        data = item.data()
        return contract.functions.changeAddress(data["member"],
                                                Web3.to_checksum_address(data["new_wallet"]))

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        data = item.data()
        account = contract.functions.accountOf(data["member"]).call()
        return bool(account == Web3.to_checksum_address(data["new_wallet"]))

    def owed(self, item: OutboxItem) -> Owed | None:
        return Owed(int(item.data()["member"]), "membership")


class MoveSavings:
    kind: ClassVar[OutboxKind] = OutboxKind.MOVE_SAVINGS
    contract_name: ClassVar[str] = "SavingsToken"
    max_batch: ClassVar[int] = 1  # one holder per call
    gas_per_item: ClassVar[int | None] = None

    def batch_key(self, item: OutboxItem) -> Hashable:
        return (self.kind, item.id)

    def order_key(self, item: OutboxItem) -> Hashable | None:  # noqa: ARG002
        return None  # queue order within a run is enough

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        data = item.data()
        return contract.functions.moveHolder(Web3.to_checksum_address(data["old_wallet"]),
                                             Web3.to_checksum_address(data["new_wallet"]),
                                             data["ref"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return bool(contract.functions.isMoveApplied(item.data()["ref"]).call())

    def owed(self, item: OutboxItem) -> Owed | None:  # noqa: ARG002
        # A move owes all three ids at once, which one Owed cannot say; until it lands
        # reconcile reports the new address's savings as drift.
        return None
