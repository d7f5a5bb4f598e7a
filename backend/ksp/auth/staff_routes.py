"""Staff accounts, for the super admin: list, create with a role, change a role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ksp.api.deps import SessionDep, SettingsDep, Writer, require_roles, writer_for
from ksp.api.openapi import error_responses
from ksp.auth.errors import CannotChangeOwnRole, UnknownStaff, UsernameTaken, WeakPassword
from ksp.auth.models import Role
from ksp.auth.routes import Username, _secret_fingerprint
from ksp.auth.service import PASSWORD_MAX_LENGTH, create_staff, list_staff, set_staff_role

router = APIRouter(prefix="/api/v1/auth/staff", tags=["masuk"])
SuperAdminWriter = Annotated[Writer, Depends(writer_for(Role.SUPER_ADMIN))]
SuperAdmin = Annotated[Any, Depends(require_roles(Role.SUPER_ADMIN))]
# New usernames: lower-case letters, digits, dot, dash, underscore.
NEW_USERNAME_PATTERN = r"^[a-z0-9._-]{3,64}$"
STAFF_ROLE_VALUES = "super_admin, admin, pengurus, pengawas"


class StaffOut(BaseModel):
    username: str
    role: Role
    active: bool


class StaffList(BaseModel):
    staff: list[StaffOut]


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=NEW_USERNAME_PATTERN,
                          description="3-64: huruf kecil, angka, titik, minus, garis bawah")
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    role: Role = Field(description=STAFF_ROLE_VALUES)


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description=STAFF_ROLE_VALUES)


class RoleChangedOut(StaffOut):
    sessions_ended: bool = Field(description="Token lama akun ini tidak berlaku lagi / the "
                                             "account's older tokens stopped working")


def _out(user: Any) -> dict[str, Any]:
    return {"username": user.username, "role": user.role.value, "active": user.active}


@router.get("", response_model=StaffList)
def staff(session: SessionDep, _admin: SuperAdmin) -> Any:
    """Super admin: every staff account with its role and whether it is active."""
    return {"staff": [_out(u) for u in list_staff(session)]}


@router.post("", status_code=201, response_model=StaffOut,
             responses=error_responses(UsernameTaken, WeakPassword))
def create(body: StaffIn, writer: SuperAdminWriter, settings: SettingsDep) -> Any:
    """Super admin: a new staff account; the password policy applies (length, zxcvbn)."""
    def act(session: Session) -> tuple[int, Any, None]:
        user = create_staff(session, username=body.username, password=body.password,
                            role=body.role)
        return 201, _out(user), None

    fingerprint = {"username": body.username, "role": body.role.value,
                   "password": _secret_fingerprint(settings, body.password)}
    return writer.run(fingerprint, act)


@router.post("/{username}/role", response_model=RoleChangedOut,
             responses=error_responses(UnknownStaff, CannotChangeOwnRole))
def change_role(username: Username, body: RoleIn, writer: SuperAdminWriter) -> Any:
    """Super admin: another account's role; that account's sessions end at once."""
    def act(session: Session) -> tuple[int, Any, None]:
        user = set_staff_role(session, username, role=body.role, by=writer.principal.subject)
        return 200, _out(user) | {"sessions_ended": True}, None

    return writer.run(body.model_dump(mode="json") | {"username": username}, act)
