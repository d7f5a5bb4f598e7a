"""One typed handler per outbox kind, registered here and nowhere else.

A handler knows, for its kind: which contract it writes, how to build the call for a
batch of rows, whether one row already landed (so a resend is skipped), the batch key
(rows with equal keys, next to each other in the queue, go in one transaction), and
the order key (rows with equal keys, e.g. one loan's, land in queue order even when one
waits out a backoff). A new kind (a RAT ballot, a proxy, a meeting) is a new module here
plus one line in `HANDLERS`; the worker does not change.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ksp.chain.outbox import OutboxItem, OutboxKind


@dataclass(frozen=True)
class Owed:
    """What a row not yet on chain still owes a member's mirror (for reconcile): `what`
    is "token:<id>" (a SavingsToken id) with its `delta`, or "membership"."""
    member: int
    what: str
    delta: int = 0


class OutboxHandler(Protocol):
    kind: ClassVar[OutboxKind]
    contract_name: ClassVar[str]
    max_batch: ClassVar[int]  # the contract's own limit (1: one row per call)
    # Worst-case gas per row in a batch (None: one row per call, nothing to budget); the
    # worker fits a batch in the gas budget (setting KSP_OUTBOX_BATCH_GAS).
    gas_per_item: ClassVar[int | None]

    def batch_key(self, item: OutboxItem) -> Hashable:
        """Rows with equal keys may share one transaction."""
        ...

    def order_key(self, item: OutboxItem) -> Hashable | None:
        """Rows with equal keys (of any kind) must land in queue order: while one waits out
        a backoff, the later ones wait too. None: no order beyond one run's queue order."""
        ...

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        """The contract call that applies every row of the batch."""
        ...

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        """Asks the chain whether this row's effect is already there."""
        ...

    def owed(self, item: OutboxItem) -> Owed | None:
        """What this row, while not confirmed, owes a member's mirror (None: nothing
        reconcile compares, e.g. a ballot)."""
        ...


def _registry() -> dict[OutboxKind, OutboxHandler]:
    from ksp.chain.handlers.keys import ChangeMemberAddress, MoveSavings
    from ksp.chain.handlers.loans import (
        AcceptLoan,
        CancelLoan,
        RecordRecovery,
        RecordRepayment,
        RegisterLoan,
        SetLoanStatus,
        WriteOffLoan,
    )
    from ksp.chain.handlers.members import AdmitMember, ExitMember
    from ksp.chain.handlers.savings import MirrorSavings

    handlers: list[OutboxHandler] = [
        AdmitMember(), ExitMember(), MirrorSavings(), ChangeMemberAddress(), MoveSavings(),
        RegisterLoan(), AcceptLoan(), CancelLoan(), RecordRepayment(), SetLoanStatus(),
        WriteOffLoan(), RecordRecovery()]
    return {h.kind: h for h in handlers}


HANDLERS: dict[OutboxKind, OutboxHandler] = _registry()


def handler_for(kind: OutboxKind) -> OutboxHandler:
    return HANDLERS[kind]
