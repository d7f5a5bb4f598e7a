from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.api.deps import CurrentPrincipal, FactoryDep, SessionDep, SettingsDep, Writer, writer_for
from ksp.api.openapi import error_responses
from ksp.auth import throttle
from ksp.auth.errors import (
    BadCredentials,
    CannotDisableSelf,
    CurrentPasswordWrong,
    StaffOnly,
    TooManyAttempts,
    UnknownStaff,
    WalletReplaced,
    WeakPassword,
)
from ksp.auth.models import Role
from ksp.auth.service import (
    PASSWORD_MAX_LENGTH,
    STAFF_ROLES,
    Principal,
    change_password,
    issue_token,
    login_staff,
    set_staff_active,
)
from ksp.core.settings import Settings
from ksp.members import wallet
from ksp.members.errors import WalletProofInvalid
from ksp.members.models import KeyReplacement, Member, MemberStatus

router = APIRouter(prefix="/api/v1/auth", tags=["masuk"])
StaffWriter = Annotated[Writer, Depends(writer_for(*STAFF_ROLES))]
SuperAdminWriter = Annotated[Writer, Depends(writer_for(Role.SUPER_ADMIN))]


# No control characters: PostgreSQL refuses NUL in text, and no username has them.
USERNAME_PATTERN = r"^[^\x00-\x1f\x7f]*$"


class StaffLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64, pattern=USERNAME_PATTERN)
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)


class WalletLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(max_length=1000)
    signature: str = Field(max_length=200)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(max_length=PASSWORD_MAX_LENGTH)


class TokenOut(BaseModel):
    token: str
    role: Role
    member: int | None


class MeOut(BaseModel):
    subject: str
    role: Role
    member: int | None


class PasswordChangedOut(BaseModel):
    username: str
    sessions_ended: bool = Field(description="Semua token lama tidak berlaku lagi; masuk "
                                             "lagi / every older token stopped working")


class StaffAccountOut(BaseModel):
    username: str
    role: Role
    active: bool


def _token(principal: Principal, settings: Settings) -> dict[str, Any]:
    return {"token": issue_token(principal, settings.secret_key_bytes()),
            "role": principal.role.value, "member": principal.member_number}


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/login", response_model=TokenOut,
             responses=error_responses(BadCredentials, TooManyAttempts))
def staff_login(body: StaffLogin, request: Request, factory: FactoryDep,
                settings: SettingsDep) -> Any:
    """Staff sign in with a password (Argon2id). Repeated failures lock the username for
    a while, and each client IP has an attempt limit: both answer 429 with Retry-After."""
    principal = login_staff(factory, settings, username=body.username, password=body.password,
                            client_ip=_client_ip(request))
    return _token(principal, settings)


@router.post("/wallet", response_model=TokenOut,
             responses=error_responses(WalletProofInvalid, WalletReplaced))
def wallet_login(body: WalletLogin, session: SessionDep, settings: SettingsDep) -> Any:
    """Members sign in by signing a `login` challenge with their wallet."""
    with session.begin():
        address = wallet.consume_challenge(session, message=body.message,
                                           signature=body.signature, purpose="login",
                                           settings=settings)
        member = session.scalars(select(Member).where(Member.wallet_address == address)).first()
        if member is None and session.scalars(select(KeyReplacement.id).where(
                KeyReplacement.old_address == address,
                KeyReplacement.seq.is_not(None))).first() is not None:
            raise WalletReplaced()
        if member is None or member.status is MemberStatus.KELUAR:
            raise WalletProofInvalid(reason_id="dompet tidak terdaftar pada anggota aktif",
                                     reason_en="wallet is not linked to an active member")
        principal = Principal(subject=str(member.number), role=Role.ANGGOTA,
                              member_number=member.number, wallet=address)
    return _token(principal, settings)


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal) -> Any:
    return {"subject": principal.subject, "role": principal.role.value,
            "member": principal.member_number}


def _secret_fingerprint(settings: Settings, *secrets: str) -> list[str]:
    """Keyed digests: the idempotency record must not hold a plain hash of a password."""
    key = settings.secret_key_bytes()
    return [hmac.new(key, s.encode(), hashlib.sha256).hexdigest() for s in secrets]


@router.post("/password", response_model=PasswordChangedOut,
             responses=error_responses(TooManyAttempts, WeakPassword, CurrentPasswordWrong,
                                       StaffOnly))
def password(body: PasswordChange, request: Request, writer: StaffWriter, factory: FactoryDep,
             settings: SettingsDep) -> Any:
    """Staff change their own password (the current one is required). Every token of
    the account, this one included, stops working: sign in again."""
    username = writer.principal.subject
    throttle.admit(factory, settings, username=username, client_ip=_client_ip(request))

    def act(session: Session) -> tuple[int, Any, int | None]:
        principal = change_password(session, writer.principal, current=body.current_password,
                                    new=body.new_password)
        return 200, {"username": principal.subject, "sessions_ended": True}, None

    try:
        return writer.run(_secret_fingerprint(settings, body.current_password,
                                              body.new_password), act)
    except CurrentPasswordWrong:
        # Counts toward the lockout: a stolen token must not make guessing cheap.
        throttle.record_failure(factory, settings, username=username)
        raise


Username = Annotated[str, Path(min_length=1, max_length=64, pattern=USERNAME_PATTERN,
                               description="Nama pengguna staf")]
_ADMIN_ERRORS = error_responses(UnknownStaff, CannotDisableSelf)


def _set_active(username: str, writer: Writer, *, active: bool) -> Any:
    def act(session: Session) -> tuple[int, Any, int | None]:
        user = set_staff_active(session, username, active=active, by=writer.principal.subject)
        return 200, {"username": user.username, "role": user.role.value,
                     "active": user.active}, None

    return writer.run({"username": username, "active": active}, act)


@router.post("/staff/{username}/disable", response_model=StaffAccountOut,
             responses=_ADMIN_ERRORS)
def disable_staff(username: Username, writer: SuperAdminWriter) -> Any:
    """Super admin: the account can no longer sign in and its tokens stop at once."""
    return _set_active(username, writer, active=False)


@router.post("/staff/{username}/enable", response_model=StaffAccountOut,
             responses=_ADMIN_ERRORS)
def enable_staff(username: Username, writer: SuperAdminWriter) -> Any:
    """Super admin: the account may sign in again (older tokens stay dead)."""
    return _set_active(username, writer, active=True)
