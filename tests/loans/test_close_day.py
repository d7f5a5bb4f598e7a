"""The daily close: denda accrued by the rule with exact rupiah, idempotent per date, the
same log whatever order the closes run in, and the books balanced throughout."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import threading
from contextlib import closing
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.ledger.models import JournalEntry, LogEntry
from ksp.ledger.reports import trial_balance
from ksp.loans.close import close_day
from ksp.loans.models import Loan, LoanDendaAccrual
from ksp.loans.portfolio_errors import CloseDateInFuture
from ksp.loans.schedule import Method, build_schedule
from ksp.notifications.models import Notification
from tests.support.factories import JOINED, join
from tests.support.loan_rows import disbursed_loan, repay

DISBURSED = dt.date(2026, 1, 15)
FIRST_DUE = dt.date(2026, 2, 15)
LATE_45 = FIRST_DUE + dt.timedelta(days=45)  # 1 April 2026


def at(day: dt.date) -> None:
    clock.freeze(dt.datetime.combine(day, dt.time(5, 0), tzinfo=dt.UTC))


@pytest.fixture
def factory(settings):
    at(DISBURSED)
    engine, factory = open_database(settings)
    yield factory
    clock.freeze(None)
    engine.dispose()


def _loan(factory, settings, **terms):
    with transaction(factory) as session:
        member = join(session, PiiCipher(settings.pii_key_bytes()), 1,
                      on=dt.date.fromisoformat(JOINED))
        return disbursed_loan(session, member=member.number, first_due=FIRST_DUE,
                              disbursed_on=DISBURSED, **terms).id


def _accruals(factory):
    with factory() as session:
        return [(a.loan_id, a.accrued_on, a.amount) for a in session.scalars(
            select(LoanDendaAccrual).order_by(LoanDendaAccrual.accrued_on))]


def test_denda_of_an_instalment_45_days_late_at_0_1_percent_a_day_after_3_grace_days(
        factory, settings):
    """Annuity instalments of Rp 916.800. Days past due 1-3 are grace. Days 4-28 (19 Feb to
    15 Mar, 25 days): 0,1% of Rp 916.800 = Rp 916,8 -> Rp 917 a day. The second instalment
    falls due on 15 Mar and is late from 16 Mar: days 29-45 (16 Mar to 1 Apr, 17 days):
    0,1% of Rp 1.833.600 = Rp 1.833,6 -> Rp 1.834 a day. 25 x 917 + 17 x 1.834 =
    22.925 + 31.178 = Rp 54.103."""
    schedule = build_schedule(10_000_000, 1800, 12, Method.ANNUITY, FIRST_DUE)
    assert schedule[0].total == schedule[1].total == 916_800
    loan_id = _loan(factory, settings)
    at(LATE_45)
    with transaction(factory) as session:
        report = close_day(session, LATE_45)
    assert report.denda_total == 54_103
    accruals = _accruals(factory)
    assert accruals[0] == (loan_id, dt.date(2026, 2, 19), 917)
    assert accruals[24] == (loan_id, dt.date(2026, 3, 15), 917)
    assert accruals[25] == (loan_id, dt.date(2026, 3, 16), 1_834)
    assert accruals[-1] == (loan_id, LATE_45, 1_834)
    assert len(accruals) == 42
    with factory() as session:
        loan = session.get(Loan, loan_id)
        assert (loan.days_past_due, loan.kolektibilitas, loan.closed_through) == (
            45, "dpk", LATE_45)


def test_paying_what_is_late_stops_the_denda_and_brings_the_loan_back_to_lancar(
        factory, settings):
    loan_id = _loan(factory, settings)
    at(dt.date(2026, 2, 25))
    with transaction(factory) as session:
        close_day(session, dt.date(2026, 2, 24))  # days 4-9 late: 6 x Rp 917
        loan = session.get(Loan, loan_id)
        assert (loan.kolektibilitas, loan.days_past_due) == ("dpk", 9)
        repaid = repay(session, loan, on=dt.date(2026, 2, 25), amount=6 * 917 + 916_800)
        assert (repaid.denda, repaid.jasa, repaid.pokok) == (5_502, 150_000, 766_800)
        report = close_day(session, dt.date(2026, 2, 25))
        assert report.denda_total == 0
        assert (loan.kolektibilitas, loan.days_past_due) == ("lancar", 0)
        assert report.days[-1].changes[0].after == "lancar"
    assert sum(amount for *_, amount in _accruals(factory)) == 6 * 917


def test_closing_a_date_twice_changes_nothing(factory, settings):
    _loan(factory, settings)
    day = dt.date(2026, 3, 1)
    at(day)
    with transaction(factory) as session:
        first = close_day(session, day)
    assert len(first.days) == (day - DISBURSED).days + 1
    with factory() as session:
        logged = session.scalar(select(func.count()).select_from(LogEntry))
        entries = session.scalar(select(func.count()).select_from(JournalEntry))
    accruals = _accruals(factory)
    with transaction(factory) as session:
        again = close_day(session, day)
        earlier = close_day(session, dt.date(2026, 2, 20))
    assert again.days == earlier.days == []
    assert _accruals(factory) == accruals
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(LogEntry)) == logged
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries


def test_a_date_after_today_is_refused(factory, settings):
    _loan(factory, settings)
    at(dt.date(2026, 3, 1))
    with pytest.raises(CloseDateInFuture) as refused, transaction(factory) as session:
        close_day(session, dt.date(2026, 3, 2))
    assert refused.value.code == "close_date_in_future"
    assert "2026-03-02" in refused.value.render_id()


END = dt.date(2026, 4, 20)
_counter = itertools.count()


@pytest.fixture
def template(factory, settings):
    """A database with two loans and a late repayment on one, closed on no day yet: each
    Hypothesis example starts from a copy of it."""
    at(END)
    first = _loan(factory, settings)
    with transaction(factory) as session:
        member = join(session, PiiCipher(settings.pii_key_bytes()), 2,
                      on=dt.date.fromisoformat(JOINED))
        disbursed_loan(session, member=member.number, first_due=FIRST_DUE,
                       disbursed_on=dt.date(2026, 1, 20), method=Method.FLAT,
                       principal=5_000_000, tenor_months=6)
        repay(session, session.get(Loan, first), on=dt.date(2026, 3, 20), amount=916_800)
    return settings.database_url.removeprefix("sqlite:///")


def _everything(factory):
    with factory() as session:
        log = [(e.seq, e.kind, e.payload) for e in session.scalars(
            select(LogEntry).order_by(LogEntry.seq))]
        loans = [(loan.id, loan.status, loan.kolektibilitas, loan.days_past_due,
                  loan.closed_through) for loan in session.scalars(select(Loan))]
        rows = trial_balance(session, through=END)
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
        return log, loans


@hypothesis.settings(max_examples=8, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.dates(DISBURSED - dt.timedelta(days=3), END), max_size=4))
def test_closing_days_in_any_order_of_runs_writes_what_closing_every_day_writes(
        settings, template, runs):
    """Closes run on any dates in any order, then through END: the same log (payload for
    payload), the same accruals, classes and allowance as closing day by day."""
    at(END)
    results = []
    for dates in (runs, [DISBURSED + dt.timedelta(days=n)
                         for n in range((END - DISBURSED).days)]):
        copy = template.replace(".sqlite3", f"-{next(_counter)}.sqlite3")
        with closing(sqlite3.connect(template)) as source, \
                closing(sqlite3.connect(copy)) as target:
            source.backup(target)  # consistent whatever the journal mode
        engine, factory = open_database(settings.model_copy(
            update={"database_url": f"sqlite:///{copy}"}))
        for day in [*dates, END]:
            with transaction(factory) as session:
                close_day(session, day)
        results.append((_everything(factory), _accruals(factory)))
        engine.dispose()
    assert results[0] == results[1]
    (_log, loans), accruals = results[0]
    assert {closed for *_rest, closed in loans} == {END}
    assert accruals  # the first loan was late before its repayment, the second still is


def _messages(factory):
    with factory() as session:
        return [(n.template, n.dedupe_key, n.body) for n in session.scalars(
            select(Notification).order_by(Notification.id))]


def test_reminders_before_and_after_the_due_date_are_queued_once(factory, settings):
    """3 days before the due date a reminder; 1 day after, an overdue notice with the
    arrears and the denda so far; closing the day again queues nothing; a catch-up over
    days older than yesterday queues nothing for them."""
    loan_id = _loan(factory, settings)
    for day in (dt.date(2026, 2, 11), dt.date(2026, 2, 12)):
        at(day)
        with transaction(factory) as session:
            close_day(session, day)
    [(template, key, body)] = _messages(factory)
    assert (template, key) == ("pinjaman.pengingat_jatuh_tempo",
                               f"loan:{loan_id}:due:2026-02-15:-3")
    assert f"angsuran ke-1 pinjaman no. {loan_id} sebesar Rp 916.800" in body
    assert "15 Februari 2026" in body
    for day in (dt.date(2026, 2, 16), dt.date(2026, 2, 16)):
        at(day)
        with transaction(factory) as session:
            close_day(session, day)
    messages = _messages(factory)
    assert len(messages) == 2
    template, key, body = messages[1]
    assert (template, key) == ("pinjaman.terlambat", f"loan:{loan_id}:due:2026-02-15:+1")
    assert "(1 hari terlambat)" in body and "Tunggakan: Rp 916.800; denda" in body
    # 10 March: the 7-day notice (22 Feb) is long past, the next reminder (12 Mar) not yet.
    at(dt.date(2026, 3, 10))
    with transaction(factory) as session:
        close_day(session, dt.date(2026, 3, 10))
    assert len(_messages(factory)) == 2
    at(dt.date(2026, 3, 12))
    with transaction(factory) as session:
        close_day(session, dt.date(2026, 3, 12))
    assert [key for _t, key, _b in _messages(factory)][2:] == [
        f"loan:{loan_id}:due:2026-03-15:-3"]


def test_two_closes_at_once_close_each_day_once(settings, postgres_url):
    """PostgreSQL: a second close started while the first is open waits for it, then finds
    the days closed (no duplicate accrual, no error)."""
    at(dt.date(2026, 3, 1))
    engine, factory = open_database(settings.model_copy(update={"database_url": postgres_url}))
    _loan(factory, settings)
    day = dt.date(2026, 3, 1)
    second: list[Any] = []
    with transaction(factory) as session:
        first = close_day(session, day)

        def other() -> None:
            with transaction(factory) as own:
                second.append(close_day(own, day))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # waiting for the first close to commit
    thread.join(timeout=30)
    assert len(first.days) == (day - DISBURSED).days + 1
    assert second[0].days == []
    assert len(_accruals(factory)) == (day - dt.date(2026, 2, 19)).days + 1
    engine.dispose()
    clock.freeze(None)
