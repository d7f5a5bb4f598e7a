"""Agreed terms for the loans of tests/shu/year.py, for the reports that read a loan's
schedule (the portfolio, the prudential figures)."""

from __future__ import annotations

import json

from sqlalchemy import select

from ksp.core.db import transaction
from ksp.loans.models import Loan
from ksp.loans.schedule import Method, build_schedule
from tests.support.client import KspClient


def give_terms(client: KspClient) -> None:
    """tests/shu/year.py makes its loans without the agreed terms and under a product it
    never defines (the SHU needs only their postings); the portfolio reads the schedule and
    the product's BMPP, so the two loans get both here: the default product, monthly from a
    month after disbursement, as the loan service would have agreed them."""
    with transaction(client.app.state.sessionmaker) as session:
        for loan in session.scalars(select(Loan)):
            first_due = loan.disbursed_on.replace(month=loan.disbursed_on.month + 1)
            schedule = build_schedule(loan.principal, loan.rate_bps, loan.tenor_months,
                                      Method(loan.method), first_due)
            loan.first_due_date = first_due
            loan.product_code, loan.product_version = "umum", 0
            loan.terms_json = json.dumps({
                "principal": loan.principal, "rate_bps": loan.rate_bps, "method": loan.method,
                "tenor_months": loan.tenor_months, "first_due_date": first_due.isoformat(),
                "admin_fee": loan.admin_fee,
                "denda": {"bps_per_day": 10, "basis": "angsuran", "grace_days": 3},
                "schedule": [{"number": r.number, "due_date": r.due_date.isoformat(),
                              "pokok": r.pokok, "jasa": r.jasa, "total": r.total,
                              "outstanding_after": r.outstanding_after} for r in schedule]},
                sort_keys=True)
