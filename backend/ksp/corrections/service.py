"""Maker-checker reversals. A staff member proposes reversing a journal entry, a different
pengurus approves or rejects; only the approval posts (through `ksp.ledger.journal`), and
a reversed savings posting gets its SavingsToken mirror like any savings movement."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.accounting.products import JENIS_OF_ACCOUNT, Jenis
from ksp.core import clock
from ksp.core.errors import Forbidden
from ksp.core.money import format_rupiah
from ksp.corrections.errors import (
    ApproverIsProposer,
    CorrectionAlreadyDecided,
    CorrectionNotAllowed,
    CorrectionNotFound,
    CorrectionPending,
    EntryNotFound,
    ReversalMakesBalanceNegative,
)
from ksp.corrections.models import CorrectionRequest, CorrectionStatus
from ksp.ledger import journal, log
from ksp.ledger.chart import account_types
from ksp.ledger.errors import AlreadyReversed
from ksp.ledger.models import AccountType, JournalEntry, Side
from ksp.ledger.reports import member_balances
from ksp.members import service as members
from ksp.members.models import MemberStatus
from ksp.savings import service as savings

PROPOSE_ROLES = ("super_admin", "admin", "pengurus")
DECIDE_ROLES = ("pengurus",)


@dataclass(frozen=True)
class Decision:
    correction: CorrectionRequest
    seq: int  # the reversal entry (approved) or the `correction.rejected` entry


def _entry(session: Session, seq: int) -> JournalEntry:
    entry = session.scalars(select(JournalEntry).where(JournalEntry.seq == seq)).first()
    if entry is None:
        raise EntryNotFound(seq=seq)
    return entry


def _refuse_if_reversed(session: Session, entry: JournalEntry) -> None:
    taken = session.scalars(select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id))
    if taken.first() is not None:
        raise AlreadyReversed(entry_id=entry.id)


def _check_balances_stay_positive(session: Session, entry: JournalEntry) -> None:
    """Reversing takes each member line's effect back out of today's balance, which must
    not go below zero (e.g. a deposit already withdrawn)."""
    types = account_types(session)
    effect: dict[tuple[int, str], int] = {}
    for line in entry.lines:
        if line.member_number is None:
            continue
        debit_normal = types[line.account_code] in (AccountType.ASSET, AccountType.EXPENSE)
        sign = 1 if (line.side == Side.DEBIT) == debit_normal else -1
        key = (line.member_number, line.account_code)
        effect[key] = effect.get(key, 0) + sign * line.amount
    for (member, account), added in sorted(effect.items()):
        after = member_balances(session, member=member).get(account, 0) - added
        if after < 0:
            raise ReversalMakesBalanceNegative(member=member, account=account,
                                               balance=format_rupiah(after))


def _check_membership_allows(session: Session, entry: JournalEntry) -> None:
    """Membership follows from savings postings: simpanan pokok admitted the member and a
    payout went with leaving, so neither is undone by a bare reversal."""
    for line in entry.lines:
        jenis = JENIS_OF_ACCOUNT.get(line.account_code)
        if jenis is None or line.member_number is None:
            continue
        if jenis is Jenis.POKOK and line.side == Side.CREDIT:
            raise CorrectionNotAllowed(
                seq=entry.seq, reason_id="simpanan pokok ini menerima anggota",
                reason_en="this simpanan pokok admitted the member")
        member = members.get_member(session, line.member_number)
        if member.status is not MemberStatus.ANGGOTA:
            raise CorrectionNotAllowed(
                seq=entry.seq, reason_id=f"anggota {member.number} berstatus "
                f"{member.status.value}", reason_en=f"member {member.number} is "
                f"{member.status.value}")


def _check_role(role: str, allowed: tuple[str, ...]) -> None:
    if role not in allowed:
        raise Forbidden()


def propose(session: Session, *, seq: int, reason: str, actor: str,
            role: str) -> CorrectionRequest:
    """Step 1: nothing is posted; the proposal is a `correction.proposed` log entry."""
    _check_role(role, PROPOSE_ROLES)
    log.lock_head(session)  # serialises proposals and decisions with postings
    entry = _entry(session, seq)
    _refuse_if_reversed(session, entry)
    pending = session.scalars(select(CorrectionRequest.id).where(
        CorrectionRequest.entry_seq == seq,
        CorrectionRequest.status == CorrectionStatus.MENUNGGU)).first()
    if pending is not None:
        raise CorrectionPending(seq=seq, correction=pending)
    _check_membership_allows(session, entry)
    _check_balances_stay_positive(session, entry)  # early word; checked again on approval
    appended = log.append(session, "correction.proposed", {
        "reverses_seq": seq, "reason": reason, "proposed_by": actor, "proposed_role": role})
    correction = CorrectionRequest(
        entry_seq=seq, reason=reason, status=CorrectionStatus.MENUNGGU, proposed_by=actor,
        proposed_role=role, proposed_at=clock.now(), proposal_seq=appended.seq)
    session.add(correction)
    session.flush()
    return correction


def _pending(session: Session, correction_id: int, actor: str, role: str) -> CorrectionRequest:
    _check_role(role, DECIDE_ROLES)
    log.lock_head(session)
    correction = session.get(CorrectionRequest, correction_id, with_for_update=True)
    if correction is None:
        raise CorrectionNotFound(correction=correction_id)
    if correction.status is not CorrectionStatus.MENUNGGU:
        raise CorrectionAlreadyDecided(correction=correction_id,
                                       status=correction.status.value)
    if correction.proposed_by == actor:
        raise ApproverIsProposer(correction=correction_id)
    return correction


def _decided(correction: CorrectionRequest, status: CorrectionStatus, actor: str, role: str,
             seq: int, reason: str | None = None) -> None:
    correction.status, correction.decided_by, correction.decided_role = status, actor, role
    correction.decided_at, correction.decision_seq = clock.now(), seq
    correction.decision_reason = reason


def approve(session: Session, *, correction_id: int, actor: str, role: str) -> Decision:
    """Step 2: a different pengurus approves; the reversal entry, dated today, names the
    proposal and both people. Savings lines are mirrored with the opposite delta."""
    _check_role(role, DECIDE_ROLES)
    found = session.get(CorrectionRequest, correction_id)
    if found is None:
        raise CorrectionNotFound(correction=correction_id)
    original = _entry(session, found.entry_seq)
    # Member rows before the log head, the order deposits and withdrawals take: a
    # withdrawal cannot slip between the balance check below and the reversal.
    for number in sorted({ln.member_number for ln in original.lines
                         if ln.member_number is not None}):
        members.get_member(session, number, lock=True)
    correction = _pending(session, correction_id, actor, role)
    _check_membership_allows(session, original)
    _check_balances_stay_positive(session, original)
    reversal = journal.reverse(
        session, entry_id=original.id, entry_date=clock.today(),
        memo=f"Koreksi {correction.id}: pembalikan entri seq {original.seq}",
        log_data={"correction": correction.id, "proposal_seq": correction.proposal_seq,
                  "correction_reason": correction.reason,
                  "proposed_by": correction.proposed_by, "approved_by": actor})
    for line in original.lines:
        jenis = JENIS_OF_ACCOUNT.get(line.account_code)
        if jenis is None or line.member_number is None:
            continue
        # Savings are credit-normal: a credit line had added to the balance.
        delta = -line.amount if line.side == Side.CREDIT else line.amount
        member = members.get_member(session, line.member_number)
        savings.mirror_movement(session, reversal.seq, member, jenis, delta)
    _decided(correction, CorrectionStatus.DISETUJUI, actor, role, reversal.seq)
    session.flush()
    return Decision(correction, reversal.seq)


def reject(session: Session, *, correction_id: int, actor: str, role: str,
           reason: str) -> Decision:
    """Step 2, the other way: nothing is posted; a `correction.rejected` log entry."""
    correction = _pending(session, correction_id, actor, role)
    appended = log.append(session, "correction.rejected", {
        "correction": correction.id, "proposal_seq": correction.proposal_seq,
        "reverses_seq": correction.entry_seq, "reason": reason,
        "proposed_by": correction.proposed_by, "rejected_by": actor})
    _decided(correction, CorrectionStatus.DITOLAK, actor, role, appended.seq, reason)
    session.flush()
    return Decision(correction, appended.seq)


def listing(session: Session, *, status: CorrectionStatus | None, limit: int,
            offset: int) -> list[CorrectionRequest]:
    query = select(CorrectionRequest).order_by(CorrectionRequest.id.desc())
    if status is not None:
        query = query.where(CorrectionRequest.status == status)
    return list(session.scalars(query.limit(limit).offset(offset)))
