"""The loan outbox rows on a real Anvil: register -> accept (the borrower's own signature) ->
repayments in one batch -> Repaid; a default written off and recovered; a cancel. A resend
of rows that landed changes nothing, and one loan's rows never overtake each other."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import select, update
from web3 import Web3

from ksp.bootstrap import open_database
from ksp.chain.handlers import HANDLERS
from ksp.chain.handlers.loans import LoanStatus, RegisterLoan
from ksp.chain.loan_terms import acceptance_typed_data
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus, enqueue
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger import log

MEMBER = 17
TERMS_HASH = "0x" + Web3.keccak(text="Perjanjian pinjaman: Rp 6.000.000, 12 bulan").hex(
    ).removeprefix("0x")
TERMS = {"principal": 6_000_000, "rate_bps": 1_800, "method": 1, "tenor_months": 12,
         "first_due_date": 1_801_440_000}  # 2027-02-01 00:00 UTC


class World:
    def __init__(self, settings: Any, handlers: dict[OutboxKind, Any] | None = None) -> None:
        self.runtime = ChainRuntime(settings)
        self.runtime.deploy()
        self.w3 = self.runtime.connect()
        _engine, self.factory = open_database(settings)
        self.loans = contract(self.w3, self.runtime.deployment, "LoanAgreements")
        self.worker = OutboxWorker(self.factory, self.w3, self.runtime.deployment,
                                   settings.operator_private_key(), handlers=handlers)

    def entry(self) -> int:
        """A log entry for a row's seq (the loan service's decision or posting)."""
        with transaction(self.factory) as session:
            return log.append(session, "uji.pinjaman", {}).seq

    def queue(self, kind: OutboxKind, loan_id: int, *, seq: int | None = None,
              ref: str | None = None, **data: Any) -> int:
        with transaction(self.factory) as session:
            item = enqueue(session, kind=kind, seq=seq, ref=ref,
                           data={"member": MEMBER, "loan_id": loan_id, **data})
            session.flush()
            return item.id

    def register(self, loan_id: int, borrower: str) -> int:
        return self.queue(OutboxKind.REGISTER_LOAN, loan_id, seq=self.entry(),
                          ref=f"loan:{loan_id}:register", borrower=borrower.lower(),
                          terms_hash=TERMS_HASH, **TERMS)

    def accept(self, loan_id: int, borrower: Any) -> int:
        deadline = self.w3.eth.get_block("latest")["timestamp"] + 3_600
        typed = acceptance_typed_data(self.w3.eth.chain_id, self.loans.address,
                                      loan_id=loan_id, terms_hash=TERMS_HASH,
                                      deadline=deadline, **TERMS)
        signature = Account.sign_typed_data(borrower.key, full_message=typed).signature
        return self.queue(OutboxKind.ACCEPT_LOAN, loan_id, ref=f"loan:{loan_id}:accept",
                          deadline=deadline, signature="0x" + bytes(signature).hex())

    def by_seq(self, kind: OutboxKind, loan_id: int, amount: int) -> int:
        return self.queue(kind, loan_id, seq=self.entry(), amount=amount)

    def status(self, loan_id: int, status: LoanStatus) -> int:
        seq = self.entry()
        return self.queue(OutboxKind.SET_LOAN_STATUS, loan_id, ref=f"loan:{loan_id}:status:{seq}",
                          status=int(status))

    def rows(self) -> list[OutboxItem]:
        with self.factory() as session:
            return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))

    def loan(self, loan_id: int) -> dict[str, Any]:
        names = ["borrower", "rateBps", "method", "status", "tenorMonths", "principal",
                 "firstDueDate", "acceptedAt", "repaid", "repaymentCount", "termsHash",
                 "writtenOff", "recovered"]
        return dict(zip(names, self.loans.functions.loan(loan_id).call(), strict=True))

    def resend_everything(self) -> None:
        """As if the rows were queued again after they landed (a database restored from a
        backup taken before the worker recorded them)."""
        with transaction(self.factory) as session:
            session.execute(update(OutboxItem).values(
                status=OutboxStatus.PENDING, tx_hash=None, block_number=None, block_hash=None))


@pytest.fixture
def world(chain_settings) -> World:
    return World(chain_settings)


def test_register_accept_a_batch_of_repayments_then_repaid(world):
    borrower = Account.create()
    world.register(7, borrower.address)
    world.accept(7, borrower)
    repayments = [world.by_seq(OutboxKind.RECORD_REPAYMENT, 7, amount)
                  for amount in (550_000, 550_000, 4_900_000)]
    world.status(7, LoanStatus.REPAID)

    report = world.worker.run_once()

    assert (report.failed, report.confirmed) == (0, 6)
    stored = world.loan(7)
    assert stored["acceptedAt"] > 0
    del stored["acceptedAt"]
    assert stored == {
        "borrower": borrower.address, "rateBps": 1_800, "method": 1,
        "status": LoanStatus.REPAID, "tenorMonths": 12, "principal": 6_000_000,
        "firstDueDate": 1_801_440_000, "repaid": 6_000_000, "repaymentCount": 3,
        "termsHash": bytes.fromhex(TERMS_HASH[2:]), "writtenOff": 0, "recovered": 0}
    rows = {r.id: r for r in world.rows()}
    assert {r.status for r in rows.values()} == {OutboxStatus.CONFIRMED}
    assert len({rows[i].tx_hash for i in repayments}) == 1  # one recordRepayments call
    assert len({r.tx_hash for r in rows.values()}) == 4
    for row in rows.values():
        handler = HANDLERS[row.kind]
        assert handler.already_applied(world.loans, row), row.kind


def test_a_resend_of_a_repaid_loans_rows_changes_nothing(world):
    borrower = Account.create()
    world.register(7, borrower.address)
    world.accept(7, borrower)
    for amount in (1_000_000, 5_000_000):
        world.by_seq(OutboxKind.RECORD_REPAYMENT, 7, amount)
    world.status(7, LoanStatus.REPAID)
    world.worker.run_once()
    before = world.loan(7)
    world.resend_everything()

    report = world.worker.run_once()

    assert report.failed == 0
    # Register, accept and status are found applied by the handler; the repayment batch
    # goes out and the contract skips both seqs.
    assert report.repaired == 3 and report.confirmed == 2
    assert world.loan(7) == before
    batch_tx = next(r.tx_hash for r in world.rows() if r.kind is OutboxKind.RECORD_REPAYMENT)
    receipt = world.w3.eth.get_transaction_receipt(batch_tx)
    assert world.loans.events.RepaymentRecorded().process_receipt(receipt) == ()
    assert {r.status for r in world.rows()} == {OutboxStatus.CONFIRMED}


def test_a_default_is_written_off_and_recovered_and_a_resend_changes_nothing(world):
    borrower = Account.create()
    world.register(8, borrower.address)
    world.accept(8, borrower)
    world.by_seq(OutboxKind.RECORD_REPAYMENT, 8, 1_000_000)
    world.status(8, LoanStatus.DEFAULTED)
    write_off = world.by_seq(OutboxKind.WRITE_OFF_LOAN, 8, 5_000_000)
    recovery = world.by_seq(OutboxKind.RECORD_RECOVERY, 8, 750_000)

    report = world.worker.run_once()

    assert (report.failed, report.confirmed) == (0, 6)
    stored = world.loan(8)
    assert (stored["status"], stored["repaid"], stored["writtenOff"], stored["recovered"]) == (
        LoanStatus.WRITTEN_OFF, 1_000_000, 5_000_000, 750_000)
    rows = {r.id: r for r in world.rows()}
    assert world.loans.functions.isApplied(rows[write_off].seq).call()
    assert world.loans.functions.isApplied(rows[recovery].seq).call()

    world.resend_everything()
    again = world.worker.run_once()

    assert again.failed == 0 and again.repaired == 5  # all but the repayment batch
    assert world.loan(8) == stored
    assert {r.status for r in world.rows()} == {OutboxStatus.CONFIRMED}


def test_a_defaulted_loan_replaced_by_a_restructured_one_and_a_resend_changes_nothing(world):
    borrower = Account.create()
    world.register(10, borrower.address)
    world.accept(10, borrower)
    world.status(10, LoanStatus.DEFAULTED)
    world.status(10, LoanStatus.RESTRUCTURED)

    report = world.worker.run_once()

    assert (report.failed, report.confirmed) == (0, 4)
    assert world.loans.functions.statusOf(10).call() == LoanStatus.RESTRUCTURED
    world.resend_everything()
    again = world.worker.run_once()
    assert (again.failed, again.confirmed, again.repaired) == (0, 0, 4)
    assert world.loans.functions.statusOf(10).call() == LoanStatus.RESTRUCTURED


def test_an_offer_withdrawn_before_acceptance_is_cancelled(world):
    world.register(9, Account.create().address)
    world.queue(OutboxKind.CANCEL_LOAN, 9, ref="loan:9:cancel")

    report = world.worker.run_once()
    world.resend_everything()
    again = world.worker.run_once()

    assert (report.failed, report.confirmed) == (0, 2)
    assert world.loans.functions.statusOf(9).call() == LoanStatus.CANCELLED
    assert (again.failed, again.confirmed, again.repaired) == (0, 0, 2)


class FlakyRegister(RegisterLoan):
    """The node drops the first registration of loan 1 (a timeout, say)."""

    def __init__(self) -> None:
        self.failed = False

    def build_call(self, contract, items):
        if items[0].data()["loan_id"] == 1 and not self.failed:
            self.failed = True
            raise ConnectionError("RPC timed out")
        return super().build_call(contract, items)


def test_a_loans_later_rows_wait_while_its_earlier_row_backs_off(chain_settings):
    world = World(chain_settings, handlers={**HANDLERS, OutboxKind.REGISTER_LOAN: FlakyRegister()})
    first, second = Account.create(), Account.create()
    world.register(1, first.address)
    world.accept(1, first)
    world.by_seq(OutboxKind.RECORD_REPAYMENT, 1, 500_000)
    world.register(2, second.address)
    world.accept(2, second)
    world.by_seq(OutboxKind.RECORD_REPAYMENT, 2, 300_000)

    failed = world.worker.run_once()  # loan 1's register fails and backs off
    meanwhile = world.worker.run_once()  # before its backoff ends

    assert failed.failed == 1
    assert (meanwhile.failed, meanwhile.confirmed) == (0, 3)  # loan 2's rows only
    assert [(r.kind, r.status, r.attempts) for r in world.rows()[:3]] == [
        (OutboxKind.REGISTER_LOAN, OutboxStatus.PENDING, 1),
        (OutboxKind.ACCEPT_LOAN, OutboxStatus.PENDING, 0),  # never tried before its register
        (OutboxKind.RECORD_REPAYMENT, OutboxStatus.PENDING, 0)]
    assert world.loans.functions.statusOf(1).call() == LoanStatus.NONE
    assert world.loan(2)["repaid"] == 300_000

    clock.freeze(clock.now() + dt.timedelta(hours=1))  # past the backoff
    try:
        later = world.worker.run_once()
    finally:
        clock.freeze(None)

    assert (later.failed, later.confirmed) == (0, 3)
    assert world.loan(1)["status"] == LoanStatus.ACTIVE and world.loan(1)["repaid"] == 500_000


# --- without a chain ---------------------------------------------------------------------


class Statuses:
    """Just enough of a contract for `already_applied`: statusOf answers `status`."""

    def __init__(self, status: LoanStatus) -> None:
        self.status = status
        self.functions = self

    def statusOf(self, _loan_id):  # noqa: N802 - the contract's name
        return self

    def call(self):
        return int(self.status)


def _row(kind: OutboxKind, **data: Any) -> OutboxItem:
    return OutboxItem(id=1, kind=kind, ref="x", payload=json.dumps({"loan_id": 3, **data}))


@pytest.mark.parametrize(("wanted", "applied_at"), [
    (LoanStatus.REPAID, {LoanStatus.REPAID}),
    # Defaulted may still be followed by a write-off or a full repayment (collections).
    (LoanStatus.DEFAULTED, {LoanStatus.DEFAULTED, LoanStatus.WRITTEN_OFF, LoanStatus.REPAID,
                            LoanStatus.RESTRUCTURED}),
    (LoanStatus.RESTRUCTURED, {LoanStatus.RESTRUCTURED}),
])
def test_a_status_is_applied_once_the_loan_is_at_it_or_past_it(wanted, applied_at):
    handler = HANDLERS[OutboxKind.SET_LOAN_STATUS]
    row = _row(OutboxKind.SET_LOAN_STATUS, status=int(wanted))

    found = {s for s in LoanStatus if handler.already_applied(Statuses(s), row)}

    assert found == applied_at


@pytest.mark.parametrize(("kind", "applied_at"), [
    (OutboxKind.REGISTER_LOAN, set(LoanStatus) - {LoanStatus.NONE}),
    (OutboxKind.ACCEPT_LOAN, {LoanStatus.ACTIVE, LoanStatus.REPAID, LoanStatus.DEFAULTED,
                              LoanStatus.WRITTEN_OFF, LoanStatus.RESTRUCTURED}),
    (OutboxKind.CANCEL_LOAN, {LoanStatus.CANCELLED}),
])
def test_register_accept_and_cancel_are_applied_by_the_loans_status(kind, applied_at):
    handler = HANDLERS[kind]

    found = {s for s in LoanStatus if handler.already_applied(Statuses(s), _row(kind))}

    assert found == applied_at


def test_every_loan_row_is_ordered_by_its_loan_and_only_repayments_batch():
    kinds = [k for k in OutboxKind if HANDLERS[k].contract_name == "LoanAgreements"]
    assert len(kinds) == 7
    for kind in kinds:
        assert HANDLERS[kind].order_key(_row(kind)) == ("loan", 3)
        assert HANDLERS[kind].owed(_row(kind)) is None
    batched = {k for k in kinds if HANDLERS[k].max_batch > 1}
    assert batched == {OutboxKind.RECORD_REPAYMENT}
    worker = OutboxWorker(None, None, {}, "0x" + "11" * 32)  # type: ignore[arg-type]
    assert worker.limit(HANDLERS[OutboxKind.RECORD_REPAYMENT]) == 10_000_000 // 56_000 == 178


def test_a_page_of_held_back_rows_does_not_hide_the_rows_after_it(db_settings):
    _engine, factory = open_database(db_settings)
    with transaction(factory) as session:
        waiting = enqueue(session, kind=OutboxKind.REGISTER_LOAN, ref="loan:1:register",
                          data={"member": 1, "loan_id": 1})
        for n in range(3):
            enqueue(session, kind=OutboxKind.CANCEL_LOAN, ref=f"loan:1:{n}",
                    data={"member": 1, "loan_id": 1})
        free = enqueue(session, kind=OutboxKind.CANCEL_LOAN, ref="loan:2:cancel",
                       data={"member": 2, "loan_id": 2})
        session.flush()
        waiting.next_attempt_at = clock.now() + dt.timedelta(minutes=5)
        waiting.attempts = 1
        free_id = free.id
    worker = OutboxWorker(factory, None, {}, "0x" + "11" * 32,  # type: ignore[arg-type]
                          batch_size=2)

    due = worker._due()

    assert [i.id for i in due] == [free_id]
