"""Restrukturisasi: a loan late on its second instalment is replaced by a 24-month loan for its
outstanding pokok (Rp 9.233.200), approved by a pengurus, signed again by the member, then
taken over: the old loan direstrukturisasi, the new one aktif, and no money moves (no journal
entry; the member's piutang unchanged). A payout of the new loan is refused. No chain runs:
the ACCEPT_LOAN row is marked INCLUDED for the worker."""

from __future__ import annotations

import datetime as dt

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import func, select

from ksp.auth.models import Role
from ksp.bootstrap import open_database
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.ledger import chart
from ksp.ledger.models import JournalEntry
from ksp.ledger.reports import member_balances
from ksp.loans import restructure, service
from ksp.loans.close import close_day
from ksp.loans.errors import InvalidLoanState
from ksp.loans.models import Loan, LoanStatus
from ksp.loans.portfolio_errors import RestructureOutdated
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.factories import JOINED, join
from tests.support.loan_rows import disbursed_loan, repay

DOMAIN = service.ChainDomain(chain_id=31337, contract="0x" + "ab" * 20)
TODAY = dt.date(2026, 4, 20)


@pytest.fixture
def late(settings):
    """A member with a wallet and a loan whose first instalment was paid, the second not."""
    clock.freeze(dt.datetime.combine(TODAY, dt.time(3, 0), tzinfo=dt.UTC))
    engine, factory = open_database(settings)
    wallet = Account.create()
    with transaction(factory) as session:
        member = join(session, PiiCipher(settings.pii_key_bytes()), 1,
                      on=dt.date.fromisoformat(JOINED), wallet_address=wallet.address)
        savings.deposit(session, member_number=member.number, jenis=Jenis.WAJIB,
                        amount=500_000, on=TODAY)
        loan = disbursed_loan(session, member=member.number, first_due=dt.date(2026, 2, 15),
                              disbursed_on=dt.date(2026, 1, 15))
        repay(session, loan, on=dt.date(2026, 2, 15), amount=916_800)
        close_day(session, TODAY)
        assert (loan.kolektibilitas, loan.days_past_due) == ("dpk", 36)
        old_id, number = loan.id, member.number
    yield factory, wallet, old_id, number
    clock.freeze(None)
    engine.dispose()


def _signed(factory, wallet, loan_id, number):
    deadline = int(clock.now().timestamp()) + 3 * 86_400
    with transaction(factory) as session:
        typed = service.acceptance_data(service.get_loan(session, loan_id), DOMAIN, deadline)
        signed = Account.sign_message(encode_typed_data(full_message=typed), wallet.key)
        service.accept(session, loan_id, member_number=number, deadline=deadline,
                       signature="0x" + signed.signature.hex(), domain=lambda: DOMAIN)
        session.scalars(select(OutboxItem).where(
            OutboxItem.ref == f"loan:{loan_id}:accept")).one().status = OutboxStatus.INCLUDED


def _journal_count(factory):
    with factory() as session:
        return session.scalar(select(func.count()).select_from(JournalEntry))


def test_a_late_loan_is_restructured_signed_again_and_taken_over_without_money(late):
    factory, wallet, old_id, number = late
    with transaction(factory) as session:
        proposed = restructure.propose_restructuring(
            session, loan_id=old_id, tenor_months=24, rate_bps=None, actor="petugas",
            role="admin", on=TODAY, note="Usaha terdampak banjir")
        new_id = proposed.new.id
        assert (proposed.new.principal, proposed.new.admin_fee, proposed.new.restructured_from,
                proposed.new.status) == (9_233_200, 0, old_id, LoanStatus.DIUSULKAN)
    with transaction(factory) as session:
        # The BMPP check does not count the replaced loan's pokok twice.
        assert service.approve(session, new_id, actor="ketua", role=Role.PENGURUS,
                               on=TODAY).final
    _signed(factory, wallet, new_id, number)
    with pytest.raises(InvalidLoanState), transaction(factory) as session:
        service.disburse(session, new_id, on=TODAY, to_sukarela=False)  # never paid out

    before = _journal_count(factory)
    with transaction(factory) as session:
        piutang = member_balances(session, member=number)[chart.PIUTANG_PINJAMAN]
        done = restructure.take_over(session, loan_id=new_id, actor="petugas", role="admin",
                                     on=TODAY)
        assert (done.old.status, done.new.status) == (LoanStatus.DIRESTRUKTURISASI,
                                                      LoanStatus.AKTIF)
        taken_seq = done.seq
    assert _journal_count(factory) == before
    with factory() as session:  # the old loan becomes Restructured (7) on chain
        statuses = [(r.ref, r.seq, r.data()) for r in session.scalars(
            select(OutboxItem).where(OutboxItem.kind == OutboxKind.SET_LOAN_STATUS))]
    assert statuses[-1] == (f"loan:{old_id}:status:{taken_seq}", taken_seq, {
        "member": number, "loan_id": old_id, "status": 7})
    with factory() as session:
        assert member_balances(session, member=number)[chart.PIUTANG_PINJAMAN] == piutang \
            == 9_233_200
        new = session.get(Loan, new_id)
        schedule = service.schedule_of(new)
        assert (len(schedule), sum(i.pokok for i in schedule)) == (24, 9_233_200)
    # The next close runs on the new loan only (lancar), the old one is out.
    tomorrow = TODAY + dt.timedelta(days=1)
    clock.freeze(dt.datetime.combine(tomorrow, dt.time(3, 0), tzinfo=dt.UTC))
    with transaction(factory) as session:
        report = close_day(session, tomorrow)
        assert [d.loans for d in report.days] == [1, 1]  # the new loan: 20 and 21 April
        assert session.get(Loan, new_id).kolektibilitas == "lancar"


def test_a_take_over_after_the_old_loan_was_repaid_since_is_refused(late):
    factory, wallet, old_id, number = late
    with transaction(factory) as session:
        new_id = restructure.propose_restructuring(
            session, loan_id=old_id, tenor_months=24, rate_bps=None, actor="petugas",
            role="admin", on=TODAY).new.id
        service.approve(session, new_id, actor="ketua", role=Role.PENGURUS, on=TODAY)
    _signed(factory, wallet, new_id, number)
    with transaction(factory) as session:
        repay(session, session.get(Loan, old_id), on=TODAY, amount=1_000_000)
    with pytest.raises(RestructureOutdated) as refused, transaction(factory) as session:
        restructure.take_over(session, loan_id=new_id, actor="petugas", role="admin",
                              on=TODAY)
    assert "Rp 9.233.200" in refused.value.render_id()
    with factory() as session:  # nothing queued for the old loan's status
        assert not [r for r in session.scalars(select(OutboxItem).where(
            OutboxItem.kind == OutboxKind.SET_LOAN_STATUS)) if r.data()["status"] == 7]
    with factory() as session:
        assert session.get(Loan, old_id).status is LoanStatus.AKTIF
        assert session.get(Loan, new_id).status is LoanStatus.DITERIMA
