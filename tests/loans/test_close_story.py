"""A loan that falls behind, told with a moving clock and exact rupiah.

Rp 10.000.000 over 12 months at 18% p.a., annuity, disbursed 15 January 2026, first
instalment due 15 February 2026, and never a payment. The daily close moves it through the
classes on the OJK days (day 1 DPK, 91 KL, 121 D, 181 M), the allowance follows at
1/5/15/50/100% of Rp 10.000.000, at macet the loan defaults (and SET_LOAN_STATUS Defaulted is
queued for the chain), it is written off with a pengurus's and a pengawas's approval
(neither the proposer), and recoveries post up to what was written off."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ksp.bootstrap import open_database
from ksp.chain.outbox import OutboxItem, OutboxKind
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.ledger import chart
from ksp.ledger.models import JournalEntry, LogEntry
from ksp.ledger.reports import member_balances, trial_balance
from ksp.loans import writeoff
from ksp.loans.close import close_day
from ksp.loans.errors import ApproverIsProposer
from ksp.loans.models import Loan, LoanDecision, LoanDendaAccrual, LoanStatus
from ksp.loans.portfolio import allowance_balance, portfolio_on
from ksp.loans.portfolio_errors import (
    RecoveryTooLarge,
    WriteOffAlreadyApproved,
    WriteOffApproverRole,
    WriteOffNeedsMacet,
)
from ksp.loans.quality import Kolektibilitas
from tests.support.factories import JOINED, join
from tests.support.loan_rows import disbursed_loan

DISBURSED = dt.date(2026, 1, 15)
FIRST_DUE = dt.date(2026, 2, 15)


def at(day: dt.date) -> None:
    """The clock at noon in Jakarta on `day`."""
    clock.freeze(dt.datetime.combine(day, dt.time(5, 0), tzinfo=dt.UTC))


@pytest.fixture
def factory(db_settings):
    """On SQLite and on PostgreSQL."""
    at(DISBURSED)
    engine, factory = open_database(db_settings)
    yield factory
    clock.freeze(None)
    engine.dispose()


@pytest.fixture
def loan_id(factory, settings):
    with transaction(factory) as session:
        member = join(session, PiiCipher(settings.pii_key_bytes()), 1,
                      on=dt.date.fromisoformat(JOINED))
        return disbursed_loan(session, member=member.number, first_due=FIRST_DUE,
                              disbursed_on=DISBURSED).id


def _close(factory, day):
    at(day)
    with transaction(factory) as session:
        return close_day(session, day)


def _state(factory, loan_id, day):
    with factory() as session:
        loan = session.get(Loan, loan_id)
        return (loan.status, loan.kolektibilitas, loan.days_past_due,
                allowance_balance(session, day))


def _balanced(session, day):
    rows = trial_balance(session, through=day)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_a_loan_falls_behind_through_every_class_then_is_written_off_and_recovered(
        factory, loan_id):
    # Disbursement day: lancar, and the 1% general allowance.
    _close(factory, DISBURSED)
    assert _state(factory, loan_id, DISBURSED) == (LoanStatus.AKTIF, "lancar", 0, 100_000)
    # The due date itself is not late yet.
    _close(factory, FIRST_DUE)
    assert _state(factory, loan_id, FIRST_DUE) == (LoanStatus.AKTIF, "lancar", 0, 100_000)
    steps = [
        (dt.date(2026, 2, 16), "dpk", 1, 500_000),
        (dt.date(2026, 5, 16), "dpk", 90, 500_000),
        (dt.date(2026, 5, 17), "kurang_lancar", 91, 1_500_000),
        (dt.date(2026, 6, 15), "kurang_lancar", 120, 1_500_000),
        (dt.date(2026, 6, 16), "diragukan", 121, 5_000_000),
        (dt.date(2026, 8, 14), "diragukan", 180, 5_000_000),
    ]
    for day, kelas, dpd, allowance in steps:
        _close(factory, day)
        assert _state(factory, loan_id, day) == (LoanStatus.AKTIF, kelas, dpd, allowance), day
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.kind == OutboxKind.SET_LOAN_STATUS)) == 0

    # Day 181: macet, defaulted on chain, fully provided for.
    macet_day = dt.date(2026, 8, 15)
    report = _close(factory, macet_day)
    assert report.defaulted == [loan_id]
    assert _state(factory, loan_id, macet_day) == (LoanStatus.MACET, "macet", 181, 10_000_000)
    with factory() as session:
        status_rows = session.scalars(select(OutboxItem).where(
            OutboxItem.kind == OutboxKind.SET_LOAN_STATUS)).all()
        assert len(status_rows) == 1
        row = status_rows[0]
        member = session.get(Loan, loan_id).member_number
        assert row.data() == {"member": member, "loan_id": loan_id, "status": 4}
        assert row.ref == f"loan:{loan_id}:status:{row.seq}"
        assert session.get(LogEntry, row.seq).kind == "pinjaman.macet"
        # Each change of class was written to the log by the close of its day.
        changes = [(e.payload) for e in session.scalars(
            select(LogEntry).where(LogEntry.kind == "pinjaman.tutup_hari")
            .order_by(LogEntry.seq)) if '"to"' in e.payload]
        assert [c.split('"to":"')[1].split('"')[0] for c in changes] == [
            "dpk", "kurang_lancar", "diragukan", "macet"]
        portfolio = portfolio_on(session, macet_day)
        assert portfolio.by_class[Kolektibilitas.MACET] == 10_000_000
        assert (portfolio.npl_bps, portfolio.health_band) == (10_000, "Tidak Sehat")
        assert portfolio.provision_required == portfolio.provision_posted == 10_000_000
        # The provisions posted: 100.000 + 400.000 + 1.000.000 + 3.500.000 + 5.000.000.
        provisions = session.scalars(select(JournalEntry).where(
            JournalEntry.kind == "pinjaman.penyisihan").order_by(JournalEntry.seq)).all()
        assert [(p.entry_date, p.lines[0].amount) for p in provisions] == [
            (DISBURSED, 100_000), (dt.date(2026, 2, 16), 400_000),
            (dt.date(2026, 5, 17), 1_000_000), (dt.date(2026, 6, 16), 3_500_000),
            (macet_day, 5_000_000)]
        _balanced(session, macet_day)

    # Hapus buku: proposed by the admin, approved by a pengurus and a pengawas.
    write_off_day = dt.date(2026, 8, 20)
    at(write_off_day)
    with transaction(factory) as session:
        writeoff.propose_write_off(session, loan_id=loan_id, actor="admin", role="admin",
                                   note="Tidak tertagih setelah 3 kali kunjungan")
    with pytest.raises(ApproverIsProposer), transaction(factory) as session:
        writeoff.approve_write_off(session, loan_id=loan_id, actor="admin", role="pengurus")
    with pytest.raises(WriteOffApproverRole), transaction(factory) as session:
        writeoff.approve_write_off(session, loan_id=loan_id, actor="kasir", role="admin")
    with transaction(factory) as session:
        step = writeoff.approve_write_off(session, loan_id=loan_id, actor="ketua",
                                          role="pengurus")
        assert (step.approvals, step.written_off) == (("pengurus",), 0)
    with pytest.raises(WriteOffAlreadyApproved), transaction(factory) as session:
        writeoff.approve_write_off(session, loan_id=loan_id, actor="bendahara",
                                   role="pengurus")
    with factory() as session:
        assert session.get(Loan, loan_id).status is LoanStatus.MACET
    with transaction(factory) as session:
        step = writeoff.approve_write_off(session, loan_id=loan_id, actor="pengawas1",
                                          role="pengawas")
        assert (step.approvals, step.written_off, step.from_allowance) == (
            ("pengawas", "pengurus"), 10_000_000, 10_000_000)
        entry_seq = step.entry_seq
    with factory() as session:
        loan = session.get(Loan, loan_id)
        assert (loan.status, loan.written_off, loan.recovered) == (
            LoanStatus.DIHAPUSBUKUKAN, 10_000_000, 0)
        assert member_balances(session, member=loan.member_number).get(
            chart.PIUTANG_PINJAMAN, 0) == 0
        assert allowance_balance(session, write_off_day) == 0
        [item] = session.scalars(select(OutboxItem).where(
            OutboxItem.kind == OutboxKind.WRITE_OFF_LOAN)).all()
        assert (item.seq, item.data()) == (entry_seq, {
            "member": loan.member_number, "loan_id": loan_id, "amount": 10_000_000})
        assert [d.action for d in session.scalars(select(LoanDecision).order_by(
            LoanDecision.seq))] == ["hapus_buku_diusulkan", "hapus_buku_disetujui",
                                    "hapus_buku_disetujui"]
    # A written-off loan is no longer closed, accrued or provided for.
    report = _close(factory, write_off_day)
    assert report.days == []
    with pytest.raises(WriteOffNeedsMacet), transaction(factory) as session:
        writeoff.propose_write_off(session, loan_id=loan_id, actor="admin", role="admin")

    # Recovery: Rp 2.500.000 posts; then more than the Rp 7.500.000 left is refused.
    with transaction(factory) as session:
        recovery = writeoff.record_recovery(session, loan_id=loan_id, amount=2_500_000)
        assert (recovery.recovered, recovery.remaining) == (2_500_000, 7_500_000)
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(LogEntry))
    with pytest.raises(RecoveryTooLarge) as refused, transaction(factory) as session:
        writeoff.record_recovery(session, loan_id=loan_id, amount=7_500_001)
    assert "Rp 7.500.000" in refused.value.render_id()
    assert "Rp 7.500.000" in refused.value.render_en()
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(LogEntry)) == before
        assert session.get(Loan, loan_id).recovered == 2_500_000
        [item] = session.scalars(select(OutboxItem).where(
            OutboxItem.kind == OutboxKind.RECORD_RECOVERY)).all()
        assert item.data()["amount"] == 2_500_000
        income = {r.code: r.balance for r in trial_balance(session, through=write_off_day)}
        assert income[chart.PENDAPATAN_LAIN] == 2_500_000
        _balanced(session, write_off_day)
        # Denda kept accruing while it was late: 0,1% a day of what was overdue.
        assert session.scalar(select(func.sum(LoanDendaAccrual.amount))) > 0
