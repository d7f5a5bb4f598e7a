"""Laporan tahunan: the year-end reports for the RAT (ksp.printing.annual) on one page, each
as PDF (and CSV where it is a table), a member's annual statement, and the laporan
pertanggungjawaban with all of them in one PDF. Staff and pengawas print; nothing here
writes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import Errors, factory, page, settings_of, to_login
from ksp.console.laporan import CSV, PDF, download
from ksp.core import clock
from ksp.core.errors import KspError
from ksp.members.errors import UnknownMember
from ksp.members.models import Member
from ksp.printing import annual
from ksp.printing.render import to_csv

router = APIRouter()
KINDS = ("perubahan-ekuitas", "arus-kas", "daftar-shu")
BAD_YEAR = ("Tahun buku tidak valid; tulis 4 angka (mis. 2025).",
            "Invalid fiscal year; write 4 digits (e.g. 2025).")
BAD_MEMBER = ("Nomor anggota tidak valid.", "Invalid member number.")


def _year(text: str, errors: Errors) -> int:
    text = text.strip()[:8]
    if not text:
        return clock.today().year - 1
    if not text.isdigit() or not 1900 <= int(text) <= 2099:
        errors["tahun"] = BAD_YEAR
        return clock.today().year - 1
    return int(text)


def _page(request: Request, who: Principal, status: int, year: int, errors: Errors,
          data: dict[str, Any] | None = None) -> Response:
    return page(request, "tahunan.html", who, status, year=year, kinds=KINDS,
                titles=annual.TITLES, errors=errors, data=data)


@router.get("/laporan-tahunan")
def annual_page(request: Request, tahun: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    errors: Errors = {}
    year = _year(tahun, errors)
    data = None
    if not errors:
        with factory(request)() as session:
            try:
                y = annual.fiscal_year(session, year)
                data = {"ekuitas": annual.equity_changes(session, y),
                        "arus": annual.cash_flow(session, y), "shu": annual.shu_list(session, y)}
            except KspError as exc:
                errors["tahun"] = (exc.render_id(), exc.render_en())
    return _page(request, who, 422 if errors else 200, year, errors, data)


@router.get("/laporan-tahunan/{year}/{name}")
def annual_file(request: Request, year: int, name: str, anggota: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    kind, _, ext = name.partition(".")
    errors: Errors = {}
    known = ((kind in KINDS and ext in ("pdf", "csv"))
             or (kind in ("lpj", "pernyataan-anggota") and ext == "pdf"))
    if not known or not 1900 <= year <= 2099:
        errors["_form"] = ("Laporan tidak ditemukan.", "Report not found.")
        return _page(request, who, 404, clock.today().year - 1, errors)
    coop = settings_of(request).coop_name
    with factory(request)() as session:
        try:
            if kind == "lpj":
                return download(annual.lpj_pdf(session, coop, year), PDF, f"lpj-{year}.pdf")
            if kind == "pernyataan-anggota":
                text = anggota.strip()[:19]
                if not text.isdigit() or int(text) < 1 or int(text) > 2**63 - 1:
                    errors["anggota"] = BAD_MEMBER
                    return _page(request, who, 422, year, errors)
                if session.get(Member, int(text)) is None:
                    raise UnknownMember(number=int(text))
                return download(annual.annual_pdf(session, coop, kind, year, int(text)), PDF,
                                 f"laporan-tahunan-anggota-{text}-{year}.pdf")
            if ext == "pdf":
                return download(annual.annual_pdf(session, coop, kind, year), PDF,
                                f"{kind}-{year}.pdf")
            y = annual.fiscal_year(session, year)
            header, rows = annual.TABLES[kind](annual.DATA[kind](session, y))
            return download(to_csv(header, rows), CSV, f"{kind}-{year}.csv")
        except KspError as exc:
            field = "anggota" if isinstance(exc, UnknownMember) else "tahun"
            errors[field] = (exc.render_id(), exc.render_en())
    return _page(request, who, 404 if "anggota" in errors else 422, year, errors)
