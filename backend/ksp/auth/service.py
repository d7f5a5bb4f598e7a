"""Passwords (Argon2id), signed session tokens checked against the account on every
request, staff accounts, and the role matrix."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from zxcvbn import zxcvbn

from ksp.auth import throttle
from ksp.auth.errors import (
    BadCredentials,
    CannotChangeOwnRole,
    CannotDisableSelf,
    CurrentPasswordWrong,
    SessionEnded,
    StaffOnly,
    UnknownStaff,
    UsernameTaken,
    WalletReplaced,
    WeakPassword,
)
from ksp.auth.models import Role, StaffUser
from ksp.core import clock
from ksp.core.db import reading
from ksp.core.errors import InvalidInput, Unauthenticated
from ksp.core.settings import Settings
from ksp.members.models import Member, MemberStatus

__all__ = ["BadCredentials", "UsernameTaken"]  # kept importable from here

TOKEN_TTL = {"staff": dt.timedelta(hours=8), "member": dt.timedelta(hours=2)}
_hasher = PasswordHasher()

STAFF_ROLES = (Role.SUPER_ADMIN, Role.ADMIN, Role.PENGURUS, Role.PENGAWAS)
READ_ALL = STAFF_ROLES
WRITE = (Role.SUPER_ADMIN, Role.ADMIN, Role.PENGURUS)  # pengawas read, never write
APPROVE = (Role.PENGURUS,)  # approvals and AD/ART changes need the board

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
PASSWORD_MIN_SCORE = 3  # zxcvbn: 0 (guessed at once) .. 4 (very hard to guess)


@dataclass(frozen=True)
class Principal:
    subject: str  # staff username or member number
    role: Role
    member_number: int | None = None
    epoch: int = 0  # staff: the account's session epoch when the token was issued
    wallet: str | None = None  # member: the address that signed in

    @property
    def actor(self) -> str:
        return f"anggota:{self.member_number}" if self.role is Role.ANGGOTA else self.subject


# --- passwords -----------------------------------------------------------------------


def check_password_policy(password: str, *, username: str = "") -> None:
    """Refuses a password that is short or easy to guess, saying why in both languages."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(reason_id=f"minimal {PASSWORD_MIN_LENGTH} karakter",
                           reason_en=f"at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(reason_id=f"maksimal {PASSWORD_MAX_LENGTH} karakter",
                           reason_en=f"at most {PASSWORD_MAX_LENGTH} characters")
    # zxcvbn's cost grows with length; the cap above keeps it bounded.
    result = zxcvbn(password, user_inputs=[username, "koperasi", "ksp"] if username else [])
    if result["score"] < PASSWORD_MIN_SCORE:
        hint = result["feedback"]["warning"] or "it resembles common passwords or patterns"
        raise WeakPassword(
            reason_id=(f"terlalu mudah ditebak (kekuatan {result['score']} dari 4, minimal "
                       f"{PASSWORD_MIN_SCORE}); pakai beberapa kata yang tidak umum"),
            reason_en=(f"too easy to guess (strength {result['score']} of 4, at least "
                       f"{PASSWORD_MIN_SCORE}): {hint}"),
            score=result["score"])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except VerificationError:
        return False


_DUMMY_HASH = _hasher.hash("no such user")


# --- staff accounts ------------------------------------------------------------------


def check_staff_role(role: Role) -> None:
    if role not in STAFF_ROLES:
        raise InvalidInput(field="role", reason_id="bukan peran staf",
                           reason_en="not a staff role")


def create_staff(session: Session, *, username: str, password: str, role: Role) -> StaffUser:
    check_staff_role(role)
    if session.scalars(select(StaffUser).where(StaffUser.username == username)).first():
        raise UsernameTaken(username=username)
    check_password_policy(password, username=username)
    user = StaffUser(username=username, password_hash=_hasher.hash(password), role=role,
                     active=True, created_at=clock.now(), session_epoch=0)
    session.add(user)
    session.flush()
    return user


def _staff(session: Session, username: str, *, lock: bool = False) -> StaffUser:
    query = select(StaffUser).where(StaffUser.username == username)
    user = session.scalars(query.with_for_update() if lock else query).first()
    if user is None:
        raise UnknownStaff(username=username)
    return user


def authenticate_staff(factory: sessionmaker[Session], *, username: str,
                       password: str) -> Principal:
    with factory() as session:  # closed before the slow hash: SQLite has one writer
        user = session.execute(select(StaffUser.password_hash, StaffUser.active,
                                      StaffUser.role, StaffUser.session_epoch)
                               .where(StaffUser.username == username)).first()
    if user is None or not user.active:
        # Same work as a real check, so response time does not reveal which usernames exist.
        _verify(_DUMMY_HASH, password)
        raise BadCredentials()
    if not _verify(user.password_hash, password):
        raise BadCredentials()
    return Principal(subject=username, role=user.role, epoch=user.session_epoch)


