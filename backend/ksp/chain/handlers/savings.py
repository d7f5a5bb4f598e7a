"""SavingsToken: the mirror of each savings posting, keyed by (log seq, token id)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from web3 import Web3

from ksp.chain.handlers import Owed
from ksp.chain.outbox import OutboxItem, OutboxKind


def _seq(item: OutboxItem) -> int:
    if item.seq is None:
        raise ValueError(f"outbox row {item.id}: a savings mirror needs its log seq")
    return item.seq


class MirrorSavings:
    kind: ClassVar[OutboxKind] = OutboxKind.MIRROR_SAVINGS
    contract_name: ClassVar[str] = "SavingsToken"
    max_batch: ClassVar[int] = 1_000
    # A batch of 100: 13,044 per posting to holders, 30,434 when each is a new holder.
    gas_per_item: ClassVar[int | None] = 31_000

    def batch_key(self, item: OutboxItem) -> Hashable:  # noqa: ARG002 - one batch per kind
        return self.kind

    def order_key(self, item: OutboxItem) -> Hashable | None:  # noqa: ARG002
        return None  # queue order within a run is enough

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        postings = []
        for item in items:
            data = item.data()
            postings.append((_seq(item), Web3.to_checksum_address(data["wallet"]),
                             data["token_id"], data["delta"] < 0, abs(data["delta"])))
        return contract.functions.mirror(postings)

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return bool(contract.functions.isApplied(_seq(item), item.data()["token_id"]).call())

    def owed(self, item: OutboxItem) -> Owed | None:
        data = item.data()
        return Owed(int(data["member"]), f"token:{int(data['token_id'])}", int(data["delta"]))
