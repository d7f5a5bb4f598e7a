"""The printed documents as PDF bytes: one function per document, called by the API and by
the console alike, so both print the same figures under the same titles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from ksp.printing import documents
from ksp.printing.render import html_to_pdf, render_html

TITLES = {"trial-balance": ("Neraca Saldo", "Trial balance"),
          "neraca": ("Neraca", "Balance sheet"),
          "phu": ("Perhitungan Hasil Usaha", "Income statement"),
          "wajib-arrears": ("Tunggakan Simpanan Wajib", "Simpanan wajib arrears")}


def report_pdf(session: Session, coop_name: str, kind: str, day: dt.date) -> bytes:
    """Neraca saldo, neraca or PHU as of `day`."""
    data = documents.REPORTS[kind](session, day)
    period = f"{data['since']} s.d. {day}" if kind == "phu" else f"per / as of {day}"
    title, title_en = TITLES[kind]
    return html_to_pdf(render_html(f"{kind}.html", p=documents.provenance(session, coop_name),
                                   title=title, title_en=title_en, period=period, data=data))


def arrears_pdf(session: Session, coop_name: str, day: dt.date,
                rows: Sequence[documents.ArrearsRow], *, min_months: int,
                status: str | None) -> bytes:
    """The wajib arrears list as of `day` (rows already filtered by the caller)."""
    title, title_en = TITLES["wajib-arrears"]
    return html_to_pdf(render_html(
        "wajib-arrears.html", p=documents.provenance(session, coop_name), title=title,
        title_en=title_en, period=f"per / as of {day}", rows=rows, min_months=min_months,
        status=status))
