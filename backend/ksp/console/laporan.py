"""Laporan: neraca saldo, neraca and PHU for any date, on screen and as the same PDF and
CSV as the API (ksp.printing). The console's session is a cookie, so the downloads are
console routes returning the printing module's bytes rather than calls to the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ksp.console import session as web
from ksp.console.common import NO_STORE, Errors, factory, page, settings_of, to_login
from ksp.core import clock
from ksp.ledger.dates import DateOutOfRange, check_range
from ksp.printing import documents, pdfs
from ksp.printing.render import to_csv

router = APIRouter()

KINDS = {"trial-balance": ("Neraca saldo", "Trial balance"),
         "neraca": ("Neraca", "Balance sheet"),
         "phu": ("Perhitungan hasil usaha", "Income statement")}
PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
BAD_DATE = ("Tanggal tidak valid; tulis TTTT-BB-HH (mis. 2025-12-31).",
            "Invalid date; write YYYY-MM-DD (e.g. 2025-12-31).")


def parse_day(text: str, field: str, errors: Errors) -> dt.date:
    """A typed date (blank: today), in 1900..2100; a bad one is noted next to `field`."""
    text = text.strip()[:20]
    if not text:
        return clock.today()
    try:
        return check_range(dt.date.fromisoformat(text), field)
    except DateOutOfRange as exc:
        errors[field] = (exc.render_id(), exc.render_en())
    except ValueError:
        errors[field] = BAD_DATE
    return clock.today()


def download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers=NO_STORE | {
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _pdf(request: Request, kind: str, day: dt.date) -> bytes:
    with factory(request)() as session:
        return pdfs.report_pdf(session, settings_of(request).coop_name, kind, day)


@router.get("/laporan")
def reports(request: Request, jenis: str = "trial-balance", tanggal: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    kind = jenis if jenis in KINDS else "trial-balance"
    errors: Errors = {}
    day = parse_day(tanggal, "tanggal", errors)
    data: dict[str, Any] | None = None
    if not errors:
        with factory(request)() as session:
            data = documents.REPORTS[kind](session, day)
    return page(request, "laporan.html", who, 422 if errors else 200, kind=kind, kinds=KINDS,
                day=day, tanggal=tanggal[:20] if errors else day.isoformat(), data=data,
                errors=errors)


@router.get("/laporan/{kind}.{ext}")
def report_file(request: Request, kind: str, ext: str, tanggal: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    errors: Errors = {}
    day = parse_day(tanggal, "tanggal", errors)
    if kind not in KINDS or ext not in ("pdf", "csv") or errors:
        return page(request, "laporan.html", who, 422 if errors else 404, kind="trial-balance",
                    kinds=KINDS, day=day, tanggal=tanggal[:20], data=None, errors=errors or {
                        "_form": ("Laporan tidak ditemukan.", "Report not found.")})
    if ext == "pdf":
        return download(_pdf(request, kind, day), PDF, f"{kind}-{day}.pdf")
    with factory(request)() as session:
        header, rows = documents.report_table(kind, documents.REPORTS[kind](session, day))
    return download(to_csv(header, rows), CSV, f"{kind}-{day}.csv")
