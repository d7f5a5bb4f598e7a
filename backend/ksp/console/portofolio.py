"""Portofolio pinjaman: the loans by kolektibilitas (OJK's five classes and the
cooperative's four), NPL and its health band, the allowance required against what is
posted, related-party lending against its cap; and the daily close of business for the
days not closed yet (the same close as `ksp loans close` and the nightly job)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import (
    Errors,
    Form,
    check_post,
    factory,
    new_key,
    page,
    to_login,
    writer_for,
)
from ksp.console.laporan import parse_day
from ksp.core import clock
from ksp.core.errors import KspError
from ksp.loans import portfolio
from ksp.loans.close import close_day
from ksp.loans.quality import KELAS_KOPERASI_LABEL, KOLEKTIBILITAS_LABEL

router = APIRouter()


def _page(request: Request, who: Principal, day: dt.date, *, status: int = 200,
          errors: Errors | None = None, closed: dict[str, Any] | None = None) -> Response:
    with factory(request)() as session:
        figures = portfolio.portfolio_on(session, day)
    return page(request, "portofolio.html", who, status, p=figures, day=day,
                tanggal=day.isoformat(), errors=errors or {}, closed=closed, key=new_key(),
                kelas=KOLEKTIBILITAS_LABEL, kelas_koperasi=KELAS_KOPERASI_LABEL)


@router.get("/pinjaman-portofolio")
def show(request: Request, tanggal: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    errors: Errors = {}
    day = parse_day(tanggal, "tanggal", errors)
    return _page(request, who, day, status=422 if errors else 200, errors=errors)


@router.post("/pinjaman-portofolio/tutup-hari")
def close(request: Request, form: Form) -> Response:
    """Closes every loan through today (each missed day first); a day closed before changes
    nothing, and a resent form answers the same close."""
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    today = clock.today()
    writer = writer_for(request, checked, form.get("kunci", ""))
    if writer is None:
        return _page(request, checked, today, status=422, errors={"_form": (
            "Formulir tidak lengkap; muat ulang halaman.", "The form is incomplete; reload.")})

    def act(session: Session) -> tuple[int, Any, int | None]:
        report = close_day(session, today)
        return 200, {"sampai": report.through.isoformat(), "hari": len(report.days),
                     "denda": report.denda_total,
                     "macet": sum(len(d.defaulted) for d in report.days),
                     "perubahan": sum(len(d.changes) for d in report.days),
                     "pengingat": sum(d.reminders for d in report.days)}, \
            report.days[-1].seq if report.days else None

    try:
        closed = writer.run({"tutup_hari": today.isoformat()}, act)
    except KspError as exc:
        return _page(request, checked, today, status=exc.status,
                     errors={"_form": (exc.render_id(), exc.render_en())})
    return _page(request, checked, today, closed=closed)
