"""The staff console's pages. Each write goes through ksp.api.deps.Writer (idempotency key
from a hidden field, the service call and the audit row in one transaction) after the
same role check as the API; services raise the same bilingual errors, shown here next
to the field they are about."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session
from stdnum.id import nik as stdnum_nik

from ksp.auth import throttle
from ksp.auth.errors import CurrentPasswordWrong
from ksp.auth.service import Principal, change_password, issue_token, login_staff
from ksp.console import (
    audit,
    dompet,
    kontak,
    koreksi,
    kunci,
    laporan,
    pinjaman,
    portofolio,
    potong_gaji,
    prudensial,
    rantai,
    rat,
    staf,
    struk,
    tahunan,
    wajib,
)
from ksp.console import session as web
from ksp.console.common import (
    ARAH,
    CONTROL,
    FORM_KEY,
    INT64_MAX,
    STATIC,
    USERNAME,
    Errors,
    Form,
    check_post,
    cipher_of,
    client_ip,
    error_at,
    factory,
    keyed,
    member_number,
    member_or_404,
    new_key,
    page,
    refused,
    settings_of,
    to_login,
    validation_errors,
    writer_for,
)
from ksp.core import clock
from ksp.core.errors import IdempotencyKeyReused, KspError
from ksp.core.money import AmountNotUnderstood, parse_rupiah
from ksp.members import service as members
from ksp.members.errors import UnknownMember
from ksp.members.models import Member, MemberStatus
from ksp.members.routes import MemberIn
from ksp.savings import service as savings
from ksp.savings.service import Jenis

router = APIRouter(prefix="/staff", include_in_schema=False)


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
    settings = settings_of(request)
    try:
        who = login_staff(factory(request), settings, username=username, password=password,
                          client_ip=client_ip(request))
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
    writer = writer_for(request, who, key)
    if writer is None or len(current) > 200 or len(new) > 200:
        return page(request, "sandi.html", who, 422, key=new_key(), errors={"_form": (
            "Formulir tidak lengkap; coba lagi.", "The form is incomplete; try again.")})
    sessions, settings = factory(request), settings_of(request)

    def act(session: Session) -> tuple[int, Any, int | None]:
        changed = change_password(session, who, current=current, new=new)
        return 200, {"username": changed.subject}, None

    try:
        throttle.admit(sessions, settings, username=who.subject, client_ip=client_ip(request))
        writer.run(keyed(request, {"current": current, "new": new}), act)
    except CurrentPasswordWrong as exc:
        throttle.record_failure(sessions, settings, username=who.subject)
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
            found.append(Member.nik_lookup == cipher_of(request).lookup_hash(compact,
                                                                            "member.nik"))
        statement = statement.where(or_(*found))
    return list(session.scalars(statement))


@router.get("/anggota")
def member_list(request: Request, q: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    with factory(request)() as session:
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
        return again(422, validation_errors(exc))
    writer = writer_for(request, who, key)
    if writer is None:
        return again(422, {"_form": ("Formulir tidak lengkap; kirim lagi.",
                                     "The form is incomplete; submit again.")}, True)
    cipher, settings = cipher_of(request), settings_of(request)

    def act(session: Session) -> tuple[int, Any, int | None]:
        member = members.register(session, cipher, members.Registration(
            nik=body.nik, name=body.name, birth_date=body.birth_date, address=body.address,
            phone=body.phone, occupation=body.occupation),
            min_age_years=settings.min_member_age_years)
        return 201, {"number": member.number}, None

    try:
        result = writer.run(keyed(request, body.model_dump(mode="json")), act)
    except KspError as exc:
        return again(exc.status, error_at(exc), isinstance(exc, IdempotencyKeyReused))
    return RedirectResponse(f"/staff/anggota/{result['number']}?baru=1", status_code=303)


@router.get("/anggota/{number}")
def member_profile(request: Request, number: int, baru: str | None = None,
                   diubah: str | None = None) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    with factory(request)() as session:
        member = member_or_404(request, who, session, number)
        if not isinstance(member, Member):
            return member
        profile = members.profile(cipher_of(request), member)
        balances = savings.balances(session, number)
        lines = savings.statement(session, member_number=number)[-20:]
    return page(request, "profil.html", who, p=profile, balances=balances, lines=lines,
                new=bool(baru), edited=bool(diubah),
                keluar=member.status is MemberStatus.KELUAR)


@router.get("/anggota/{number}/keluar")
def exit_form(request: Request, number: int) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    with factory(request)() as session:
        member = member_or_404(request, who, session, number)
        if not isinstance(member, Member):
            return member
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
    writer = writer_for(request, who, form.get("kunci", ""))
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
    number = member_number(values.get("member", ""))
    if number is not None:
        with factory(request)() as session:
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
    number = member_number(form.get("member", ""))
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
    with factory(request)() as session:
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
    writer = writer_for(request, who, key)
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


# --- the other areas of the console, one module each (they share ksp.console.common) --
AREAS: tuple[APIRouter, ...] = (koreksi.router, wajib.router, laporan.router, kontak.router,
                                struk.router, kunci.router, rantai.router, staf.router,
                                audit.router, dompet.router, potong_gaji.router,
                                pinjaman.router, portofolio.router, rat.router,
                                prudensial.router, tahunan.router)
for area in AREAS:
    router.include_router(area)
