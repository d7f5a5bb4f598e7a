"""Jejak audit: who did what, newest first, with filters, through the same search as
`GET /api/v1/audit-events` (`ksp.audit.service.find_events`) and for the same roles."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ksp.audit.routes import READERS
from ksp.audit.service import find_events
from ksp.console import session as web
from ksp.console.common import CONTROL, Errors, factory, page, refused, templates, to_login
from ksp.console.rantai import local_time
from ksp.core.errors import KspError
from ksp.ledger.dates import check_range

router = APIRouter()
templates.globals["audit_readers"] = READERS  # the nav shows the link to these roles only

PAGE_SIZE = 50
MAX_PAGE = 100_000  # keeps the offset far inside what both databases take
FILTERS = ("pelaku", "aksi", "dari", "sampai", "seq")
BAD_DATE = ("Tanggal tidak dikenali; tulis 2026-11-27 atau 27-11-2026.",
            "Date not understood; write 2026-11-27 or 27-11-2026.")
BAD_SEQ = ("Nomor urut log harus angka 1 atau lebih.",
           "The log seq must be a number, 1 or more.")


def parse_date(text: str, field: str) -> dt.date:
    """`YYYY-MM-DD` (a date input) or `DD-MM-YYYY` (as people write it), 1900..2100."""
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            day = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return check_range(day, field)
    raise ValueError(text)


@router.get("/audit")
def audit_trail(request: Request, pelaku: str = "", aksi: str = "", dari: str = "",
                sampai: str = "", seq: str = "", hal: str = "1") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if who.role not in READERS:
        return refused(request, who, "Jejak audit hanya untuk super admin, pengurus dan "
                       "pengawas.", "The audit trail is for the super admin, the pengurus "
                       "and the pengawas only.")
    values = {name: CONTROL.sub("", text).strip()[:120] for name, text in
              zip(FILTERS, (pelaku, aksi, dari, sampai, seq), strict=True)}
    errors: Errors = {}
    days: dict[str, dt.date | None] = {"dari": None, "sampai": None}
    for name in days:
        if values[name]:
            try:
                days[name] = parse_date(values[name], name)
            except KspError as exc:
                errors[name] = (exc.render_id(), exc.render_en())
            except ValueError:
                errors[name] = BAD_DATE
    log_seq = None
    if values["seq"]:
        if values["seq"].isdigit() and len(values["seq"]) <= 18 and int(values["seq"]) >= 1:
            log_seq = int(values["seq"])
        else:
            errors["seq"] = BAD_SEQ
    number = int(hal) if hal.isdigit() and len(hal) <= 6 else 1
    number = min(max(number, 1), MAX_PAGE)
    events, more = [], False
    if not errors:
        try:
            with factory(request)() as session:
                found = find_events(
                    session, actor=values["pelaku"] or None, action=values["aksi"] or None,
                    dari=days["dari"], sampai=days["sampai"], log_seq=log_seq,
                    limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
        except KspError as exc:
            field = str(exc.details.get("field", "_form"))
            errors[field if field in FILTERS else "_form"] = (exc.render_id(), exc.render_en())
        else:
            events, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    query = {k: v for k, v in values.items() if v}

    def page_url(n: int) -> str:
        return "/staff/audit?" + urlencode(query | {"hal": n})

    return page(request, "audit.html", who, 422 if errors else 200, values=values,
                errors=errors, events=events, number=number, page_url=page_url,
                previous=number > 1, more=more, local_time=local_time)
