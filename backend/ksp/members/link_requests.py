"""Linking a member's wallet at the counter without a programmer: the member's phone signs
a `link` challenge naming their member number and files it here under a short code; the
teller types (or scans) the code, checks the member's KTP and confirms. Only then is the
challenge used and the wallet linked, through the same service call as the API link.
A member whose phone was lost files a code the same way from the new phone; staff then
propose the key replacement with it (ksp.members.keys), so the new address is proven by
its own signature, never typed.

The proof is checked when it is filed, so a bad one is refused on the phone; the code
lives as long as the challenge and is deleted when used."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ksp.auth.throttle import aware
from ksp.core import clock
from ksp.core.settings import Settings
from ksp.members import service, wallet
from ksp.members.errors import (
    LinkCodeUnknown,
    MemberNotActive,
    WalletAlreadyLinked,
    WalletProofInvalid,
    WalletTaken,
)
from ksp.members.models import LinkRequest, Member, MemberStatus

# No 0/O, 1/I/L: read aloud or typed from a phone screen without mix-ups.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_TYPED = re.compile(r"[\s-]+")


def shown(code: str) -> str:
    """XXXX-XXXX, as the phone and the console show it."""
    return f"{code[:4]}-{code[4:]}"


def normalise(text: str) -> str | None:
    """A code as typed: any case, the dash and spaces optional; None if it cannot be one."""
    code = _TYPED.sub("", text or "").upper()[:40]
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def qr_text(request: LinkRequest) -> str:
    return f"KSP-LINK:1:{request.member_number}:{request.code}"


def _sweep(session: Session) -> None:
    session.execute(delete(LinkRequest).where(LinkRequest.expires_at <= clock.now()))


def create(session: Session, *, message: str, signature: str,
           settings: Settings) -> LinkRequest:
    """Files a valid `link` proof naming a member; the same proof filed again gets the
    same code back (a phone that retried after a lost reply)."""
    _sweep(session)
    proof = wallet.verify_challenge(session, message=message, signature=signature,
                                    purpose="link", settings=settings)
    if proof.member is None:
        raise WalletProofInvalid(reason_id="pesan tidak menyebut nomor anggota",
                                 reason_en="the message names no member number")
    # Said on the phone, not only at the counter: a mistyped number, a wallet that is
    # someone else's. A member who has a wallet may file one too: a lost phone's new wallet.
    member = service.get_member(session, proof.member)
    if member.status is MemberStatus.KELUAR:
        raise MemberNotActive(number=member.number, status=member.status.value)
    if session.scalars(select(Member.number)
                       .where(Member.wallet_address == proof.address)).first() is not None:
        raise WalletTaken()
    existing = session.scalars(select(LinkRequest)
                               .where(LinkRequest.nonce == proof.nonce)).first()
    if existing is not None:
        return existing
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    while session.get(LinkRequest, code) is not None:  # 31^8 codes: almost never
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    request = LinkRequest(code=code, nonce=proof.nonce, address=proof.address,
                          member_number=proof.member, message=message, signature=signature,
                          created_at=clock.now(), expires_at=proof.expires_at)
    session.add(request)
    session.flush()
    return request


def open_request(session: Session, typed: str, *, lock: bool = False) -> LinkRequest:
    """The open request under a typed code, or LinkCodeUnknown (also when expired)."""
    code = normalise(typed)
    if code is None:
        raise LinkCodeUnknown(code=typed.strip()[:20] or "—")
    request = session.get(LinkRequest, code, with_for_update=lock)
    if request is None or aware(request.expires_at) <= clock.now():
        raise LinkCodeUnknown(code=shown(code))
    return request


def for_member(session: Session, typed: str, member: int) -> LinkRequest:
    """The open request under `typed`, refused unless it was made for `member`."""
    request = open_request(session, typed)
    wallet.check_member(_proof_of(request), member)
    return request


def _proof_of(request: LinkRequest) -> wallet.Proof:
    return wallet.Proof(address=request.address, member=request.member_number,
                        nonce=request.nonce, expires_at=request.expires_at)


def take(session: Session, *, typed: str, member: int, settings: Settings) -> str:
    """Uses the request filed under `typed` for `member`: the challenge is consumed, the
    request deleted; the proven wallet address."""
    request = open_request(session, typed, lock=True)
    wallet.check_member(_proof_of(request), member)
    address = wallet.consume_challenge(session, message=request.message,
                                       signature=request.signature, purpose="link",
                                       settings=settings, member=member)
    session.delete(request)
    session.flush()
    return address


def complete(session: Session, *, typed: str, member: int, settings: Settings) -> int:
    """The teller's confirmation: the wallet linked (admitted on chain and balances minted
    by service.link_wallet). The seq of the `anggota.dompet` entry."""
    for_member(session, typed, member)  # an unknown or foreign code is said first
    target = service.get_member(session, member, lock=True)
    if target.wallet_address is not None:
        raise WalletAlreadyLinked(number=member)
    return service.link_wallet(session, target, take(session, typed=typed, member=member,
                                                     settings=settings))


def link_status(session: Session, address: str) -> int | None:
    """The number of the active member this wallet is linked to, if any."""
    account = wallet.checksum(address)
    return session.scalars(select(Member.number).where(
        Member.wallet_address == account, Member.status != MemberStatus.KELUAR)).first()
