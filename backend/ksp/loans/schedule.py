"""Loan schedules: flat, declining (efektif) and annuity. Pure: plain data in and out.

The one rounding rule (docs/LOANS.md): every amount that is not a whole rupiah (an
instalment's jasa; the annuity instalment) is rounded half-up to the rupiah, once, where it
is computed; nothing rounded is used to compute something else except the annuity
instalment, which is fixed for the whole loan. The principal parts of flat and declining
loans are floor(P / n) and the last instalment absorbs the remainder, so the pokok parts
always add up to the principal exactly and the last instalment leaves nothing outstanding.

Rates are annual, in basis points (1800 = 18% p.a.); a month's rate is rate / 12.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from ksp.core.money import round_half_up

BPS = 10_000
MONTHS_PER_YEAR = 12
# A month's rate as a fraction is rate_bps / MONTHLY_RATE_DENOMINATOR.
MONTHLY_RATE_DENOMINATOR = BPS * MONTHS_PER_YEAR


class Method(StrEnum):
    FLAT = "flat"
    DECLINING = "declining"
    ANNUITY = "annuity"


# The contract's InterestMethod enum (contracts/interfaces/ILoanAgreements.sol), in order.
METHOD_CODE: Mapping[Method, int] = {Method.FLAT: 0, Method.DECLINING: 1, Method.ANNUITY: 2}

METHOD_LABEL: Mapping[Method, tuple[str, str]] = {
    Method.FLAT: ("Flat (bunga tetap)", "Flat"),
    Method.DECLINING: ("Menurun (efektif)", "Declining balance"),
    Method.ANNUITY: ("Anuitas", "Annuity"),
}


@dataclass(frozen=True)
class Instalment:
    number: int  # 1-based
    due_date: dt.date
    pokok: int
    jasa: int
    outstanding_after: int

    @property
    def total(self) -> int:
        return self.pokok + self.jasa


def div_half_up(numerator: int, denominator: int) -> int:
    """round_half_up(Fraction(numerator, denominator)) for numerator >= 0 < denominator,
    in integers only (the schedules' hot path; tests check the two agree)."""
    return (2 * numerator + denominator) // (2 * denominator)


def due_date(first_due: dt.date, number: int) -> dt.date:
    """Instalment `number` (1-based) is due number-1 months after the first, on the same day
    of the month, or the month's last day when it is shorter. Always counted from the first
    due date, never from the previous one: 31 Jan, 28/29 Feb, 31 Mar, 30 Apr, ..."""
    if number < 1:
        raise ValueError("instalment numbers start at 1")
    months = first_due.month - 1 + number - 1
    year, month = first_due.year + months // 12, months % 12 + 1
    return dt.date(year, month, min(first_due.day, calendar.monthrange(year, month)[1]))


def monthly_jasa(outstanding: int, rate_bps: int) -> int:
    """One month's jasa on an outstanding amount, rounded half-up to the rupiah."""
    return div_half_up(outstanding * rate_bps, MONTHLY_RATE_DENOMINATOR)


def annuity_exact(principal: int, rate_bps: int, tenor_months: int) -> Fraction:
    """A = P·i / (1 − (1+i)^−n) with i = r/12, exactly; P / n when the rate is 0."""
    if rate_bps == 0:
        return Fraction(principal, tenor_months)
    # With i = rate/d: A = P·rate·b^n / (d·(b^n − d^n)), b = d + rate: whole numbers only.
    d = MONTHLY_RATE_DENOMINATOR
    grown, base = (d + rate_bps) ** tenor_months, d**tenor_months
    return Fraction(principal * rate_bps * grown, d * (grown - base))


def annuity_instalment(principal: int, rate_bps: int, tenor_months: int) -> int:
    """The annuity instalment, rounded half-up to the rupiah (fixed for the whole loan)."""
    return round_half_up(annuity_exact(principal, rate_bps, tenor_months))


def _check(principal: int, rate_bps: int, tenor_months: int) -> None:
    for name, value in (("principal", principal), ("rate_bps", rate_bps),
                        ("tenor_months", tenor_months)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    if principal <= 0:
        raise ValueError("principal must be more than 0")
    if rate_bps < 0:
        raise ValueError("rate_bps must not be negative")
    if tenor_months < 1:
        raise ValueError("tenor_months must be at least 1")


def build_schedule(principal: int, rate_bps: int, tenor_months: int, method: Method,
                   first_due: dt.date) -> tuple[Instalment, ...]:
    """The loan's instalments, oldest first. See the module docstring for the rounding."""
    _check(principal, rate_bps, tenor_months)
    method = Method(method)
    n = tenor_months
    rows: list[Instalment] = []
    outstanding = principal
    if method is Method.ANNUITY:
        amount = annuity_instalment(principal, rate_bps, n)
        for k in range(1, n + 1):
            jasa = monthly_jasa(outstanding, rate_bps)
            # Never more than what is left: with tiny amounts and extreme rates the rounding
            # can pay the loan off before the last instalment (then the rest are zero).
            pokok = outstanding if k == n else min(max(amount - jasa, 0), outstanding)
            outstanding -= pokok
            rows.append(Instalment(k, due_date(first_due, k), pokok, jasa, outstanding))
        return tuple(rows)
    part = principal // n
    flat_jasa = monthly_jasa(principal, rate_bps)
    for k in range(1, n + 1):
        pokok = outstanding if k == n else part
        jasa = flat_jasa if method is Method.FLAT else monthly_jasa(outstanding, rate_bps)
        outstanding -= pokok
        rows.append(Instalment(k, due_date(first_due, k), pokok, jasa, outstanding))
    return tuple(rows)


def schedule_totals(schedule: Iterable[Instalment]) -> tuple[int, int]:
    """(sum of pokok, sum of jasa)."""
    pokok = jasa = 0
    for row in schedule:
        pokok += row.pokok
        jasa += row.jasa
    return pokok, jasa
