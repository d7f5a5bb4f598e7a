"""Potong gaji: the paymaster's monthly file (CSV or XLSX) uploaded from the console, the
counts of what posted, and every refused line with its reason for the paymaster.

The browser sends the file as the raw body (the server has no multipart parser), by the
page's own script; the import is the API's (`ksp.payroll.routes.run_import`), under the
form's idempotency key, so a resent upload answers the same import."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import (
    INT64_MAX,
    NO_STORE,
    check_post,
    cipher_of,
    factory,
    new_key,
    page,
    to_login,
    writer_for,
)
from ksp.console.laporan import CSV, download
from ksp.core import clock
from ksp.core.errors import InvalidInput, KspError
from ksp.payroll import service
from ksp.payroll.errors import InvalidPeriod
from ksp.payroll.models import PayrollImport
from ksp.payroll.routes import CONSOLE_PATH, run_import, uploaded_file
from ksp.printing.render import to_csv

router = APIRouter()
RECENT = 20
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_TEXT = re.compile(r"[^\x00-\x1f\x7f]{0,200}")


def _recent(request: Request) -> list[PayrollImport]:
    with factory(request)() as session:
        return list(session.scalars(select(PayrollImport)
                                    .order_by(PayrollImport.id.desc()).limit(RECENT)))


@router.get("/potong-gaji")
def upload_form(request: Request) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    today = clock.today()
    return page(request, "potong_gaji.html", who, key=new_key(), period=today.strftime("%Y-%m"),
                tanggal=today.isoformat(), imports=_recent(request))


def _refusal(exc: KspError, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {**exc.to_json(), "field": field}
    return JSONResponse(body, status_code=exc.status, headers=NO_STORE)


def _field(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    if not _TEXT.fullmatch(value):
        raise InvalidInput(field=name, reason_id="berisi karakter yang tidak diizinkan",
                           reason_en="holds characters that are not allowed")
    return value or None


@router.post(CONSOLE_PATH.removeprefix("/staff"))
async def upload(request: Request) -> Response:
    """The file as the body; period, date, reason and file name in the query; the CSRF token
    and the form's key in headers. Answers JSON: the import's id, or the refusal."""
    checked = check_post(request, {"csrf": request.headers.get("x-csrf-token", "")},
                         write=True)
    if not isinstance(checked, Principal):
        return checked
    writer = writer_for(request, checked, request.headers.get("idempotency-key", ""))
    if writer is None:
        return _refusal(InvalidInput(field="kunci", reason_id="kunci formulir tidak sah",
                                     reason_en="the form key is invalid"))
    try:
        period = request.query_params.get("period", "")
        if not _PERIOD.fullmatch(period):
            return _refusal(InvalidPeriod(period=period[:20]), "period")
        tanggal = _field(request, "tanggal")
        try:
            on = dt.date.fromisoformat(tanggal) if tanggal else clock.today()
        except ValueError:
            return _refusal(InvalidInput(field="tanggal", reason_id="bukan tanggal",
                                         reason_en="not a date"), "tanggal")
        data = await uploaded_file(request)
        result = run_import(writer, factory(request), cipher_of(request), data, period=period,
                            on=on, alasan=_field(request, "alasan"),
                            nama_berkas=_field(request, "nama_berkas"))
    except KspError as exc:
        return _refusal(exc, "tanggal" if "date" in exc.code else None)
    return JSONResponse({"id": result["id"], "href": f"/staff/potong-gaji/{result['id']}"},
                        status_code=201, headers=NO_STORE)


def _import_or_none(request: Request, import_id: int) -> dict[str, Any] | None:
    if not 1 <= import_id <= INT64_MAX:
        return None
    with factory(request)() as session:
        row = session.get(PayrollImport, import_id)
        if row is None:
            return None
        return {"summary": service.summary(row),
                "rejects": service.rejects_table(session, import_id)}


def _found(request: Request, import_id: int) -> tuple[Principal, dict[str, Any]] | Response:
    """The signed-in reader and the import, or the page that says why not."""
    who = web.principal(request)
    if who is None:
        return to_login()
    found = _import_or_none(request, import_id)
    if found is None:
        return page(request, "ditolak.html", who, status=404, reason=(
            f"Impor potong gaji {import_id} tidak ditemukan.",
            f"Payroll import {import_id} not found."))
    return who, found


@router.get("/potong-gaji/{import_id}")
def result(request: Request, import_id: int) -> Response:
    found = _found(request, import_id)
    if isinstance(found, Response):
        return found
    who, imp = found
    return page(request, "potong_gaji_hasil.html", who, imp=imp["summary"],
                rejects=imp["rejects"])


@router.get("/potong-gaji/{import_id}/ditolak.csv")
def rejects_csv(request: Request, import_id: int) -> Response:
    found = _found(request, import_id)
    if isinstance(found, Response):
        return found
    return download(to_csv(service.REJECTS_HEADER, found[1]["rejects"]), CSV,
                    f"potong-gaji-{import_id}-ditolak.csv")
