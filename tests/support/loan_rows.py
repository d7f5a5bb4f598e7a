"""A disbursed loan made straight in the tables, for tests of what happens after disbursement
(the daily close, the portfolio, write-off), without the application, approval and signed
acceptance before it (tests/loans/world.py walks that path). The Loan row holds the agreed
terms (the schedule and the denda rule in terms_json, as the loan service writes them) under
the default product "umum" (version 0), and the disbursement posts through the posting rules,
so the ledger is real; repayments go through the loan service. Members come from
`factories.join`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from ksp.accounting import postings
from ksp.core import clock
from ksp.loans import service
from ksp.loans.denda import DendaBasis, DendaRule
from ksp.loans.models import Loan, LoanStatus
from ksp.loans.schedule import Method, build_schedule

# 0,1% a day of the overdue instalments after 3 grace days.
DENDA_0_1 = DendaRule(bps_per_day=10, basis=DendaBasis.INSTALMENT, grace_days=3)
BACKDATED = "Input pinjaman lama untuk pengujian"


def disbursed_loan(session: Session, *, member: int, principal: int = 10_000_000,
                   rate_bps: int = 1800, tenor_months: int = 12,
                   method: Method = Method.ANNUITY, first_due: dt.date,
                   disbursed_on: dt.date, denda_rule: DendaRule = DENDA_0_1,
                   admin_fee: int = 0, related_party: bool = False) -> Loan:
    schedule = build_schedule(principal, rate_bps, tenor_months, method, first_due)
    terms: dict[str, Any] = {
        "principal": principal, "rate_bps": rate_bps, "method": method.value,
        "tenor_months": tenor_months, "first_due_date": first_due.isoformat(),
        "admin_fee": admin_fee,
        "denda": {"bps_per_day": denda_rule.bps_per_day, "basis": denda_rule.basis.value,
                  "grace_days": denda_rule.grace_days},
        "schedule": [{"number": row.number, "due_date": row.due_date.isoformat(),
                      "pokok": row.pokok, "jasa": row.jasa, "total": row.total,
                      "outstanding_after": row.outstanding_after} for row in schedule],
    }
    loan = Loan(member_number=member, product_code="umum", product_version=0,
                principal=principal, rate_bps=rate_bps, method=method.value,
                tenor_months=tenor_months, admin_fee=admin_fee, purpose="Modal usaha tani",
                related_party=related_party, status=LoanStatus.AKTIF, applied_on=disbursed_on,
                applied_by="admin", first_due_date=first_due,
                terms_json=json.dumps(terms, sort_keys=True), disbursed_on=disbursed_on,
                days_past_due=0, kolektibilitas="lancar", written_off=0, recovered=0)
    session.add(loan)
    session.flush()
    postings.post(session, postings.LoanDisbursement(
        member=member, loan_id=loan.id, principal=principal, admin_fee=admin_fee),
        on=disbursed_on, reason=BACKDATED if disbursed_on < clock.today() else None)
    return loan


def repay(session: Session, loan: Loan, *, on: dt.date, amount: int) -> service.Repaid:
    """A teller repayment through the loan service (allocated by the product's order)."""
    return service.repay(session, loan.id, amount=amount, on=on, channel="teller",
                         reason=BACKDATED if on < clock.today() else None)
