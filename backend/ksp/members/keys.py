"""A lost phone: the board replaces a member's key after checking their identity.

A staff member proposes the new address, proven by a `link` signature from the member's
new wallet, with a reason; a different pengurus approves. The approval, in one
transaction, changes the member's wallet (the old address's sessions end at once, see
`ksp.auth.service.check_session`), appends `anggota.kunci_diganti` (numbers, addresses and
approvers only, no personal data) and queues the chain writes: `CoopMembers.changeAddress`
and `SavingsToken.moveHolder`, each refused by the contract a second time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.auth.models import Role
from ksp.chain.handlers.keys import move_ref
from ksp.chain.outbox import OutboxKind, enqueue
from ksp.core import clock
from ksp.core.errors import InvalidInput
from ksp.ledger import log
from ksp.members.errors import (
    KeyReplacementDecided,
    KeyReplacementNeedsSecondPengurus,
    KeyReplacementNotFound,
    KeyReplacementStale,
    MemberHasNoWallet,
    MemberNotActive,
    WalletTaken,
)
from ksp.members.models import KeyReplacement, Member, MemberStatus
from ksp.members.service import get_member

REASON_MAX_LENGTH = 200


def _require_free(session: Session, address: str) -> None:
    """No member (the one losing the key included) may hold the new address."""
    if session.scalars(select(Member.id).where(Member.wallet_address == address)).first():
        raise WalletTaken()


def propose(session: Session, *, member_number: int, new_address: str, reason: str,
            actor: str, role: str) -> KeyReplacement:
    """Step 1: nothing changes until another pengurus approves."""
    member = get_member(session, member_number, lock=True)
    if member.status is MemberStatus.KELUAR:
        raise MemberNotActive(number=member.number, status=member.status.value)
    if member.wallet_address is None:
        raise MemberHasNoWallet(number=member.number)
    _require_free(session, new_address)
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > REASON_MAX_LENGTH:
        raise InvalidInput(field="alasan", reason_id="wajib diisi, paling banyak 200 karakter",
                           reason_en="is required, at most 200 characters")
    proposal = KeyReplacement(member_number=member.number, old_address=member.wallet_address,
                              new_address=new_address, reason=cleaned, proposed_by=actor,
                              proposed_role=role, proposed_at=clock.now())
    session.add(proposal)
    session.flush()
    return proposal


def approve(session: Session, *, proposal_id: int, actor: str, role: str) -> int:
    """Step 2, by a pengurus other than the proposer. Returns the log seq."""
    log.lock_head(session)  # one approval at a time: the wallet checks below stay true
    proposal = session.get(KeyReplacement, proposal_id, with_for_update=True)
    if proposal is None:
        raise KeyReplacementNotFound(proposal=proposal_id)
    if proposal.seq is not None:
        raise KeyReplacementDecided(proposal=proposal_id)
    if role != Role.PENGURUS.value or actor == proposal.proposed_by:
        raise KeyReplacementNeedsSecondPengurus()
    member = get_member(session, proposal.member_number, lock=True)
    if member.status is MemberStatus.KELUAR or member.wallet_address != proposal.old_address:
        raise KeyReplacementStale(proposal=proposal_id)
    _require_free(session, proposal.new_address)
    old, new = proposal.old_address, proposal.new_address
    member.wallet_address = new
    appended = log.append(session, "anggota.kunci_diganti", {
        "member": member.number, "old_wallet": old, "new_wallet": new,
        "proposal": proposal.id, "proposed_by": proposal.proposed_by, "approved_by": actor,
    })
    if member.status is MemberStatus.ANGGOTA:  # a calon anggota is not on chain yet
        enqueue(session, seq=appended.seq, kind=OutboxKind.CHANGE_MEMBER_ADDRESS,
                data={"member": member.number, "old_wallet": old, "new_wallet": new})
        enqueue(session, seq=appended.seq, kind=OutboxKind.MOVE_SAVINGS,
                data={"member": member.number, "old_wallet": old, "new_wallet": new,
                      "ref": move_ref(appended.seq)})
    proposal.approved_by, proposal.approved_role = actor, role
    proposal.approved_at, proposal.seq = clock.now(), appended.seq
    return appended.seq


def proposals(session: Session, member_number: int) -> list[KeyReplacement]:
    get_member(session, member_number)
    return list(session.scalars(select(KeyReplacement)
                                .where(KeyReplacement.member_number == member_number)
                                .order_by(KeyReplacement.id)))


def recent(session: Session, limit: int = 200) -> list[KeyReplacement]:
    """Every proposal waiting for approval, then the latest approved ones (the console's
    list), newest first."""
    waiting = list(session.scalars(select(KeyReplacement).where(KeyReplacement.seq.is_(None))
                                   .order_by(KeyReplacement.id.desc()).limit(limit)))
    done = list(session.scalars(select(KeyReplacement).where(KeyReplacement.seq.is_not(None))
                                .order_by(KeyReplacement.id.desc()).limit(limit)))
    return waiting + done
