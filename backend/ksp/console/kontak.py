"""Ubah kontak: a member's phone, address and occupation, edited by staff (the service
re-encrypts them and logs a commitment only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import (
    INT64_MAX,
    Errors,
    Form,
    check_post,
    cipher_of,
    error_at,
    factory,
    keyed,
    member_or_404,
    new_key,
    no_such_member,
    page,
    to_login,
    validation_errors,
    writer_for,
)
from ksp.core.errors import IdempotencyKeyReused, KspError
from ksp.members import service as members
from ksp.members.models import Member, MemberStatus
from ksp.members.routes import ContactIn

router = APIRouter()
FIELDS = ("phone", "address", "occupation")


def _page(request: Request, who: Principal, number: int, status: int, values: dict[str, str],
          errors: Errors, key: str) -> Response:
    with factory(request)() as session:
        member = member_or_404(request, who, session, number)
    if not isinstance(member, Member):
        return member
    return page(request, "ubah_kontak.html", who, status, member=member, values=values,
                errors=errors, key=key, keluar=member.status is MemberStatus.KELUAR)


@router.get("/anggota/{number}/ubah")
def contact_form(request: Request, number: int) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    with factory(request)() as session:
        member = member_or_404(request, who, session, number)
        if not isinstance(member, Member):
            return member
        p = members.profile(cipher_of(request), member)
    values = {"phone": p.phone, "address": p.address, "occupation": p.occupation}
    return _page(request, who, number, 200, values, {}, new_key())


@router.post("/anggota/{number}/ubah")
def contact_save(request: Request, number: int, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    if not 1 <= number <= INT64_MAX:
        return no_such_member(request, who)
    values = {name: form.get(name, "")[:400] for name in FIELDS}
    key = form.get("kunci", "")

    def again(status: int, errors: Errors, fresh_key: bool = False) -> Response:
        return _page(request, who, number, status, values, errors,
                     new_key() if fresh_key or not key else key)

    try:
        body = ContactIn.model_validate({k: v.strip() for k, v in values.items()})
    except ValidationError as exc:
        return again(422, validation_errors(exc))
    writer = writer_for(request, who, key)
    if writer is None:
        return again(422, {"_form": ("Formulir tidak lengkap; kirim lagi.",
                                     "The form is incomplete; submit again.")}, True)
    cipher = cipher_of(request)

    def act(session: Session) -> tuple[int, Any, int | None]:
        seq = members.edit_contact(session, cipher, number, members.Contact(
            phone=body.phone, address=body.address, occupation=body.occupation))
        return 200, {"member": number, "seq": seq}, seq

    try:
        writer.run(keyed(request, body.model_dump(mode="json") | {"member": number}), act)
    except KspError as exc:
        return again(exc.status, error_at(exc), isinstance(exc, IdempotencyKeyReused))
    return RedirectResponse(f"/staff/anggota/{number}?diubah=1", status_code=303)
