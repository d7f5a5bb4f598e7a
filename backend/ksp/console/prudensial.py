"""Rasio kehatian: the prudential figures of a date on screen, their trend over 12 month ends
and the loans by class as charts (Chart.js from npm, served by us), and the same PDF and CSV
as the API. Staff and pengawas read it; nothing here writes."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ksp.console import session as web
from ksp.console.common import Errors, factory, page, settings_of, to_login
from ksp.console.laporan import CSV, PDF, download, parse_day
from ksp.core.errors import KspError
from ksp.loans.quality import KOLEKTIBILITAS_LABEL, Kolektibilitas
from ksp.printing.render import to_csv
from ksp.prudential import document
from ksp.prudential.rules import Prudential, percent_text
from ksp.prudential.service import prudential_on, trend

router = APIRouter()


def _charts(figures: Prudential, points: list[Any]) -> dict[str, str]:
    """The charts' data as JSON for data- attributes (no inline script under the CSP)."""
    classes = [{"label": f"{KOLEKTIBILITAS_LABEL[k][0]} / {KOLEKTIBILITAS_LABEL[k][1]}",
                "rupiah": figures.quality.by_class.get(k.value, 0)} for k in Kolektibilitas]
    series = {"labels": [p.date.isoformat() for p in points],
              "npl": [p.npl_bps for p in points],
              "likuiditas": [p.liquidity_bps for p in points],
              "modal": [p.capital_to_assets_bps for p in points],
              "pinjaman": [p.loans_to_savings_bps for p in points]}
    return {"classes": json.dumps(classes), "trend": json.dumps(series)}


@router.get("/prudensial")
def prudential_page(request: Request, tanggal: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    errors: Errors = {}
    day = parse_day(tanggal, "tanggal", errors)
    figures, charts = None, None
    if not errors:
        with factory(request)() as session:
            try:
                figures = prudential_on(session, day)
                charts = _charts(figures, trend(session, day))
            except KspError as exc:
                errors["tanggal"] = (exc.render_id(), exc.render_en())
    return page(request, "prudensial.html", who, 422 if errors else 200, day=day,
                tanggal=tanggal[:20] if errors else day.isoformat(), r=figures, charts=charts,
                ratios=document.RATIOS, pct=percent_text, errors=errors)


@router.get("/prudensial.{ext}")
def prudential_file(request: Request, ext: str, tanggal: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    errors: Errors = {}
    day = parse_day(tanggal, "tanggal", errors)
    if ext not in ("pdf", "csv"):
        errors["_form"] = ("Berkas tidak ditemukan.", "File not found.")
    if not errors:
        with factory(request)() as session:
            try:
                figures = prudential_on(session, day)
                if ext == "pdf":
                    return download(document.pdf(session, settings_of(request).coop_name,
                                                 figures), PDF, f"prudensial-{day}.pdf")
                return download(to_csv(document.HEADER, document.table(figures)), CSV,
                                f"prudensial-{day}.csv")
            except KspError as exc:
                errors["tanggal"] = (exc.render_id(), exc.render_en())
    return page(request, "prudensial.html", who, 404 if "_form" in errors else 422, day=day,
                tanggal=tanggal[:20], r=None, charts=None, ratios=document.RATIOS,
                pct=percent_text, errors=errors)
