from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ksp.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from ksp.auth.models import Role
from ksp.auth.service import Principal, authenticate_staff, issue_token
from ksp.members import wallet
from ksp.members.errors import WalletProofInvalid
from ksp.members.models import Member, MemberStatus

router = APIRouter(prefix="/api/v1/auth", tags=["masuk"])


class StaffLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    password: str = Field(max_length=200)


class WalletLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(max_length=1000)
    signature: str = Field(max_length=200)


def _token(principal: Principal, settings: Any) -> dict[str, Any]:
    return {"token": issue_token(principal, settings.secret_key_bytes()),
            "role": principal.role.value, "member": principal.member_number}


@router.post("/login")
def staff_login(body: StaffLogin, session: SessionDep, settings: SettingsDep) -> Any:
    """Staff sign in with a password (Argon2id)."""
    principal = authenticate_staff(session, username=body.username, password=body.password)
    return _token(principal, settings)


@router.post("/wallet")
def wallet_login(body: WalletLogin, session: SessionDep, settings: SettingsDep) -> Any:
    """Members sign in by signing a `login` challenge with their wallet."""
    with session.begin():
        address = wallet.consume_challenge(session, message=body.message,
                                           signature=body.signature, purpose="login")
        member = session.scalars(select(Member).where(Member.wallet_address == address)).first()
        if member is None or member.status is MemberStatus.KELUAR:
            raise WalletProofInvalid(reason_id="dompet tidak terdaftar pada anggota aktif",
                                     reason_en="wallet is not linked to an active member")
        principal = Principal(subject=str(member.number), role=Role.ANGGOTA,
                              member_number=member.number)
    return _token(principal, settings)


@router.get("/me")
def me(principal: CurrentPrincipal) -> Any:
    return {"subject": principal.subject, "role": principal.role.value,
            "member": principal.member_number}
