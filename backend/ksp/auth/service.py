"""Passwords (Argon2id), signed session tokens, and the role matrix."""

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
from sqlalchemy.orm import Session

from ksp.auth.models import Role, StaffUser
from ksp.core import clock
from ksp.core.errors import Conflict, KspError, Unauthenticated

TOKEN_TTL = {"staff": dt.timedelta(hours=8), "member": dt.timedelta(hours=2)}
_hasher = PasswordHasher()

STAFF_ROLES = (Role.SUPER_ADMIN, Role.ADMIN, Role.PENGURUS, Role.PENGAWAS)
READ_ALL = STAFF_ROLES
WRITE = (Role.SUPER_ADMIN, Role.ADMIN, Role.PENGURUS)  # pengawas read, never write
APPROVE = (Role.PENGURUS,)  # approvals and AD/ART changes need the board


class BadCredentials(KspError):
    code = "bad_credentials"
    status = 401
    message_id = "Nama pengguna atau kata sandi salah."
    message_en = "Wrong username or password."


class UsernameTaken(Conflict):
    code = "username_taken"
    message_id = "Nama pengguna {username} sudah dipakai."
    message_en = "Username {username} is taken."


@dataclass(frozen=True)
class Principal:
    subject: str  # staff username or member number
    role: Role
    member_number: int | None = None

    @property
    def actor(self) -> str:
        return f"anggota:{self.member_number}" if self.role is Role.ANGGOTA else self.subject


def create_staff(session: Session, *, username: str, password: str, role: Role) -> StaffUser:
    if session.scalars(select(StaffUser).where(StaffUser.username == username)).first():
        raise UsernameTaken(username=username)
    user = StaffUser(username=username, password_hash=_hasher.hash(password), role=role,
                     active=True, created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def authenticate_staff(session: Session, *, username: str, password: str) -> Principal:
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or not user.active:
        # Same work as a real check, so response time does not reveal which usernames exist.
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise BadCredentials()
    try:
        _hasher.verify(user.password_hash, password)
    except VerificationError as exc:
        raise BadCredentials() from exc
    return Principal(subject=user.username, role=user.role)


_DUMMY_HASH = _hasher.hash("no such user")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(principal: Principal, secret: bytes) -> str:
    kind = "member" if principal.role is Role.ANGGOTA else "staff"
    expires = clock.now() + TOKEN_TTL[kind]
    body = json.dumps({"sub": principal.subject, "role": principal.role.value,
                       "member": principal.member_number, "exp": int(expires.timestamp())},
                      separators=(",", ":")).encode()
    signature = hmac.new(secret, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(signature)}"


def read_token(token: str, secret: bytes) -> Principal:
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
                         member_number=claims.get("member"))
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated() from exc
