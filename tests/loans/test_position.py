"""A loan's position on a date from its schedule and repayments."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksp.loans.allocation import Due
from ksp.loans.position import InstalmentState, Paid, position
from ksp.loans.schedule import Method, build_schedule

S = InstalmentState
FLAT = build_schedule(10_000_000, 1800, 12, Method.FLAT, dt.date(2026, 2, 15))


def test_before_the_first_due_date_nothing_is_due():
    p = position(FLAT, [], 0, dt.date(2026, 2, 1))
    assert (p.outstanding_pokok, p.due_jasa, p.due_pokok, p.denda_due) == (10_000_000, 0, 0, 0)
    assert p.days_past_due == 0
    assert p.overdue_instalments == ()
    assert p.next_instalment is not None and p.next_instalment.number == 1
    assert {s.state for s in p.instalments} == {S.BELUM_JATUH_TEMPO}
    assert not p.fully_repaid


def test_on_the_due_date_the_instalment_is_due_but_not_late():
    p = position(FLAT, [], 0, dt.date(2026, 2, 15))
    assert (p.due_jasa, p.due_pokok, p.days_past_due) == (150_000, 833_333, 0)
    assert p.instalments[0].state is S.JATUH_TEMPO
    assert p.overdue_instalments == ()
    assert p.due == Due(denda=0, jasa=150_000, pokok=833_333)


def test_late_and_partly_paid():
    # Instalment 1 paid in full on time; of instalment 2 (due 15 Mar) only Rp 500.000 came
    # on 20 Mar, split denda 0, jasa 150.000, pokok 350.000. On 1 May: 2 is 47 days late,
    # 3 (15 Apr) too; denda accrued so far Rp 60.000, Rp 10.000 of it paid.
    paid = [Paid(dt.date(2026, 2, 15), 0, 150_000, 833_333),
            Paid(dt.date(2026, 3, 20), 10_000, 150_000, 350_000)]
    p = position(FLAT, paid, 60_000, dt.date(2026, 5, 1))
    assert p.outstanding_pokok == 10_000_000 - 833_333 - 350_000
    assert p.due_jasa == 150_000  # instalment 3's
    assert p.due_pokok == (833_333 - 350_000) + 833_333
    assert p.denda_due == 50_000
    assert p.days_past_due == 47  # 15 Mar -> 1 May
    assert p.overdue_instalments == (2, 3)
    assert [s.state for s in p.instalments[:4]] == [S.LUNAS, S.TERLAMBAT, S.TERLAMBAT,
                                                    S.BELUM_JATUH_TEMPO]
    second = p.instalments[1]
    assert (second.paid_jasa, second.paid_pokok, second.unpaid) == (150_000, 350_000, 483_333)
    assert p.next_instalment == second
    assert p.overdue_amount == 150_000 + 483_333 + 833_333


def test_partly_paid_before_its_due_date():
    p = position(FLAT, [Paid(dt.date(2026, 2, 10), 0, 100_000, 0)], 0, dt.date(2026, 2, 10))
    assert p.instalments[0].state is S.SEBAGIAN
    assert p.due_jasa == 0  # not due yet


def test_pokok_paid_ahead_pays_the_next_instalments_pokok():
    p = position(FLAT, [Paid(dt.date(2026, 2, 15), 0, 150_000, 2_000_000)], 0,
                 dt.date(2026, 3, 15))
    assert [s.paid_pokok for s in p.instalments[:4]] == [833_333, 833_333, 333_334, 0]
    assert p.due_pokok == 0
    assert p.due_jasa == 150_000  # instalment 2's jasa is still owed
    assert p.instalments[1].state is S.SEBAGIAN  # its pokok is paid, its jasa not
    assert p.outstanding_pokok == 8_000_000


def test_repayments_after_as_of_do_not_count():
    paid = [Paid(dt.date(2026, 2, 15), 0, 150_000, 833_333)]
    assert position(FLAT, paid, 0, dt.date(2026, 2, 14)).outstanding_pokok == 10_000_000


@pytest.mark.parametrize(("paid", "denda"), [
    ([Paid(dt.date(2026, 2, 15), 0, 0, 10_000_001)], 0),
    ([Paid(dt.date(2026, 2, 15), 0, 1_800_001, 0)], 0),
    ([Paid(dt.date(2026, 2, 15), 1, 0, 0)], 0),
    ([Paid(dt.date(2026, 2, 15), 0, -1, 0)], 0),
    ([], -1)])
def test_impossible_repayments_are_refused(paid, denda):
    with pytest.raises(ValueError):
        position(FLAT, paid, denda, dt.date(2026, 3, 1))


@settings(max_examples=100, deadline=None)
@given(principal=st.integers(1, 10**11), rate=st.integers(0, 4800),
       tenor=st.integers(1, 60), method=st.sampled_from(Method))
def test_paying_every_instalment_on_its_date_repays_the_loan(principal, rate, tenor, method):
    schedule = build_schedule(principal, rate, tenor, method, dt.date(2026, 1, 31))
    paid = [Paid(row.due_date, 0, row.jasa, row.pokok) for row in schedule]
    for k, row in enumerate(schedule):  # on each due date, after paying: nothing late
        p = position(schedule, paid[:k + 1], 0, row.due_date)
        assert p.days_past_due == 0 and p.due_jasa == 0 and p.due_pokok == 0
        assert p.outstanding_pokok == row.outstanding_after
    final = position(schedule, paid, 0, schedule[-1].due_date)
    assert final.fully_repaid
    assert final.outstanding_pokok == 0
    assert final.next_instalment is None
    assert {s.state for s in final.instalments} == {S.LUNAS}


@st.composite
def loan_and_payments(draw):
    tenor = draw(st.integers(1, 36))
    method = draw(st.sampled_from(Method))
    schedule = build_schedule(draw(st.integers(1, 10**10)), draw(st.integers(0, 3600)), tenor,
                              method, dt.date(2026, 1, 31))
    pokok_left = sum(r.pokok for r in schedule)
    jasa_left = sum(r.jasa for r in schedule)
    payments = []
    for _ in range(draw(st.integers(0, 8))):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 1200)))
        jasa = draw(st.integers(0, jasa_left))
        pokok = draw(st.integers(0, pokok_left))
        jasa_left -= jasa
        pokok_left -= pokok
        payments.append(Paid(day, 0, jasa, pokok))
    as_of = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 1300)))
    return schedule, sorted(payments, key=lambda p: p.on), as_of


@settings(max_examples=200, deadline=None)
@given(loan_and_payments())
def test_outstanding_is_principal_minus_pokok_paid_for_any_payments(case):
    schedule, payments, as_of = case
    p = position(schedule, payments, 0, as_of)
    counted = [x for x in payments if x.on <= as_of]
    principal = sum(r.pokok for r in schedule)
    assert p.outstanding_pokok == principal - sum(x.pokok for x in counted)
    assert p.outstanding_pokok == sum(s.unpaid_pokok for s in p.instalments)
    assert p.remaining_jasa == sum(r.jasa for r in schedule) - sum(x.jasa for x in counted)
    assert 0 <= p.due_pokok <= p.outstanding_pokok
    due = [s for s in p.instalments if s.due_date <= as_of]
    assert p.due_jasa + p.due_pokok == sum(s.unpaid for s in due)
    if p.days_past_due:
        oldest = next(s for s in due if not s.fully_paid)
        assert p.days_past_due == (as_of - oldest.due_date).days
    assert p.fully_repaid == all(s.state is S.LUNAS for s in p.instalments)
