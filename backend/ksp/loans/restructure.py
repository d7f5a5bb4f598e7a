"""Restrukturisasi: a loan in difficulty replaced by a new one for its outstanding pokok, on a
new schedule the member signs again.

1. `propose_restructuring`: staff propose the new loan (status diusulkan, `restructured_from`
   the old one) for the old loan's outstanding pokok on the day, no admin fee, a new tenor
   (and rate within the product). Unpaid jasa and denda of the old loan were never booked
   (income is recognised when paid), so they are not carried over: they are waived, and the
   log entry says how much.
2. The loan service approves it (a pengurus who did not propose it; the BMPP check does not
   count the replaced loan twice), registers the offer and relays the member's signed
   acceptance, as for any loan (docs/LOAN_PROCESS.md).
3. `take_over` instead of a payout (which would pay cash): once the acceptance is on chain,
   the new loan is aktif from the day and the old one direstrukturisasi; no journal entry,
   since the member owes the same pokok. Refused when the old loan was repaid since the
   proposal (the amounts no longer agree). On chain the old loan becomes Restructured
   (SET_LOAN_STATUS 7 with the take-over's seq; the log entry names the new loan)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ksp.chain.outbox import OutboxKind, enqueue
from ksp.core.money import format_rupiah
from ksp.loans import service
from ksp.loans.errors import InvalidLoanState, LoanNotAcceptedOnChain
from ksp.loans.models import Loan, LoanStatus
from ksp.loans.portfolio import OPEN_STATUSES
from ksp.loans.portfolio_errors import RestructureOutdated
from ksp.loans.standing import standing
from ksp.loans.writeoff import decide

CHAIN_RESTRUCTURED = 7  # ILoanAgreements.LoanStatus.Restructured


@dataclass(frozen=True)
class Restructured:
    old: Loan
    new: Loan
    seq: int


def propose_restructuring(session: Session, *, loan_id: int, tenor_months: int,
                          rate_bps: int | None, actor: str, role: str, on: dt.date,
                          note: str | None = None) -> Restructured:
    old = service.get_loan(session, loan_id, lock=True)
    if old.status not in OPEN_STATUSES:
        raise InvalidLoanState(loan_id=old.id, status=old.status.value,
                               action="restrukturisasi")
    position = standing(session, old, on)
    rate = old.rate_bps if rate_bps is None else rate_bps  # the approval checks the product
    new = Loan(member_number=old.member_number, product_code=old.product_code,
               product_version=old.product_version, principal=position.outstanding_pokok,
               rate_bps=rate, method=old.method, tenor_months=tenor_months, admin_fee=0,
               purpose=f"Restrukturisasi pinjaman #{old.id}",
               declared_income=old.declared_income, related_party=old.related_party,
               status=LoanStatus.DIUSULKAN, applied_on=on, applied_by=actor,
               restructured_from=old.id, days_past_due=0, kolektibilitas="lancar",
               written_off=0, recovered=0)
    session.add(new)
    session.flush()
    seq = decide(session, new, action="usulkan", actor=actor, role=role, note=note,
                 data={"restructures": old.id, "principal": new.principal, "rate_bps": rate,
                       "tenor_months": tenor_months, "waived_jasa": position.due_jasa,
                       "waived_denda": position.denda_due, "on": on.isoformat()})
    return Restructured(old, new, seq)


def take_over(session: Session, *, loan_id: int, actor: str, role: str,
              on: dt.date) -> Restructured:
    """The signed restructured loan replaces the old one (no money moves)."""
    new = service.get_loan(session, loan_id, lock=True)
    if new.restructured_from is None or new.status is not LoanStatus.DITERIMA:
        raise InvalidLoanState(loan_id=new.id, status=new.status.value, action="ambil alih")
    if not service.accepted_on_chain(session, new.id):
        raise LoanNotAcceptedOnChain(loan_id=new.id)
    old = service.get_loan(session, new.restructured_from, lock=True)
    outstanding = standing(session, old, on).outstanding_pokok
    if old.status not in OPEN_STATUSES or outstanding != new.principal:
        raise RestructureOutdated(loan_id=old.id, outstanding=format_rupiah(outstanding),
                                  principal=format_rupiah(new.principal))
    new.status = LoanStatus.AKTIF
    new.disbursed_on = on
    old.status = LoanStatus.DIRESTRUKTURISASI
    old.closed_on = on
    seq = decide(session, old, action="direstrukturisasi", actor=actor, role=role,
                 note=None, data={"replaced_by": new.id, "outstanding": outstanding,
                                  "on": on.isoformat()})
    enqueue(session, kind=OutboxKind.SET_LOAN_STATUS, seq=seq,
            ref=f"loan:{old.id}:status:{seq}",
            data={"member": old.member_number, "loan_id": old.id,
                  "status": CHAIN_RESTRUCTURED})
    return Restructured(old, new, seq)
