"""Staf: the staff accounts, through the services behind `/api/v1/auth/staff`.

The super admin lists, creates, changes roles and disables or enables accounts (the API's
role set). The pengawas, who sees every console page, gets the list read-only; admin and
pengurus are refused, as the API refuses them the list. The service already refuses a super
admin disabling or re-roling their own account, so the last active super admin cannot be
disabled or demoted: whoever acts is one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ksp.auth.errors import UsernameTaken, WeakPassword
from ksp.auth.models import Role
from ksp.auth.service import (
    PASSWORD_MAX_LENGTH,
    STAFF_ROLES,
    Principal,
    create_staff,
    list_staff,
    set_staff_active,
    set_staff_role,
)
from ksp.auth.staff_routes import StaffIn
from ksp.console import session as web
from ksp.console.common import (
    USERNAME,
    Errors,
    Form,
    check_post,
    error_at,
    factory,
    keyed,
    new_key,
    page,
    refused,
    templates,
    to_login,
    validation_errors,
    writer_for,
)
from ksp.core.errors import IdempotencyKeyReused, KspError

router = APIRouter()

MANAGERS = (Role.SUPER_ADMIN,)  # as the API: only the super admin changes staff accounts
READERS = (Role.SUPER_ADMIN, Role.PENGAWAS)  # the pengawas sees every page, read-only
templates.globals["staf_readers"] = READERS  # the nav shows the link to these roles only
ROLE_NAMA = {Role.SUPER_ADMIN.value: ("Super admin", "Super admin"),
             Role.ADMIN.value: ("Admin", "Admin"),
             Role.PENGURUS.value: ("Pengurus", "Board"),
             Role.PENGAWAS.value: ("Pengawas", "Supervisor")}
UNKNOWN_ROLE = ("Peran tidak dikenal; pilih salah satu dari daftar.",
                "Unknown role; choose one from the list.")
DONE = {"baru": ("Akun dibuat.", "Account created."),
        "peran": ("Peran diganti; sesi akun itu berakhir.",
                  "Role changed; that account's sessions ended."),
        "nonaktif": ("Akun dinonaktifkan; sesinya berakhir.",
                     "Account disabled; its sessions ended."),
        "aktif": ("Akun diaktifkan lagi.", "Account enabled again.")}


def _role(text: str) -> Role | None:
    return next((r for r in STAFF_ROLES if r.value == text), None)


def _staff_page(request: Request, who: Principal, status: int = 200, *,
                values: dict[str, str] | None = None, errors: Errors | None = None,
                key: str | None = None, done: str = "") -> Response:
    with factory(request)() as session:
        accounts = [{"username": u.username, "role": u.role.value, "active": u.active,
                     "created_at": u.created_at} for u in list_staff(session)]
    # One key per row form: each change is its own idempotent write.
    row_keys = {a["username"]: (new_key(), new_key()) for a in accounts}
    return page(request, "staf.html", who, status, accounts=accounts, row_keys=row_keys,
                roles=ROLE_NAMA, values=values or {"role": Role.ADMIN.value},
                errors=errors or {}, key=key or new_key(), done=DONE.get(done),
                can_manage=who.role in MANAGERS)


def _reader(request: Request) -> Principal | Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if who.role not in READERS:
        return refused(request, who, "Hanya super admin (dan pengawas, untuk melihat) yang "
                       "membuka akun staf.", "Only the super admin (and the pengawas, to "
                       "view) may open the staff accounts.")
    return who


def _manager(request: Request, form: dict[str, str]) -> Principal | Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    if checked.role not in MANAGERS:
        return refused(request, checked, "Hanya super admin yang dapat mengubah akun staf.",
                       "Only the super admin may change staff accounts.")
    return checked


@router.get("/staf")
def staff_list(request: Request, selesai: str = "") -> Response:
    who = _reader(request)
    if not isinstance(who, Principal):
        return who
    return _staff_page(request, who, done=selesai)


@router.post("/staf")
def staff_create(request: Request, form: Form) -> Response:
    who = _manager(request, form)
    if not isinstance(who, Principal):
        return who
    values = {"username": form.get("username", "").strip()[:64],
              "role": form.get("role", "")[:32]}
    password, key = form.get("password", ""), form.get("kunci", "")

    def again(status: int, errors: Errors, fresh_key: bool = False) -> Response:
        return _staff_page(request, who, status, values=values, errors=errors,
                           key=None if fresh_key or not key else key)

    errors: Errors = {}
    role = _role(values["role"])
    if role is None:
        errors["role"] = UNKNOWN_ROLE
    if len(password) > PASSWORD_MAX_LENGTH:
        errors["password"] = (f"Maksimal {PASSWORD_MAX_LENGTH} karakter.",
                              f"At most {PASSWORD_MAX_LENGTH} characters.")
    try:
        body = StaffIn.model_validate({"username": values["username"], "password": password,
                                       "role": values["role"]})
    except ValidationError as exc:
        found = validation_errors(exc)
        if "username" in found:
            found["username"] = ("Nama pengguna 3-64 karakter: huruf kecil, angka, titik, "
                                 "minus, garis bawah.", "Username: 3-64 lower-case letters, "
                                 "digits, dot, dash or underscore.")
        errors = found | errors
    if errors:
        return again(422, errors)
    writer = writer_for(request, who, key)
    if writer is None:
        return again(422, {"_form": ("Formulir tidak lengkap; kirim lagi.",
                                     "The form is incomplete; submit again.")}, True)

    def act(session: Session) -> tuple[int, Any, None]:
        user = create_staff(session, username=body.username, password=body.password,
                            role=body.role)
        return 201, {"username": user.username, "role": user.role.value}, None

    try:
        # Keyed digest: the password never reaches the idempotency table in plain.
        writer.run(keyed(request, {"username": body.username, "role": body.role.value,
                                   "password": body.password}), act)
    except WeakPassword as exc:
        return again(exc.status, {"password": (exc.render_id(), exc.render_en())})
    except UsernameTaken as exc:
        return again(exc.status, {"username": (exc.render_id(), exc.render_en())})
    except KspError as exc:
        return again(exc.status, error_at(exc), isinstance(exc, IdempotencyKeyReused))
    return RedirectResponse("/staff/staf?selesai=baru", status_code=303)


def _change(request: Request, form: dict[str, str], username: str, done: str,
            body: dict[str, Any],
            act: Callable[[Session, Principal], tuple[int, Any, None]]) -> Response:
    """One change to an existing account; a refusal is shown by that account's row."""
    who = _manager(request, form)
    if not isinstance(who, Principal):
        return who
    row = f"row-{username}"
    writer = writer_for(request, who, form.get("kunci", ""))
    if writer is None or not USERNAME.fullmatch(username):
        return _staff_page(request, who, 422, errors={row: (
            "Formulir tidak lengkap; muat ulang halaman.",
            "The form is incomplete; reload the page.")})
    if "role" in body and _role(body["role"]) is None:
        return _staff_page(request, who, 422, errors={row: UNKNOWN_ROLE})
    try:
        writer.run(body | {"username": username}, lambda session: act(session, who))
    except KspError as exc:
        return _staff_page(request, who, exc.status,
                           errors={row: (exc.render_id(), exc.render_en())})
    return RedirectResponse(f"/staff/staf?selesai={done}", status_code=303)


@router.post("/staf/{username}/peran")
def staff_role(request: Request, username: str, form: Form) -> Response:
    wanted = form.get("role", "")[:32]

    def act(session: Session, who: Principal) -> tuple[int, Any, None]:
        role = _role(wanted)
        assert role is not None  # checked before the write
        user = set_staff_role(session, username, role=role, by=who.subject)
        return 200, {"username": user.username, "role": user.role.value}, None

    return _change(request, form, username, "peran", {"role": wanted}, act)


def _set_active(request: Request, username: str, form: dict[str, str],
                active: bool) -> Response:
    def act(session: Session, who: Principal) -> tuple[int, Any, None]:
        user = set_staff_active(session, username, active=active, by=who.subject)
        return 200, {"username": user.username, "active": user.active}, None

    return _change(request, form, username, "aktif" if active else "nonaktif",
                   {"active": active}, act)


@router.post("/staf/{username}/nonaktif")
def staff_disable(request: Request, username: str, form: Form) -> Response:
    return _set_active(request, username, form, active=False)


@router.post("/staf/{username}/aktif")
def staff_enable(request: Request, username: str, form: Form) -> Response:
    return _set_active(request, username, form, active=True)