def login_staff(factory: sessionmaker[Session], settings: Settings, *, username: str,
                password: str, client_ip: str | None) -> Principal:
    """Password sign-in behind the throttle: 429 while locked or over the IP limit."""
    throttle.admit(factory, settings, username=username, client_ip=client_ip)
    try:
        principal = authenticate_staff(factory, username=username, password=password)
    except BadCredentials:
        throttle.record_failure(factory, settings, username=username)
        raise
    throttle.record_success(factory, username=username)
    return principal


def change_password(session: Session, principal: Principal, *, current: str,
                    new: str) -> Principal:
    """The staff user's own password; every older token of theirs stops working."""
    if principal.role is Role.ANGGOTA:
        raise StaffOnly()
    user = _staff(session, principal.subject, lock=True)
    if not _verify(user.password_hash, current):
        raise CurrentPasswordWrong()
    check_password_policy(new, username=user.username)
    user.password_hash = _hasher.hash(new)
    user.session_epoch += 1
    session.flush()
    return Principal(subject=user.username, role=user.role, epoch=user.session_epoch)


def set_staff_active(session: Session, username: str, *, active: bool,
                     by: str | None = None) -> StaffUser:
    """Disables or re-enables an account; a disabled account's tokens stop at once and
    re-enabling does not revive them (the epoch moves on)."""
    if by == username and not active:
        raise CannotDisableSelf()
    user = _staff(session, username, lock=True)
    if user.active != active:
        user.active = active
        user.session_epoch += 1
        session.flush()
    return user


def set_staff_role(session: Session, username: str, *, role: Role, by: str) -> StaffUser:
    """Changes a staff account's role; its sessions end (the epoch moves on), so the new
    role applies from the next sign-in."""
    check_staff_role(role)
    if by == username:
        raise CannotChangeOwnRole()
    user = _staff(session, username, lock=True)
    if user.role is not role:
        user.role = role
        user.session_epoch += 1
        session.flush()
    return user


def list_staff(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


# --- session tokens ------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(principal: Principal, secret: bytes) -> str:
    kind = "member" if principal.role is Role.ANGGOTA else "staff"
    expires = clock.now() + TOKEN_TTL[kind]
    claims = {"sub": principal.subject, "role": principal.role.value,
              "member": principal.member_number, "exp": int(expires.timestamp())}
    if kind == "staff":
        claims["ep"] = principal.epoch
    else:
        claims["addr"] = principal.wallet
    body = json.dumps(claims, separators=(",", ":")).encode()
    signature = hmac.new(secret, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(signature)}"


def read_token(token: str, secret: bytes) -> Principal:
    """The signed claims; `check_session` then asks the database whether they still hold."""
    try:
        body_part, signature_part = token.split(".")
        body = _unb64(body_part)
        expected = hmac.new(secret, body, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature_part)):
            raise ValueError("bad signature")
        claims = json.loads(body)
        if claims["exp"] < clock.now().timestamp():
            raise ValueError("expired")
        return Principal(subject=str(claims["sub"]), role=Role(claims["role"]),
                         member_number=claims.get("member"), epoch=int(claims.get("ep", 0)),
                         wallet=claims.get("addr"))
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated() from exc


def check_session(session: Session, principal: Principal) -> None:
    """A token lives only as long as its account: staff active and in the same epoch
    (same role), a member not exited and still holding the wallet that signed in."""
    if principal.role is Role.ANGGOTA:
        member = session.execute(select(Member.status, Member.wallet_address)
                                 .where(Member.number == principal.member_number)).first()
        if (member is None or member.status is MemberStatus.KELUAR
                or member.wallet_address is None):
            raise SessionEnded()
        if member.wallet_address != principal.wallet:  # only a lost key's replacement does it
            raise WalletReplaced()
        return
    staff = session.execute(select(StaffUser.active, StaffUser.session_epoch, StaffUser.role)
                            .where(StaffUser.username == principal.subject)).first()
    if (staff is None or not staff.active or staff.session_epoch != principal.epoch
            or staff.role is not principal.role):
        raise SessionEnded()


def session_principal(factory: sessionmaker[Session], token: str, secret: bytes) -> Principal:
    principal = read_token(token, secret)
    with reading(factory) as session:  # the request's own transaction starts later
        check_session(session, principal)
    return principal
