"""Denda: grace days, the two bases, the worked 45-days-late instalment, the period sum."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.loans.denda import DendaBasis, DendaRule, daily_denda, denda_for_day, denda_for_period
from ksp.loans.position import position
from ksp.loans.schedule import Method, build_schedule

RULE = DendaRule(bps_per_day=10, basis=DendaBasis.INSTALMENT, grace_days=3)  # 0,1% a day


def test_nothing_within_the_grace_days():
    assert [daily_denda(RULE, 983_333, 10_000_000, d) for d in range(0, 4)] == [0, 0, 0, 0]
    assert daily_denda(RULE, 983_333, 10_000_000, 4) == 983  # 983,333 rounded half-up


def test_basis_outstanding_uses_the_outstanding_pokok():
    rule = DendaRule(bps_per_day=10, basis=DendaBasis.OUTSTANDING, grace_days=0)
    assert daily_denda(rule, 983_333, 9_166_667, 1) == 9_167  # 9.166,667


def test_daily_rounding_is_half_up():
    rule = DendaRule(bps_per_day=5, basis=DendaBasis.INSTALMENT, grace_days=0)
    assert daily_denda(rule, 1_000, 0, 1) == 1  # 0,5 -> 1
    assert daily_denda(rule, 999, 0, 1) == 0  # 0,4995 -> 0


def test_worked_instalment_paid_45_days_late():
    # The flat loan's first instalment, Rp 983.333 due 15 Feb 2026, paid 1 Apr 2026 (45
    # days late). Days 1-3 are grace; the close accrues days 4..44 (on the 45th the payment
    # comes in before the close): 41 days x Rp 983 = Rp 40.303.
    due = dt.date(2026, 2, 15)
    paid = due + dt.timedelta(days=45)
    assert paid == dt.date(2026, 4, 1)
    days = [due + dt.timedelta(days=d) for d in range(1, 45)]
    daily = [daily_denda(RULE, 983_333, 10_000_000, (day - due).days) for day in days]
    assert sum(daily) == 40_303
    assert daily.count(983) == 41
    assert denda_for_period(RULE, 983_333, 10_000_000, due, days[0], days[-1]) == 40_303


def test_bad_rule_is_refused():
    with pytest.raises(ValueError):
        DendaRule(bps_per_day=-1, basis=DendaBasis.INSTALMENT, grace_days=0)
    with pytest.raises(ValueError):
        DendaRule(bps_per_day=10, basis=DendaBasis.INSTALMENT, grace_days=-1)


@given(bps=st.integers(0, 1000), grace=st.integers(0, 30),
       basis=st.sampled_from(DendaBasis), overdue=st.integers(0, 10**12),
       outstanding=st.integers(0, 10**12), start=st.integers(-40, 400),
       length=st.integers(-3, 400))
def test_period_equals_the_sum_of_daily_amounts(bps, grace, basis, overdue, outstanding,
                                                start, length):
    rule = DendaRule(bps, basis, grace)
    due = dt.date(2026, 2, 15)
    first = due + dt.timedelta(days=start)
    last = first + dt.timedelta(days=length)
    expected = sum(daily_denda(rule, overdue, outstanding, d)
                   for d in range(start, start + length + 1) if d >= 0)
    # Days before the due date are not late at all: the close never asks for them.
    first_asked = max(first, due)
    assert denda_for_period(rule, overdue, outstanding, due, first_asked, last) == expected


def test_denda_for_day_reads_the_days_position():
    schedule = build_schedule(10_000_000, 1800, 12, Method.FLAT, dt.date(2026, 2, 15))
    on_day_4 = position(schedule, [], 0, dt.date(2026, 2, 19))
    assert on_day_4.days_past_due == 4
    assert denda_for_day(RULE, on_day_4) == 983
    assert denda_for_day(RULE, position(schedule, [], 0, dt.date(2026, 2, 18))) == 0  # grace
    outstanding_rule = DendaRule(10, DendaBasis.OUTSTANDING, 3)
    assert denda_for_day(outstanding_rule, on_day_4) == 10_000
