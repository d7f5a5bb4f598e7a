"""The receipt of a teller movement: the page, its signed-receipt QR code and an A6 PDF.
The receipt is read back from the movement's idempotency record, so only the staff member
who made it can open it and reloading posts nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import FORM_KEY, NO_STORE, factory, page, refused, templates, to_login
from ksp.core import clock
from ksp.core.errors import KspError
from ksp.core.idempotency import IdempotencyRecord
from ksp.printing.render import html_to_pdf, render_html
from ksp.receipts import service as receipts
from ksp.receipts.routes import qr_svg
from ksp.savings.service import Jenis

router = APIRouter()


def _movement(request: Request, who: Principal, key: str) -> dict[str, Any] | None:
    if not FORM_KEY.fullmatch(key):
        return None
    with factory(request)() as session:
        record = session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == f"{who.role.value}:{who.subject}",
            IdempotencyRecord.key == key)).first()
    result = json.loads(record.body) if record is not None else None
    if not isinstance(result, dict) or "seq" not in result or "arah" not in result:
        return None
    return result


def _signed(request: Request, result: dict[str, Any]) -> tuple[
        receipts.SignedReceipt | None, tuple[str, str] | None]:
    """The signed receipt of the movement, or why there is none (no chain, no key)."""
    try:
        with factory(request)() as session:
            signed = receipts.signed_receipt(session, request.app.state.chain,
                                             int(result["seq"]), int(result["member"]))
    except KspError as exc:
        return None, (exc.render_id(), exc.render_en())
    return signed, None


def _context(request: Request, who: Principal, result: dict[str, Any]) -> dict[str, Any]:
    signed, missing = _signed(request, result)
    return {"r": result, "jenis": Jenis(result["jenis"]),
            "tanggal": dt.date.fromisoformat(result["tanggal"]),
            "printed": clock.now().strftime("%d-%m-%Y %H:%M"), "teller": who.subject,
            "signed": signed, "qr_missing": missing}


def _not_found(request: Request, who: Principal) -> Response:
    return refused(request, who, "Struk tidak ditemukan.", "Receipt not found.", 404)


# The .pdf and qr.svg routes come before /struk/{key}, which would otherwise take them.
@router.get("/struk/{key}.pdf")
def receipt_pdf(request: Request, key: str) -> Response:
    """The receipt on A6 paper, with its QR code, made by WeasyPrint from the server only."""
    who = web.principal(request)
    if who is None:
        return to_login()
    result = _movement(request, who, key)
    if result is None:
        return _not_found(request, who)
    context = _context(request, who, result)
    signed = context["signed"]
    qr = (base64.b64encode(qr_svg(signed.qr_text)).decode() if signed is not None else None)
    html = render_html("struk.html", arah_nama=templates.globals["arah_nama"],
                       jenis_nama=templates.globals["jenis_nama"], qr=qr, **context)
    return Response(html_to_pdf(html), media_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'inline; filename="struk-{result["seq"]}.pdf"'})


@router.get("/struk/{key}/qr.svg")
def receipt_qr(request: Request, key: str) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    result = _movement(request, who, key)
    if result is None:
        return _not_found(request, who)
    signed, missing = _signed(request, result)
    if signed is None:
        assert missing is not None
        return Response(f"{missing[0]} / {missing[1]}", status_code=503,
                        media_type="text/plain; charset=utf-8", headers=NO_STORE)
    return Response(qr_svg(signed.qr_text), media_type="image/svg+xml", headers=NO_STORE)


@router.get("/struk/{key}")
def receipt(request: Request, key: str) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    result = _movement(request, who, key)
    if result is None:
        return _not_found(request, who)
    return page(request, "struk.html", who, key=key, **_context(request, who, result))
