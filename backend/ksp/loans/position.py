"""The state of a loan on a date, from its schedule and the repayments so far. Pure.

Repayments are already split (allocation.allocate) into denda, jasa and pokok. Their parts
are applied to the instalments oldest first, each part on its own: all jasa paid covers the
oldest unpaid jasa, all pokok paid the oldest unpaid pokok (so pokok paid ahead of time
pays the next instalments' pokok). Only repayments made on or before `as_of` count, so the
position on a past date can be recomputed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ksp.loans.allocation import Due
from ksp.loans.schedule import Instalment


@dataclass(frozen=True)
class Paid:
    """One repayment as it was allocated."""

    on: dt.date
    denda: int
    jasa: int
    pokok: int


class InstalmentState(StrEnum):
    LUNAS = "lunas"  # paid in full
    SEBAGIAN = "sebagian"  # partly paid, not yet late
    TERLAMBAT = "terlambat"  # due before as_of and not paid in full
    JATUH_TEMPO = "jatuh tempo"  # due on as_of itself, nothing paid yet
    BELUM_JATUH_TEMPO = "belum jatuh tempo"  # due later, nothing paid yet


STATE_LABEL: Mapping[InstalmentState, tuple[str, str]] = {
    InstalmentState.LUNAS: ("Lunas", "Paid"),
    InstalmentState.SEBAGIAN: ("Sebagian", "Partly paid"),
    InstalmentState.TERLAMBAT: ("Terlambat", "Overdue"),
    InstalmentState.JATUH_TEMPO: ("Jatuh tempo hari ini", "Due today"),
    InstalmentState.BELUM_JATUH_TEMPO: ("Belum jatuh tempo", "Not yet due"),
}


@dataclass(frozen=True)
class InstalmentStatus:
    number: int
    due_date: dt.date
    pokok: int
    jasa: int
    paid_pokok: int
    paid_jasa: int
    state: InstalmentState

    @property
    def unpaid_pokok(self) -> int:
        return self.pokok - self.paid_pokok

    @property
    def unpaid_jasa(self) -> int:
        return self.jasa - self.paid_jasa

    @property
    def unpaid(self) -> int:
        return self.unpaid_pokok + self.unpaid_jasa

    @property
    def fully_paid(self) -> bool:
        return self.unpaid == 0


@dataclass(frozen=True)
class Position:
    as_of: dt.date
    outstanding_pokok: int  # principal minus all pokok paid
    due_jasa: int  # unpaid jasa of instalments due on or before as_of
    due_pokok: int  # unpaid pokok of instalments due on or before as_of
    denda_due: int  # denda accrued minus denda paid
    days_past_due: int  # as_of minus the due date of the oldest due, unpaid instalment
    overdue_instalments: tuple[int, ...]  # numbers of the instalments in state terlambat
    next_instalment: InstalmentStatus | None  # the first not fully paid
    instalments: tuple[InstalmentStatus, ...]
    fully_repaid: bool  # every instalment paid in full and no denda owed

    @property
    def due(self) -> Due:
        """What is owed now, for allocation.allocate."""
        return Due(denda=self.denda_due, jasa=self.due_jasa, pokok=self.due_pokok)

    @property
    def overdue_amount(self) -> int:
        """Unpaid jasa + pokok of the instalments due: the base of denda by instalment."""
        return self.due_jasa + self.due_pokok

    @property
    def remaining_jasa(self) -> int:
        """All jasa still unpaid in the schedule, due or not."""
        return sum(s.unpaid_jasa for s in self.instalments)


def _state(row: Instalment, paid_pokok: int, paid_jasa: int, as_of: dt.date) -> InstalmentState:
    if paid_pokok == row.pokok and paid_jasa == row.jasa:
        return InstalmentState.LUNAS
    if row.due_date < as_of:
        return InstalmentState.TERLAMBAT
    if paid_pokok or paid_jasa:
        return InstalmentState.SEBAGIAN
    if row.due_date == as_of:
        return InstalmentState.JATUH_TEMPO
    return InstalmentState.BELUM_JATUH_TEMPO


def position(schedule: Sequence[Instalment], paid: Sequence[Paid], denda_accrued: int,
             as_of: dt.date) -> Position:
    """The loan's position on `as_of`. ValueError when the repayments pay more jasa, pokok
    or denda than the schedule and the accrued denda hold (the service refuses those)."""
    counted = [p for p in paid if p.on <= as_of]
    if any(min(p.denda, p.jasa, p.pokok) < 0 for p in counted) or denda_accrued < 0:
        raise ValueError("amounts must not be negative")
    jasa_left = sum(p.jasa for p in counted)
    pokok_left = sum(p.pokok for p in counted)
    principal = sum(row.pokok for row in schedule)
    if pokok_left > principal or jasa_left > sum(row.jasa for row in schedule):
        raise ValueError("repayments exceed the schedule")
    denda_due = denda_accrued - sum(p.denda for p in counted)
    if denda_due < 0:
        raise ValueError("denda paid exceeds denda accrued")
    outstanding = principal - pokok_left

    statuses: list[InstalmentStatus] = []
    for row in schedule:
        paid_jasa, paid_pokok = min(jasa_left, row.jasa), min(pokok_left, row.pokok)
        jasa_left -= paid_jasa
        pokok_left -= paid_pokok
        statuses.append(InstalmentStatus(row.number, row.due_date, row.pokok, row.jasa,
                                         paid_pokok, paid_jasa,
                                         _state(row, paid_pokok, paid_jasa, as_of)))

    due = [s for s in statuses if s.due_date <= as_of and not s.fully_paid]
    unpaid = [s for s in statuses if not s.fully_paid]
    return Position(
        as_of=as_of,
        outstanding_pokok=outstanding,
        due_jasa=sum(s.unpaid_jasa for s in due),
        due_pokok=sum(s.unpaid_pokok for s in due),
        denda_due=denda_due,
        days_past_due=(as_of - due[0].due_date).days if due else 0,
        overdue_instalments=tuple(s.number for s in statuses
                                  if s.state is InstalmentState.TERLAMBAT),
        next_instalment=unpaid[0] if unpaid else None,
        instalments=tuple(statuses),
        fully_repaid=not unpaid and denda_due == 0,
    )
