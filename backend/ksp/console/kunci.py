"""Ganti kunci (HP hilang): the member makes a wallet on the new phone and shows its link
code (as when linking a first wallet); staff check their identity in person and propose
the new wallet with that code, so the address is proven by its own signature and never
typed. A different pengurus approves it in the list of key replacements (maker-checker in
ksp.members.keys). The approval ends the old address's sessions and the outbox moves the
roll entry and the tokens on chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ksp.api.types import clean_text
from ksp.auth.models import Role
from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import (
    INT64_MAX,
    Errors,
    Form,
    check_post,
    error_at,
    factory,
    member_or_404,
    new_key,
    no_such_member,
    page,
    refused,
    settings_of,
    to_login,
    writer_for,
)
from ksp.core.errors import IdempotencyKeyReused, InvalidInput, KspError
from ksp.members import keys, link_requests
from ksp.members.errors import (
    LinkCodeUnknown,
    WalletProofInvalid,
    WalletProofOtherMember,
    WalletTaken,
)
from ksp.members.models import Member, MemberStatus

router = APIRouter()
# The service's own field names, to the form's.
FORM_FIELD = {"address": "code", "alasan": "alasan"}
CODE_ERRORS = (LinkCodeUnknown, WalletProofInvalid, WalletProofOtherMember, WalletTaken)


def _errors(exc: KspError) -> Errors:
    message = (exc.render_id(), exc.render_en())
    if isinstance(exc, CODE_ERRORS):
        return {"code": message}
    if isinstance(exc, InvalidInput) and exc.details.get("field") in FORM_FIELD:
        return {FORM_FIELD[exc.details["field"]]: message}
    return error_at(exc)


def _form_page(request: Request, who: Principal, number: int, status: int,
               values: dict[str, str], errors: Errors, key: str) -> Response:
    with factory(request)() as session:
        member = member_or_404(request, who, session, number)
        if not isinstance(member, Member):
            return member
        proposals = keys.proposals(session, number)
    return page(request, "kunci_baru.html", who, status, member=member, values=values,
                errors=errors, key=key, proposals=proposals,
                closed=member.status is MemberStatus.KELUAR or member.wallet_address is None)


@router.get("/anggota/{number}/kunci")
def propose_form(request: Request, number: int) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if not 1 <= number <= INT64_MAX:
        return no_such_member(request, who)
    return _form_page(request, who, number, 200, {}, {}, new_key())


@router.post("/anggota/{number}/kunci")
def propose(request: Request, number: int, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    if not 1 <= number <= INT64_MAX:
        return no_such_member(request, who)
    values = {"code": form.get("code", "")[:40].strip(),
              "alasan": form.get("alasan", "")[:400], "dicek": form.get("dicek", "")}
    key = form.get("kunci", "")

    def again(status: int, errors: Errors, fresh_key: bool = False) -> Response:
        return _form_page(request, who, number, status, values, errors,
                          new_key() if fresh_key or not key else key)

    errors: Errors = {}
    reason = ""
    code = link_requests.normalise(values["code"])
    if code is None:
        errors["code"] = ("Ketik kode 8 huruf/angka dari HP baru anggota (XXXX-XXXX).",
                          "Type the 8-character code from the member's new phone (XXXX-XXXX).")
    try:
        reason = clean_text(values["alasan"])
        if len(reason) > keys.REASON_MAX_LENGTH:
            raise ValueError("too long")
    except ValueError:
        errors["alasan"] = ("Alasan wajib diisi, paling banyak 200 karakter, tanpa karakter "
                            "tersembunyi.", "A reason is required: at most 200 characters, "
                            "no hidden characters.")
    if values["dicek"] != "ya":
        errors["dicek"] = ("Centang setelah identitas anggota diperiksa langsung (KTP).",
                           "Tick once the member's identity was checked in person (ID card).")
    if errors:
        return again(422, errors)
    writer = writer_for(request, who, key)
    if writer is None:
        return again(422, {"_form": ("Formulir tidak lengkap; kirim lagi.",
                                     "The form is incomplete; submit again.")}, True)

    settings = settings_of(request)

    def act(session: Session) -> tuple[int, Any, int | None]:
        address = link_requests.take(session, typed=values["code"], member=number,
                                     settings=settings)
        proposal = keys.propose(session, member_number=number, new_address=address,
                                reason=reason, actor=who.actor, role=who.role.value)
        return 201, {"id": proposal.id, "member": number}, None

    try:
        result = writer.run({"member": number, "code": code, "alasan": reason}, act)
    except KspError as exc:
        return again(exc.status, _errors(exc), isinstance(exc, IdempotencyKeyReused))
    return RedirectResponse(f"/staff/kunci?diusulkan={result['id']}", status_code=303)


def _list_page(request: Request, who: Principal, status: int = 200,
               notice: tuple[str, str] | None = None,
               errors: Errors | None = None) -> Response:
    with factory(request)() as session:
        proposals = keys.recent(session)
        numbers = {p.member_number for p in proposals}
        names = dict(session.query(Member.number, Member.name)
                     .filter(Member.number.in_(numbers)).all()) if numbers else {}
    return page(request, "kunci.html", who, status, proposals=proposals, names=names,
                notice=notice, errors=errors or {}, key=new_key(),
                may_approve=who.role is Role.PENGURUS)


@router.get("/kunci")
def proposal_list(request: Request, diusulkan: int | None = None,
                  disetujui: int | None = None) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    notice = None
    if diusulkan is not None:
        notice = (f"Usulan ganti kunci {diusulkan} dibuat; menunggu persetujuan pengurus lain.",
                  f"Key replacement {diusulkan} proposed; waiting for another pengurus.")
    elif disetujui is not None:
        notice = (f"Usulan {disetujui} disetujui: dompet anggota diganti; rantai menyusul "
                  "lewat antrean.", f"Proposal {disetujui} approved: the member's wallet is "
                  "replaced; the chain follows through the outbox.")
    return _list_page(request, who, notice=notice)


@router.post("/kunci/{proposal_id}/setujui")
def approve(request: Request, proposal_id: int, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    writer = writer_for(request, who, form.get("kunci", ""))
    if writer is None or not 1 <= proposal_id <= INT64_MAX:
        return refused(request, who, "Formulir tidak lengkap.", "The form is incomplete.", 422)

    def act(session: Session) -> tuple[int, Any, int]:
        seq = keys.approve(session, proposal_id=proposal_id, actor=who.actor,
                           role=who.role.value)
        return 200, {"id": proposal_id, "seq": seq}, seq

    try:
        writer.run({"proposal": proposal_id}, act)
    except KspError as exc:
        return _list_page(request, who, exc.status, errors={"_form": (exc.render_id(),
                                                                      exc.render_en())})
    return RedirectResponse(f"/staff/kunci?disetujui={proposal_id}", status_code=303)
