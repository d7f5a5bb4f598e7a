"""A loan's standing on a date, read from its rows: the schedule of its agreed terms, the
repayments as allocated (LoanRepayment), the denda accrued by the daily close
(LoanDendaAccrual). The pure rules (schedule, position, denda) do the arithmetic."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.loans.denda import DendaBasis, DendaRule
from ksp.loans.models import Loan, LoanDendaAccrual, LoanRepayment
from ksp.loans.position import Paid, Position, position
from ksp.loans.schedule import Instalment, Method, build_schedule

# A loan whose terms name no denda rule accrues none.
NO_DENDA = DendaRule(bps_per_day=0, basis=DendaBasis.INSTALMENT, grace_days=0)


def terms_of(loan: Loan) -> dict[str, Any]:
    terms: dict[str, Any] = json.loads(loan.terms_json) if loan.terms_json else {}
    return terms


def schedule_of(loan: Loan) -> tuple[Instalment, ...]:
    """The schedule the member signed (terms "schedule"); recomputed from the terms' figures
    for terms that do not list it."""
    rows = terms_of(loan).get("schedule")
    if rows:
        return tuple(Instalment(number=int(row["number"]),
                                due_date=dt.date.fromisoformat(row["due_date"]),
                                pokok=int(row["pokok"]), jasa=int(row["jasa"]),
                                outstanding_after=int(row["outstanding_after"]))
                     for row in rows)
    if loan.first_due_date is None:
        raise ValueError(f"loan {loan.id} has no first due date")
    return build_schedule(loan.principal, loan.rate_bps, loan.tenor_months, Method(loan.method),
                          loan.first_due_date)


def denda_rule_of(loan: Loan) -> DendaRule:
    """The denda rule the member signed (terms "denda": bps_per_day, basis, grace_days)."""
    rule = terms_of(loan).get("denda")
    if not rule:
        return NO_DENDA
    return DendaRule(bps_per_day=int(rule["bps_per_day"]), basis=DendaBasis(rule["basis"]),
                     grace_days=int(rule["grace_days"]))


def repayments_of(session: Session, loan_ids: Sequence[int]) -> dict[int, list[Paid]]:
    """Each loan's repayments as allocated, in the order they were posted."""
    paid: dict[int, list[Paid]] = {loan_id: [] for loan_id in loan_ids}
    if not loan_ids:
        return paid
    rows = session.scalars(select(LoanRepayment).where(LoanRepayment.loan_id.in_(loan_ids))
                           .order_by(LoanRepayment.seq))
    for row in rows:
        paid[row.loan_id].append(Paid(on=row.paid_on, denda=row.denda, jasa=row.jasa,
                                      pokok=row.pokok))
    return paid


def denda_accrued(session: Session, loan_ids: Sequence[int], *, through: dt.date
                  ) -> dict[int, int]:
    """Denda accrued on each loan through `through` (inclusive)."""
    totals = dict.fromkeys(loan_ids, 0)
    if not loan_ids:
        return totals
    rows = session.execute(
        select(LoanDendaAccrual.loan_id, func.sum(LoanDendaAccrual.amount))
        .where(LoanDendaAccrual.loan_id.in_(loan_ids), LoanDendaAccrual.accrued_on <= through)
        .group_by(LoanDendaAccrual.loan_id))
    for loan_id, amount in rows:
        totals[loan_id] = int(amount)
    return totals


@dataclass
class LoanBook:
    """What one loan's standing is computed from, loaded once (a close may run many days)."""

    loan: Loan
    schedule: tuple[Instalment, ...]
    paid: list[Paid]
    rule: DendaRule

    def on(self, day: dt.date, accrued: int) -> Position:
        """The position at the end of `day`: repayments dated on or before it count."""
        return position(self.schedule, [p for p in self.paid if p.on <= day], accrued, day)


def books_of(session: Session, loans: Sequence[Loan]) -> list[LoanBook]:
    paid = repayments_of(session, [loan.id for loan in loans])
    return [LoanBook(loan, schedule_of(loan), paid[loan.id], denda_rule_of(loan))
            for loan in loans]


def standing(session: Session, loan: Loan, on: dt.date) -> Position:
    """One loan's position on `on`."""
    book = books_of(session, [loan])[0]
    return book.on(on, denda_accrued(session, [loan.id], through=on)[loan.id])
