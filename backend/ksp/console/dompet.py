"""Hubungkan dompet: the teller links the wallet a member filed on their phone, by the
short code (typed, or scanned from the phone's QR), after a confirm step that shows who
the member is and the KTP check. The same service path as the API (consume the member's
proof, ksp.members.service.link_wallet), through the idempotent, audited Writer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import (
    FORM_KEY,
    Errors,
    Form,
    check_post,
    cipher_of,
    error_at,
    factory,
    member_or_404,
    new_key,
    page,
    settings_of,
    to_login,
    writer_for,
)
from ksp.core.errors import IdempotencyKeyReused, KspError
from ksp.members import link_requests, service
from ksp.members.errors import (
    LinkCodeUnknown,
    WalletAlreadyLinked,
    WalletProofInvalid,
    WalletProofOtherMember,
    WalletTaken,
)
from ksp.members.models import Member, MemberStatus

router = APIRouter()

# What the code field is blamed for; anything else shows above the form.
CODE_ERRORS = (LinkCodeUnknown, WalletProofOtherMember, WalletProofInvalid, WalletTaken)
CONFIRMED = "1"


def masked_nik(nik: str) -> str:
    """All but the last four digits hidden: enough to match the KTP in hand."""
    return "•" * max(len(nik) - 4, 0) + nik[-4:]


def _errors(exc: KspError) -> Errors:
    if isinstance(exc, CODE_ERRORS):
        return {"code": (exc.render_id(), exc.render_en())}
    return error_at(exc)


def _member(request: Request, who: Principal, number: int) -> Member | Response:
    with factory(request)() as session:
        return member_or_404(request, who, session, number)


def _form(request: Request, who: Principal, member: Member, status: int = 200, *,
          code: str = "", errors: Errors | None = None, key: str | None = None,
          done: bool = False) -> Response:
    return page(request, "dompet.html", who, status, member=member, code=code[:20],
                errors=errors or {}, key=key or new_key(), done=done,
                keluar=member.status is MemberStatus.KELUAR)


@router.get("/anggota/{number}/dompet")
def link_form(request: Request, number: int, selesai: str | None = None) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    member = _member(request, who, number)
    if isinstance(member, Response):
        return member
    return _form(request, who, member, done=bool(selesai) and member.wallet_address is not None)


@router.post("/anggota/{number}/dompet/periksa")
def link_check(request: Request, number: int, form: Form) -> Response:
    """The confirm step: the member as registered, and the wallet the code carries."""
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    member = _member(request, who, number)
    if isinstance(member, Response):
        return member
    typed = form.get("code", "")[:40]
    key = form.get("kunci", "") if FORM_KEY.fullmatch(form.get("kunci", "")) else None
    if member.wallet_address is not None:
        exc: KspError = WalletAlreadyLinked(number=number)
        return _form(request, who, member, exc.status, code=typed, errors=error_at(exc),
                     key=key)
    with factory(request)() as session:
        try:
            filed = link_requests.for_member(session, typed, number)
        except KspError as exc:
            return _form(request, who, member, exc.status, code=typed, errors=_errors(exc),
                         key=key)
    profile = service.profile(cipher_of(request), member)
    return page(request, "dompet_periksa.html", who, member=member, p=profile,
                nik=masked_nik(profile.nik), address=filed.address,
                code=link_requests.shown(filed.code), key=key or new_key(), errors={})


@router.post("/anggota/{number}/dompet")
def link_save(request: Request, number: int, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    member = _member(request, who, number)
    if isinstance(member, Response):
        return member
    typed = form.get("code", "")[:40]
    key = form.get("kunci", "")
    writer = writer_for(request, who, key)
    if writer is None:
        return _form(request, who, member, 422, code=typed, errors={"_form": (
            "Formulir tidak lengkap; periksa lagi.", "The form is incomplete; check again.")})
    if form.get("identitas") != CONFIRMED:
        with factory(request)() as session:
            try:
                filed = link_requests.for_member(session, typed, number)
            except KspError as exc:
                return _form(request, who, member, exc.status, code=typed,
                             errors=_errors(exc), key=key)
        profile = service.profile(cipher_of(request), member)
        return page(request, "dompet_periksa.html", who, 422, member=member, p=profile,
                    nik=masked_nik(profile.nik), address=filed.address,
                    code=link_requests.shown(filed.code), key=key, errors={"identitas": (
                        "Cek KTP anggota dulu, lalu centang kotak ini.",
                        "Check the member's identity card first, then tick this box.")})
    settings = settings_of(request)

    def act(session: Session) -> tuple[int, Any, int]:
        seq = link_requests.complete(session, typed=typed, member=number, settings=settings)
        linked = service.get_member(session, number)
        return 200, {"member": number, "wallet": linked.wallet_address, "seq": seq}, seq

    code = link_requests.normalise(typed) or typed
    try:
        writer.run({"member": number, "code": code}, act)
    except KspError as exc:
        fresh = isinstance(exc, IdempotencyKeyReused)
        return _form(request, who, member, exc.status, code=typed, errors=_errors(exc),
                     key=None if fresh else key)
    return RedirectResponse(f"/staff/anggota/{number}/dompet?selesai=1", status_code=303)
