"""Hapus buku (write-off) of a macet loan, and recoveries after it.

A write-off is proposed by staff and needs two approvals, one by a pengurus and one by a
pengawas, neither of them the proposer. Each step is a log entry and a LoanDecision. The
second approval writes the loan off: the outstanding principal leaves the books, first
against the allowance for losses (as much of it as there is, up to the outstanding), the rest
as an expense (`postings.LoanWriteOff`); status dihapusbukukan; WRITE_OFF_LOAN on chain.

A recovery is money collected on a written-off loan, at most what was written off minus what
was recovered before: income (`postings.LoanRecovery`); RECORD_RECOVERY on chain."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.accounting import postings
from ksp.chain.outbox import OutboxKind, enqueue
from ksp.core import clock
from ksp.core.errors import InvalidInput
from ksp.core.money import format_rupiah
from ksp.ledger import log
from ksp.loans.errors import ApproverIsProposer, UnknownLoan
from ksp.loans.models import Loan, LoanDecision, LoanStatus
from ksp.loans.portfolio import allowance_balance
from ksp.loans.portfolio_errors import (
    NotWrittenOff,
    NoWriteOffProposal,
    RecoveryTooLarge,
    WriteOffAlreadyApproved,
    WriteOffAlreadyProposed,
    WriteOffApproverRole,
    WriteOffNeedsMacet,
)
from ksp.loans.standing import standing

PROPOSED = "hapus_buku_diusulkan"
APPROVED = "hapus_buku_disetujui"
APPROVER_ROLES = ("pengurus", "pengawas")


@dataclass(frozen=True)
class WriteOffStep:
    loan_id: int
    seq: int  # the step's log entry
    approvals: tuple[str, ...]  # roles that approved the open proposal so far
    written_off: int  # 0 until the second approval
    from_allowance: int
    entry_seq: int | None  # the write-off's journal entry


@dataclass(frozen=True)
class Recovery:
    loan_id: int
    seq: int
    amount: int
    recovered: int  # in all, after this one
    remaining: int


def _loan(session: Session, loan_id: int) -> Loan:
    loan = session.get(Loan, loan_id, with_for_update=True)
    if loan is None:
        raise UnknownLoan(loan_id=loan_id)
    return loan


def _open_proposal(session: Session, loan: Loan) -> tuple[LoanDecision | None,
                                                             list[LoanDecision]]:
    """The latest proposal and the approvals given after it."""
    steps = list(session.scalars(
        select(LoanDecision).where(LoanDecision.loan_id == loan.id,
                                   LoanDecision.action.in_((PROPOSED, APPROVED)))
        .order_by(LoanDecision.seq)))
    proposal: LoanDecision | None = None
    approvals: list[LoanDecision] = []
    for step in steps:
        if step.action == PROPOSED:
            proposal, approvals = step, []
        else:
            approvals.append(step)
    return proposal, approvals


def decide(session: Session, loan: Loan, *, action: str, actor: str, role: str,
           note: str | None, data: dict[str, object]) -> int:
    """One step someone took on a loan: a log entry `pinjaman.<action>` naming them, and
    its LoanDecision row. Returns the seq."""
    appended = log.append(session, f"pinjaman.{action}", {
        "loan_id": loan.id, "member": loan.member_number, "actor": actor, "role": role,
        **({"note": note} if note else {}), **data})
    session.add(LoanDecision(loan_id=loan.id, action=action, actor=actor, role=role, note=note,
                             decided_at=clock.now(), seq=appended.seq))
    session.flush()
    return appended.seq


def propose_write_off(session: Session, *, loan_id: int, actor: str, role: str,
                      note: str | None = None) -> WriteOffStep:
    loan = _loan(session, loan_id)
    if loan.status is not LoanStatus.MACET:
        raise WriteOffNeedsMacet(loan_id=loan.id, status=loan.status.value)
    proposal, _approvals = _open_proposal(session, loan)
    if proposal is not None:
        raise WriteOffAlreadyProposed(loan_id=loan.id)
    outstanding = standing(session, loan, clock.today()).outstanding_pokok
    seq = decide(session, loan, action=PROPOSED, actor=actor, role=role, note=note,
                  data={"outstanding": outstanding})
    return WriteOffStep(loan.id, seq, (), 0, 0, None)


def approve_write_off(session: Session, *, loan_id: int, actor: str, role: str,
                      note: str | None = None) -> WriteOffStep:
    """One approval; the second (the other board) writes the loan off."""
    loan = _loan(session, loan_id)
    if loan.status is not LoanStatus.MACET:
        raise WriteOffNeedsMacet(loan_id=loan.id, status=loan.status.value)
    if role not in APPROVER_ROLES:
        raise WriteOffApproverRole(role=role)
    proposal, approvals = _open_proposal(session, loan)
    if proposal is None:
        raise NoWriteOffProposal(loan_id=loan.id)
    if proposal.actor == actor:
        raise ApproverIsProposer(actor=actor)
    for given in approvals:
        if given.role == role or given.actor == actor:
            raise WriteOffAlreadyApproved(loan_id=loan.id, role=given.role, actor=given.actor)
    seq = decide(session, loan, action=APPROVED, actor=actor, role=role, note=note,
                  data={"proposal_seq": proposal.seq})
    roles = tuple(sorted({given.role for given in approvals} | {role}))
    if set(roles) != set(APPROVER_ROLES):
        return WriteOffStep(loan.id, seq, roles, 0, 0, None)
    return _write_off(session, loan, seq, roles)


def _write_off(session: Session, loan: Loan, seq: int, roles: tuple[str, ...]) -> WriteOffStep:
    today = clock.today()
    amount = standing(session, loan, today).outstanding_pokok
    from_allowance = max(0, min(allowance_balance(session, today), amount))
    entry = postings.post(session, postings.LoanWriteOff(
        member=loan.member_number, loan_id=loan.id, amount=amount,
        from_allowance=from_allowance), on=today)
    loan.status = LoanStatus.DIHAPUSBUKUKAN
    loan.written_off = amount
    loan.closed_on = today
    enqueue(session, kind=OutboxKind.WRITE_OFF_LOAN, seq=entry.seq,
            data={"member": loan.member_number, "loan_id": loan.id, "amount": amount})
    return WriteOffStep(loan.id, seq, roles, amount, from_allowance, entry.seq)


def record_recovery(session: Session, *, loan_id: int, amount: int,
                    cash_account: str | None = None) -> Recovery:
    """Money collected on a written-off loan; never more than what remains written off."""
    if amount <= 0:
        raise InvalidInput(field="amount", reason_id="harus lebih dari Rp 0",
                           reason_en="must be more than Rp 0")
    loan = _loan(session, loan_id)
    if loan.status is not LoanStatus.DIHAPUSBUKUKAN:
        raise NotWrittenOff(loan_id=loan.id)
    remaining = loan.written_off - loan.recovered
    if amount > remaining:
        raise RecoveryTooLarge(loan_id=loan.id, amount=format_rupiah(amount),
                               remaining=format_rupiah(remaining))
    entry = postings.post(session, postings.LoanRecovery(
        member=loan.member_number, loan_id=loan.id, amount=amount,
        cash_account=cash_account), on=clock.today())
    loan.recovered += amount
    enqueue(session, kind=OutboxKind.RECORD_RECOVERY, seq=entry.seq,
            data={"member": loan.member_number, "loan_id": loan.id, "amount": amount})
    return Recovery(loan.id, entry.seq, amount, loan.recovered,
                    loan.written_off - loan.recovered)
