"""Denda (late-payment penalty): a daily rate in basis points of either the overdue
instalments (unpaid due jasa + pokok) or the outstanding pokok, after a few grace days.

The daily close accrues one day at a time: for each loan and each date it computes
`daily_denda` from that day's position and records it once (idempotent per loan per date:
running the close again for a date adds nothing). Each day's denda is rounded half-up to
the rupiah on its own. `denda_for_period` is the sum of the daily amounts over a span in
which the overdue amount does not change; it equals the close's accruals day by day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ksp.loans.position import Position
from ksp.loans.schedule import BPS, div_half_up


class DendaBasis(StrEnum):
    INSTALMENT = "angsuran"  # the unpaid parts of the instalments already due
    OUTSTANDING = "sisa_pokok"  # all pokok still outstanding


@dataclass(frozen=True)
class DendaRule:
    bps_per_day: int  # 10 = 0,1% per day
    basis: DendaBasis
    grace_days: int  # no denda while days past due <= grace_days

    def __post_init__(self) -> None:
        if self.bps_per_day < 0 or self.grace_days < 0:
            raise ValueError("denda rate and grace days must not be negative")


def daily_denda(rule: DendaRule, overdue_amount: int, outstanding: int,
                days_past_due: int) -> int:
    """One day's denda for a loan `days_past_due` days late (counting this day): 0 within
    the grace days, else the basis times the daily rate, rounded half-up to the rupiah."""
    if min(overdue_amount, outstanding) < 0:
        raise ValueError("amounts must not be negative")
    if days_past_due <= rule.grace_days:
        return 0
    base = overdue_amount if rule.basis is DendaBasis.INSTALMENT else outstanding
    return div_half_up(base * rule.bps_per_day, BPS)


def denda_for_day(rule: DendaRule, position_that_day: Position) -> int:
    """`daily_denda` from a loan's position at the end of the day (after its repayments)."""
    return daily_denda(rule, position_that_day.overdue_amount,
                       position_that_day.outstanding_pokok, position_that_day.days_past_due)


def denda_for_period(rule: DendaRule, overdue_amount: int, outstanding: int,
                     due_date: dt.date, first_day: dt.date, last_day: dt.date) -> int:
    """The sum of `daily_denda` for every day from first_day to last_day (both included)
    for an instalment due on `due_date`, the amounts unchanged over the span: day d is
    (d - due_date).days past due."""
    if last_day < first_day:
        return 0
    # Days past due run from (first_day - due) to (last_day - due); those above the grace
    # days are charged, each the same rounded daily amount.
    first_charged = max((first_day - due_date).days, rule.grace_days + 1)
    days = (last_day - due_date).days - first_charged + 1
    return max(days, 0) * daily_denda(rule, overdue_amount, outstanding, rule.grace_days + 1)
