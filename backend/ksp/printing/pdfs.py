"""The printed documents as PDF bytes: one function per document, called by the API and by
the console alike, so both print the same figures under the same titles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

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


def loan_agreement_html(session: Session, coop_name: str, terms: dict[str, Any],
                        terms_hash: str, member_name: str | None = None) -> str:
    """Perjanjian Pinjaman: the signed terms in plain words, the schedule and the terms hash."""
    from ksp.loans.schedule import METHOD_LABEL, Method

    denda = terms["denda"]
    basis = ("angsuran yang terlambat / the overdue instalment" if denda["basis"] == "angsuran"
             else "sisa pokok / the outstanding principal")
    return render_html(
        "perjanjian-pinjaman.html", p=documents.provenance(session, coop_name),
        title="Perjanjian Pinjaman", title_en="Loan agreement",
        period=f"disetujui / approved {terms['approved_on']}", t=terms, terms_hash=terms_hash,
        member_name=member_name, rate=_percent(terms["rate_bps"]),
        method_label=METHOD_LABEL[Method(terms["method"])],
        denda_text=f"{_percent(denda['bps_per_day'])} per hari dari {basis}, setelah "
                   f"{denda['grace_days']} hari / per day after {denda['grace_days']} days")


def loan_agreement_pdf(session: Session, coop_name: str, terms: dict[str, Any],
                       terms_hash: str, member_name: str | None = None) -> bytes:
    return html_to_pdf(loan_agreement_html(session, coop_name, terms, terms_hash, member_name))


def _percent(bps: int) -> str:
    """1800 -> "18%", 10 -> "0,1%" (Indonesian decimal comma)."""
    whole, rest = divmod(bps, 100)
    return f"{whole},{rest:02d}".rstrip("0").rstrip(",") + "%"
