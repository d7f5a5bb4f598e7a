"""The staff console's pages. Each write goes through ksp.api.deps.Writer (idempotency key
from a hidden field, the service call and the audit row in one transaction) after the
same role check as the API; services raise the same bilingual errors, shown here next
to the field they are about."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker
from stdnum.id import nik as stdnum_nik

from ksp.api.deps import Writer
from ksp.auth import throttle
from ksp.auth.errors import CurrentPasswordWrong, WeakPassword
from ksp.auth.service import Principal, change_password, issue_token, login_staff
from ksp.console import session as web
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.errors import IdempotencyKeyReused, KspError
from ksp.core.idempotency import IdempotencyRecord
from ksp.core.money import AmountNotUnderstood, format_rupiah, parse_rupiah
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.ledger.dates import InvalidBirthDate
from ksp.members import service as members
from ksp.members.errors import DuplicateNik, InvalidNik, MemberNotActive, UnknownMember
from ksp.members.models import Member, MemberStatus
from ksp.members.routes import MemberIn
from ksp.savings import service as savings
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
                          "text/javascript; charset=utf-8")}
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

router = APIRouter(prefix="/staff", include_in_schema=False)
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


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _cipher(request: Request) -> PiiCipher:
    cipher: PiiCipher = request.app.state.cipher
    return cipher


def _client_ip(request: Request) -> str | None:
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


def _keyed(request: Request, body: dict[str, Any]) -> str:
    """The idempotency fingerprint sees a keyed digest, never a plain hash of personal data."""
    text = json.dumps(body, sort_keys=True, default=str).encode()
    return hmac.new(_settings(request).secret_key_bytes(), text, hashlib.sha256).hexdigest()


def _writer(request: Request, who: Principal, key: str) -> Writer | None:
    if not FORM_KEY.fullmatch(key):
        return None
    return Writer(request, who, _factory(request), key)


# --- assets --------------------------------------------------------------------------


@router.get("/aset/{name}")
def asset(name: str) -> Response:
    found = STATIC.get(name)
    if found is None or not found[0].is_file():
        return Response("Tidak ditemukan / Not found", status_code=404, media_type="text/plain")
    return FileResponse(found[0], media_type=found[1], headers={"Cache-Control": "no-cache"})


# --- sign-in, sign-out, password -----------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    target = "/staff/anggota" if web.principal(request) else "/staff/masuk"
    return RedirectResponse(target, status_code=303)


def _login_page(request: Request, status: int = 200, **context: Any) -> Response:
    nonce = web.login_nonce(request)
    response = page(request, "masuk.html", None, status=status, nonce=nonce, **context)
    web.set_login_nonce(request, response, nonce)
    return response


@router.get("/masuk")
def login_form(request: Request, sandi: str | None = None) -> Response:
    if web.principal(request):
        return RedirectResponse("/staff/anggota", status_code=303)
    notice = (("Kata sandi diganti. Silakan masuk lagi.",
               "Password changed. Please sign in again.") if sandi else None)
    return _login_page(request, notice=notice)


@router.post("/masuk")
def login(request: Request, form: Form) -> Response:
    username = form.get("username", "").strip()
    password = form.get("password", "")
    if not web.login_nonce_ok(request, form.get("nonce")):
        return _login_page(request, 403, username=username, errors={"_form": (
            "Formulir kedaluwarsa; silakan coba lagi.", "The form expired; please try again.")})
    if not USERNAME.fullmatch(username) or not password or len(password) > 200:
        return _login_page(request, 422, username=username, errors={"_form": (
            "Isi nama pengguna dan kata sandi.", "Enter the username and password.")})
    settings = _settings(request)
    try:
        who = login_staff(_factory(request), settings, username=username, password=password,
                          client_ip=_client_ip(request))
    except KspError as exc:
        return _login_page(request, exc.status, username=username, errors=error_at(exc))
    response = RedirectResponse("/staff/anggota", status_code=303)
    web.start(request, response, issue_token(who, settings.secret_key_bytes()))
    return response


@router.post("/keluar")
def logout(request: Request, form: Form) -> Response:
    checked = check_post(request, form, write=False)
    if not isinstance(checked, Principal):
        return checked
    return to_login()


@router.get("/sandi")
def password_form(request: Request) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return page(request, "sandi.html", who, key=new_key(), errors={})


@router.post("/sandi")
def password_change(request: Request, form: Form) -> Response:
    """Every staff role may change its own password (as in the API); all its sessions end."""
    checked = check_post(request, form, write=False)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    current, new = form.get("current_password", ""), form.get("new_password", "")
    key = form.get("kunci", "")
    writer = _writer(request, who, key)
    if writer is None or len(current) > 200 or len(new) > 200:
        return page(request, "sandi.html", who, 422, key=new_key(), errors={"_form": (
            "Formulir tidak lengkap; coba lagi.", "The form is incomplete; try again.")})
    factory, settings = _factory(request), _settings(request)

    def act(session: Session) -> tuple[int, Any, int | None]:
        changed = change_password(session, who, current=current, new=new)
        return 200, {"username": changed.subject}, None

    try:
        throttle.admit(factory, settings, username=who.subject, client_ip=_client_ip(request))
        writer.run(_keyed(request, {"current": current, "new": new}), act)
    except CurrentPasswordWrong as exc:
        throttle.record_failure(factory, settings, username=who.subject)
        return page(request, "sandi.html", who, exc.status, key=key, errors=error_at(exc))
    except KspError as exc:
        return page(request, "sandi.html", who, exc.status, key=key, errors=error_at(exc))
    response = RedirectResponse("/staff/masuk?sandi=1", status_code=303)
    web.end(response)
    return response


# --- anggota -------------------------------------------------------------------------


def _search(request: Request, session: Session, query: str) -> list[Member]:
    statement = select(Member).order_by(Member.number).limit(200)
    query = CONTROL.sub("", query).strip()[:100]
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found: list[ColumnElement[bool]] = [Member.name.ilike(f"%{escaped}%", escape="\\")]
        if query.isdigit() and len(query) <= 18 and int(query) <= INT64_MAX:
            found.append(Member.number == int(query))
        compact = stdnum_nik.compact(query) if len(query) <= 40 else ""
        if re.fullmatch(r"[0-9]{16}", compact):  # NIK: via the keyed lookup column only
            found.append(Member.nik_lookup == _cipher(request).lookup_hash(compact,
                                                                            "member.nik"))
        statement = statement.where(or_(*found))
    return list(session.scalars(statement))


@router.get("/anggota")
def member_list(request: Request, q: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    with _factory(request)() as session:
        found = _search(request, session, q)
    if request.headers.get("hx-request") == "true":  # htmx live search: the rows only
        return page(request, "_anggota_rows.html", who, members=found)
    return page(request, "anggota.html", who, members=found, q=q[:100])


REGISTRATION_FIELDS = ("nik", "name", "birth_date", "address", "phone", "occupation")


@router.get("/anggota/baru")
def register_form(request: Request) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return page(request, "anggota_baru.html", who, key=new_key(), values={}, errors={})


def _validation_errors(exc: ValidationError) -> Errors:
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


@router.post("/anggota/baru")
def register(request: Request, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    values = {name: form.get(name, "")[:400] for name in REGISTRATION_FIELDS}
    key = form.get("kunci", "")

    def again(status: int, errors: Errors, fresh_key: bool = False) -> Response:
        return page(request, "anggota_baru.html", who, status, values=values, errors=errors,
                    key=new_key() if fresh_key or not key else key)

    try:
        body = MemberIn.model_validate({k: v.strip() for k, v in values.items()})
    except ValidationError as exc:
        return again(422, _validation_errors(exc))
    writer = _writer(request, who, key)
    if writer is None:
        return again(422, {"_form": ("Formulir tidak lengkap; kirim lagi.",
                                     "The form is incomplete; submit again.")}, True)
    cipher, settings = _cipher(request), _settings(request)

    def act(session: Session) -> tuple[int, Any, int | None]:
        member = members.register(session, cipher, members.Registration(
            nik=body.nik, name=body.name, birth_date=body.birth_date, address=body.address,
            phone=body.phone, occupation=body.occupation),
            min_age_years=settings.min_member_age_years)
        return 201, {"number": member.number}, None

    try:
        result = writer.run(_keyed(request, body.model_dump(mode="json")), act)
    except KspError as exc:
        return again(exc.status, error_at(exc), isinstance(exc, IdempotencyKeyReused))
    return RedirectResponse(f"/staff/anggota/{result['number']}?baru=1", status_code=303)


def _member_number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit() and len(text) <= 19 and 1 <= int(text) <= INT64_MAX:
        return int(text)
    return None


@router.get("/anggota/{number}")
def member_profile(request: Request, number: int, baru: str | None = None) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if not 1 <= number <= INT64_MAX:
        return refused(request, who, "Anggota tidak ditemukan.", "Member not found.", 404)
    with _factory(request)() as session:
        try:
            member = members.get_member(session, number)
        except UnknownMember as exc:
            return refused(request, who, exc.render_id(), exc.render_en(), 404)
        profile = members.profile(_cipher(request), member)
        balances = savings.balances(session, number)
        lines = savings.statement(session, member_number=number)[-20:]
    return page(request, "profil.html", who, p=profile, balances=balances, lines=lines,
                new=bool(baru), keluar=member.status is MemberStatus.KELUAR)


@router.get("/anggota/{number}/keluar")
def exit_form(request: Request, number: int) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if not 1 <= number <= INT64_MAX:
        return refused(request, who, "Anggota tidak ditemukan.", "Member not found.", 404)
    with _factory(request)() as session:
        try:
            member = members.get_member(session, number)
        except UnknownMember as exc:
            return refused(request, who, exc.render_id(), exc.render_en(), 404)
        owed = {j: b for j, b in savings.balances(session, number).items() if b > 0}
    return page(request, "keluar.html", who, member=member, owed=owed,
                total=sum(owed.values()), key=new_key(), errors={},
                already=member.status is MemberStatus.KELUAR)


@router.post("/anggota/{number}/keluar")
def exit_member(request: Request, number: int, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    writer = _writer(request, who, form.get("kunci", ""))
    if writer is None or not 1 <= number <= INT64_MAX:
        return refused(request, who, "Formulir tidak lengkap.", "The form is incomplete.", 422)

    def act(session: Session) -> tuple[int, Any, int | None]:
        paid = savings.exit_member(session, member_number=number, on=clock.today())
        return 200, {"member": number, "paid": {j.value: a for j, a in paid.items()}}, None

    try:
        result = writer.run({"member": number}, act)
    except KspError as exc:
        return refused(request, who, exc.render_id(), exc.render_en(), exc.status)
    paid = {Jenis(j): a for j, a in result["paid"].items()}
    return page(request, "keluar_selesai.html", who, number=number, paid=paid,
                total=sum(paid.values()))


# --- teller --------------------------------------------------------------------------


def _teller_page(request: Request, who: Principal, status: int, values: dict[str, str],
                 errors: Errors, key: str | None = None) -> Response:
    member, balances = None, None
    number = _member_number(values.get("member", ""))
    if number is not None:
        with _factory(request)() as session:
            member = session.scalars(select(Member).where(Member.number == number)).first()
            if member is not None:
                balances = savings.balances(session, number)
    return page(request, "teller.html", who, status, values=values, errors=errors,
                member=member, balances=balances, key=key or new_key(), jenis_all=list(Jenis))


@router.get("/teller")
def teller_form(request: Request, anggota: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return _teller_page(request, who, 200, {"member": anggota[:20], "arah": "setor",
                                            "jenis": "sukarela"}, {})


def _movement_input(form: dict[str, str]) -> tuple[dict[str, Any], Errors]:
    """Member number, direction, jenis and the amount as typed (`50.000`, `Rp 50.000`)."""
    errors: Errors = {}
    number = _member_number(form.get("member", ""))
    if number is None:
        errors["member"] = ("Nomor anggota harus angka.", "The member number must be a number.")
    arah = form.get("arah", "")
    if arah not in ARAH:
        errors["arah"] = ("Pilih setoran atau penarikan.", "Choose deposit or withdrawal.")
    try:
        jenis = Jenis(form.get("jenis", ""))
    except ValueError:
        jenis = None
        errors["jenis"] = ("Pilih jenis simpanan.", "Choose the kind of savings.")
    amount = None
    try:
        amount = parse_rupiah(form.get("amount", "")[:40])
    except AmountNotUnderstood as exc:
        errors["amount"] = (exc.render_id(), exc.render_en())
    return {"member": number, "arah": arah, "jenis": jenis, "amount": amount}, errors


def _teller_values(form: dict[str, str]) -> dict[str, str]:
    return {k: form.get(k, "")[:40] for k in ("member", "arah", "jenis", "amount")}


@router.post("/teller/periksa")
def teller_check(request: Request, form: Form) -> Response:
    """The confirm step: the member and their balances before anything is posted."""
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    values = _teller_values(form)
    data, errors = _movement_input(form)
    key = form.get("kunci", "") if FORM_KEY.fullmatch(form.get("kunci", "")) else None
    if errors:
        return _teller_page(request, who, 422, values, errors, key)
    with _factory(request)() as session:
        try:
            member = members.get_member(session, data["member"])
        except UnknownMember as exc:
            return _teller_page(request, who, 404, values, error_at(exc), key)
        balances = savings.balances(session, member.number)
    sign = 1 if data["arah"] == "setor" else -1
    after = balances[data["jenis"]] + sign * data["amount"]
    return page(request, "teller_periksa.html", who, member=member, balances=balances,
                data=data, after=after, key=key or new_key())


@router.post("/teller/simpan")
def teller_save(request: Request, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    values = _teller_values(form)
    data, errors = _movement_input(form)
    key = form.get("kunci", "")
    writer = _writer(request, who, key)
    if errors or writer is None:
        return _teller_page(request, who, 422, values, errors or {"_form": (
            "Formulir tidak lengkap; periksa lagi.", "The form is incomplete; check again.")})
    move = savings.deposit if data["arah"] == "setor" else savings.withdraw

    def act(session: Session) -> tuple[int, Any, int]:
        m = move(session, member_number=data["member"], jenis=data["jenis"],
                 amount=data["amount"], on=clock.today())
        name = members.get_member(session, m.member).name
        return 201, {"seq": m.seq, "member": m.member, "name": name, "arah": data["arah"],
                     "jenis": m.jenis.value, "amount": m.amount, "balance": m.balance,
                     "tanggal": m.date.isoformat()}, m.seq

    body = {"member": data["member"], "arah": data["arah"], "jenis": data["jenis"].value,
            "amount": data["amount"]}
    try:
        writer.run(body, act)
    except KspError as exc:
        fresh = isinstance(exc, IdempotencyKeyReused)
        return _teller_page(request, who, exc.status, values, error_at(exc),
                            None if fresh else key)
    return RedirectResponse(f"/staff/struk/{key}", status_code=303)


@router.get("/struk/{key}")
def receipt(request: Request, key: str) -> Response:
    """The receipt of one teller movement, read back from its idempotency record (only the
    staff member who made it can open it, and reloading posts nothing)."""
    who = web.principal(request)
    if who is None:
        return to_login()
    result = None
    if FORM_KEY.fullmatch(key):
        with _factory(request)() as session:
            record = session.scalars(select(IdempotencyRecord).where(
                IdempotencyRecord.scope == f"{who.role.value}:{who.subject}",
                IdempotencyRecord.key == key)).first()
        result = json.loads(record.body) if record is not None else None
    if not isinstance(result, dict) or "seq" not in result or "arah" not in result:
        return refused(request, who, "Struk tidak ditemukan.", "Receipt not found.", 404)
    return page(request, "struk.html", who, r=result, jenis=Jenis(result["jenis"]),
                tanggal=dt.date.fromisoformat(result["tanggal"]),
                printed=clock.now().strftime("%d-%m-%Y %H:%M"))
