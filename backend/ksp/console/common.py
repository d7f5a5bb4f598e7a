"""What every console page shares: the templates, the form reader, the sign-in and CSRF
check, the idempotent writer and the bilingual error placement. Each area of the console
is a module with its own router (listed in ksp.console.routes)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from ksp.api.deps import Writer
from ksp.auth.errors import CurrentPasswordWrong, WeakPassword
from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.core.crypto import PiiCipher
from ksp.core.errors import KspError
from ksp.core.money import AmountNotUnderstood, format_rupiah
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.ledger.dates import InvalidBirthDate
from ksp.members import service as members
from ksp.members.errors import DuplicateNik, InvalidNik, MemberNotActive, UnknownMember
from ksp.members.models import Member, MemberStatus
from ksp.savings.errors import (
    InsufficientBalance,
    InvalidAmount,
    PokokAlreadyPaid,
    PokokAmountMismatch,
    WithdrawalNotAllowed,
)
from ksp.savings.service import Jenis

HERE = Path(__file__).resolve().parent
STATIC = {"console.css": (HERE / "static/console.css", "text/css; charset=utf-8"),
          "console.js": (HERE / "static/console.js", "text/javascript; charset=utf-8"),
          "htmx.min.js": (PROJECT_ROOT / "node_modules/htmx.org/dist/htmx.min.js",
                          "text/javascript; charset=utf-8"),
          "pindai.js": (HERE / "static/pindai.js", "text/javascript; charset=utf-8"),
          "potong-gaji.js": (HERE / "static/potong-gaji.js", "text/javascript; charset=utf-8"),
          "jsQR.js": (PROJECT_ROOT / "node_modules/jsqr/dist/jsQR.js",
                      "text/javascript; charset=utf-8"),
          "chart.umd.min.js": (PROJECT_ROOT / "node_modules/chart.js/dist/chart.umd.min.js",
                               "text/javascript; charset=utf-8"),
          "prudensial.js": (HERE / "static/prudensial.js", "text/javascript; charset=utf-8")}
# Pages hold personal data: never stored by a browser or proxy cache.
NO_STORE = {"Cache-Control": "no-store"}
INT64_MAX = 2**63 - 1
USERNAME = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
# Form keys are ours (token_urlsafe); anything else, a NUL above all (PostgreSQL refuses
# it in text), is refused before it reaches a query.
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{1,200}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
JENIS_NAMA = {Jenis.POKOK: ("Simpanan pokok", "Principal savings"),
              Jenis.WAJIB: ("Simpanan wajib", "Mandatory savings"),
              Jenis.SUKARELA: ("Simpanan sukarela", "Voluntary savings")}
STATUS = {MemberStatus.CALON.value: ("Calon anggota", "Prospective member"),
          MemberStatus.ANGGOTA.value: ("Anggota", "Member"),
          MemberStatus.KELUAR.value: ("Keluar", "Exited")}
ARAH = {"setor": ("Setoran", "Deposit"), "tarik": ("Penarikan", "Withdrawal")}
# Which form field each service error is about; the rest are shown above the form.
FIELD_OF: tuple[tuple[type[KspError], str], ...] = (
    (InvalidNik, "nik"), (DuplicateNik, "nik"), (InvalidBirthDate, "birth_date"),
    (AmountNotUnderstood, "amount"), (InvalidAmount, "amount"),
    (PokokAmountMismatch, "amount"), (InsufficientBalance, "amount"),
    (WithdrawalNotAllowed, "jenis"), (PokokAlreadyPaid, "jenis"),
    (UnknownMember, "member"), (MemberNotActive, "member"),
    (WeakPassword, "new_password"), (CurrentPasswordWrong, "current_password"),
)

templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(default=True), auto_reload=False)
templates.globals.update(rp=format_rupiah, jenis_nama=JENIS_NAMA, arah_nama=ARAH,
                         status_nama=STATUS)

Errors = dict[str, tuple[str, str]]


async def form_fields(request: Request) -> dict[str, str]:
    """The urlencoded form (the body guard has already bounded its size)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media != "application/x-www-form-urlencoded":
        return {}
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=40))
    except (UnicodeDecodeError, ValueError):
        return {}


Form = Annotated[dict[str, str], Depends(form_fields)]


def factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def cipher_of(request: Request) -> PiiCipher:
    cipher: PiiCipher = request.app.state.cipher
    return cipher


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def page(request: Request, name: str, who: Principal | None, status: int = 200,
         **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(
        who=who, can_write=who is not None and web.can_write(who),
        csrf=web.csrf_token(request) if who else "", path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def to_login() -> Response:
    response = RedirectResponse("/staff/masuk", status_code=303)
    web.end(response)
    return response


def refused(request: Request, who: Principal, reason_id: str, reason_en: str,
            status: int = 403) -> HTMLResponse:
    return page(request, "ditolak.html", who, status=status, reason=(reason_id, reason_en))


def check_post(request: Request, form: dict[str, str], *, write: bool) -> Principal | Response:
    """Signed in, the CSRF token matches, and (for a write) the role may write."""
    who = web.principal(request)
    if who is None:
        return to_login()
    if not web.csrf_ok(request, form.get("csrf")):
        return refused(request, who, "Token formulir (CSRF) tidak sah; muat ulang halaman.",
                       "The form's CSRF token is invalid; reload the page.")
    if write and not web.can_write(who):
        return refused(request, who, "Peran Anda hanya boleh melihat, tidak mengubah.",
                       "Your role may only view, not change anything.")
    return who


def error_at(exc: KspError) -> Errors:
    message = (exc.render_id(), exc.render_en())
    for kind, field in FIELD_OF:
        if isinstance(exc, kind):
            return {field: message}
    return {"_form": message}


def new_key() -> str:
    return secrets.token_urlsafe(18)


def keyed(request: Request, body: dict[str, Any]) -> str:
    """The idempotency fingerprint sees a keyed digest, never a plain hash of personal data."""
    text = json.dumps(body, sort_keys=True, default=str).encode()
    return hmac.new(settings_of(request).secret_key_bytes(), text, hashlib.sha256).hexdigest()


def writer_for(request: Request, who: Principal, key: str) -> Writer | None:
    if not FORM_KEY.fullmatch(key):
        return None
    return Writer(request, who, factory(request), key)


def validation_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "_form"
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, KspError):
            errors.setdefault(field, (cause.render_id(), cause.render_en()))
        elif error.get("input") in ("", None):
            errors.setdefault(field, ("Wajib diisi.", "Required."))
        else:
            errors.setdefault(field, ("Isian tidak valid.", f"Invalid: {error['msg']}"))
    return errors


def member_number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit() and len(text) <= 19 and 1 <= int(text) <= INT64_MAX:
        return int(text)
    return None


def no_such_member(request: Request, who: Principal) -> HTMLResponse:
    return refused(request, who, "Anggota tidak ditemukan.", "Member not found.", 404)


def member_or_404(request: Request, who: Principal, session: Session,
                  number: int) -> Member | HTMLResponse:
    """The member numbered `number`, or the 404 page (a number out of range, or unknown)."""
    if not 1 <= number <= INT64_MAX:
        return no_such_member(request, who)
    try:
        return members.get_member(session, number)
    except UnknownMember as exc:
        return refused(request, who, exc.render_id(), exc.render_en(), 404)
