"""LoanAgreements: the offer registered, the borrower's signed acceptance relayed, a cancel,
repayments (batched), status changes, the write-off and recoveries.

Rows of one loan must land in queue order (register before accept before repayments, a
default before its write-off): `order_key` names the loan, and the worker holds a row back
while an earlier row of the same loan waits (`OutboxWorker._due`).

Payloads (all ints; addresses and hashes 0x-prefixed hex):
- REGISTER_LOAN  ref "loan:<id>:register": member, loan_id, borrower, principal, rate_bps,
  method, tenor_months, first_due_date, terms_hash
- ACCEPT_LOAN    ref "loan:<id>:accept": member, loan_id, deadline, signature
- CANCEL_LOAN    ref "loan:<id>:cancel": member, loan_id
- RECORD_REPAYMENT, WRITE_OFF_LOAN, RECORD_RECOVERY  seq of the ledger entry: member,
  loan_id, amount
- SET_LOAN_STATUS ref "loan:<id>:status:<seq>": member, loan_id, status (3 Repaid,
  4 Defaulted, 7 Restructured: replaced by a new loan, whose id the log entry names)
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from hexbytes import HexBytes
from web3 import Web3

from ksp.chain.handlers import Owed
from ksp.chain.outbox import OutboxItem, OutboxKind

CONTRACT = "LoanAgreements"


class LoanStatus(enum.IntEnum):
    """ILoanAgreements.LoanStatus, in the contract's order."""
    NONE = 0
    REGISTERED = 1
    ACTIVE = 2
    REPAID = 3
    DEFAULTED = 4
    WRITTEN_OFF = 5
    CANCELLED = 6
    RESTRUCTURED = 7


def loan_order_key(item: OutboxItem) -> Hashable:
    return ("loan", int(item.data()["loan_id"]))


def _seq(item: OutboxItem) -> int:
    if item.seq is None:
        raise ValueError(f"outbox row {item.id} ({item.kind.value}) needs its ledger seq")
    return item.seq


def _status(contract: Any, item: OutboxItem) -> LoanStatus:
    return LoanStatus(contract.functions.statusOf(item.data()["loan_id"]).call())


class _OneLoanPerCall:
    """One row per transaction; nothing a member's savings mirror waits for."""
    contract_name: ClassVar[str] = CONTRACT
    max_batch: ClassVar[int] = 1
    gas_per_item: ClassVar[int | None] = None

    def batch_key(self, item: OutboxItem) -> Hashable:
        return item.id

    def order_key(self, item: OutboxItem) -> Hashable:
        return loan_order_key(item)

    def owed(self, item: OutboxItem) -> Owed | None:  # noqa: ARG002
        return None  # reconcile compares savings and membership only


class RegisterLoan(_OneLoanPerCall):
    kind: ClassVar[OutboxKind] = OutboxKind.REGISTER_LOAN

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        d = item.data()
        return contract.functions.register(
            d["loan_id"], Web3.to_checksum_address(d["borrower"]), d["principal"],
            d["rate_bps"], d["method"], d["tenor_months"], d["first_due_date"],
            bytes(HexBytes(d["terms_hash"])))

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return _status(contract, item) is not LoanStatus.NONE


# Where a loan can only be once its acceptance landed.
_ACCEPTED = frozenset({LoanStatus.ACTIVE, LoanStatus.REPAID, LoanStatus.DEFAULTED,
                       LoanStatus.WRITTEN_OFF, LoanStatus.RESTRUCTURED})


class AcceptLoan(_OneLoanPerCall):
    """Relays the borrower's signature (the operator pays the gas; anyone may relay)."""
    kind: ClassVar[OutboxKind] = OutboxKind.ACCEPT_LOAN

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        d = item.data()
        return contract.functions.accept(d["loan_id"], d["deadline"],
                                         bytes(HexBytes(d["signature"])))

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        # Cancelled is not "applied": an accept that can no longer land stays failing, in
        # sight, rather than being marked done.
        return _status(contract, item) in _ACCEPTED


class CancelLoan(_OneLoanPerCall):
    kind: ClassVar[OutboxKind] = OutboxKind.CANCEL_LOAN

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        return contract.functions.cancel(item.data()["loan_id"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return _status(contract, item) is LoanStatus.CANCELLED


# A status set, and the statuses a loan can only reach after it: Defaulted may still become
# Repaid (collections), WrittenOff or Restructured; Repaid and Restructured are final. Rows
# of a loan go in queue order, so a Repaid loan seen when resending its Defaulted row passed
# through Defaulted first.
_AT_OR_PAST = {
    LoanStatus.REPAID: frozenset({LoanStatus.REPAID}),
    LoanStatus.DEFAULTED: frozenset({LoanStatus.DEFAULTED, LoanStatus.WRITTEN_OFF,
                                     LoanStatus.REPAID, LoanStatus.RESTRUCTURED}),
    LoanStatus.RESTRUCTURED: frozenset({LoanStatus.RESTRUCTURED}),
}


class SetLoanStatus(_OneLoanPerCall):
    kind: ClassVar[OutboxKind] = OutboxKind.SET_LOAN_STATUS

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        d = item.data()
        return contract.functions.setStatus(d["loan_id"], d["status"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        wanted = LoanStatus(item.data()["status"])
        return _status(contract, item) in _AT_OR_PAST.get(wanted, frozenset({wanted}))


class WriteOffLoan(_OneLoanPerCall):
    kind: ClassVar[OutboxKind] = OutboxKind.WRITE_OFF_LOAN

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        d = item.data()
        return contract.functions.writeOff(d["loan_id"], _seq(item), d["amount"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return bool(contract.functions.isApplied(_seq(item)).call())


class RecordRecovery(_OneLoanPerCall):
    kind: ClassVar[OutboxKind] = OutboxKind.RECORD_RECOVERY

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        d = item.data()
        return contract.functions.recordRecovery(d["loan_id"], _seq(item), d["amount"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return bool(contract.functions.isApplied(_seq(item)).call())


class RecordRepayment:
    """Repayments of any loans share a `recordRepayments` batch; the contract skips a seq it
    recorded before, so a resent batch applies only what is missing."""
    kind: ClassVar[OutboxKind] = OutboxKind.RECORD_REPAYMENT
    contract_name: ClassVar[str] = CONTRACT
    max_batch: ClassVar[int] = 1_000
    # A batch of 100: 12,560 per repayment when each loan was repaid before and the seqs are
    # neighbours, 51,110 when each is a loan's first and has a seq word of its own.
    gas_per_item: ClassVar[int | None] = 56_000

    def batch_key(self, item: OutboxItem) -> Hashable:  # noqa: ARG002 - one batch per kind
        return self.kind

    def order_key(self, item: OutboxItem) -> Hashable:
        return loan_order_key(item)

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        repayments = [(i.data()["loan_id"], _seq(i), i.data()["amount"]) for i in items]
        return contract.functions.recordRepayments(repayments)

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return bool(contract.functions.isApplied(_seq(item)).call())

    def owed(self, item: OutboxItem) -> Owed | None:  # noqa: ARG002
        return None  # reconcile compares savings and membership only
