"""Simpanan wajib: the arrears list for any date (with its CSV and PDF), and collecting
this month's wajib from the members present at a meeting, one deposit per member."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.accounting.products import SAVINGS_ACCOUNT
from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import (
    CONTROL,
    FORM_KEY,
    Errors,
    check_post,
    factory,
    member_number,
    new_key,
    page,
    settings_of,
    to_login,
    writer_for,
)
from ksp.console.laporan import CSV, PDF, download, parse_day
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.errors import Conflict, KspError
from ksp.ledger.models import JournalEntry, JournalLine, Side
from ksp.members import service as members
from ksp.members.models import MemberStatus
from ksp.printing import documents, pdfs
from ksp.printing.render import to_csv
from ksp.savings import service as savings
from ksp.savings.service import Jenis

router = APIRouter()
# The list of members present may be long: its own reader, bounded by the body guard.
MAX_PRESENT = 5000


class WajibAlreadyPaid(Conflict):
    code = "wajib_already_paid"
    message_id = "Anggota {number} sudah membayar simpanan wajib bulan {month}."
    message_en = "Member {number} has already paid simpanan wajib for {month}."


# --- tunggakan -------------------------------------------------------------------------


def _arrears_filter(tanggal: str, minimal: str, q: str) -> tuple[dt.date, int, str, Errors]:
    errors: Errors = {}
    day = parse_day(tanggal, "tanggal", errors)
    months = 1
    text = minimal.strip()[:6]
    if text:
        if text.isdigit() and int(text) <= 1200:
            months = int(text)
        else:
            errors["minimal"] = ("Minimal bulan harus angka 0..1200.",
                                 "The minimum months must be a number 0..1200.")
    return day, months, CONTROL.sub("", q).strip()[:100], errors


def _arrears_rows(request: Request, day: dt.date, months: int,
                  q: str) -> list[documents.ArrearsRow]:
    with factory(request)() as session:
        rows = documents.wajib_arrears(session, as_of=day, min_months=months)
    if q:  # by member number, or by a part of the name
        number = member_number(q)
        rows = [r for r in rows if r.number == number or q.casefold() in r.name.casefold()]
    return rows


@router.get("/wajib/tunggakan")
def arrears(request: Request, tanggal: str = "", minimal: str = "1", q: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    day, months, query, errors = _arrears_filter(tanggal, minimal, q)
    rows = [] if errors else _arrears_rows(request, day, months, query)
    same = urlencode({"tanggal": day.isoformat(), "minimal": months, "q": query})
    return page(request, "tunggakan.html", who, 422 if errors else 200, rows=rows, day=day,
                values={"tanggal": tanggal[:20] if errors else day.isoformat(),
                        "minimal": minimal[:6] if errors else str(months), "q": query},
                total=sum(r.arrears for r in rows), same=same, errors=errors)


@router.get("/wajib/tunggakan.{ext}")
def arrears_file(request: Request, ext: str, tanggal: str = "", minimal: str = "1",
                 q: str = "") -> Response:
    """The API's CSV and PDF (same header, template and figures) for the filter on screen."""
    who = web.principal(request)
    if who is None:
        return to_login()
    day, months, query, errors = _arrears_filter(tanggal, minimal, q)
    if errors or ext not in ("csv", "pdf"):
        return arrears(request, tanggal, minimal, q) if errors else Response(
            "Tidak ditemukan / Not found", status_code=404, media_type="text/plain")
    rows = _arrears_rows(request, day, months, query)
    if ext == "csv":
        return download(to_csv(documents.ARREARS_HEADER, documents.arrears_table(rows)), CSV,
                        f"tunggakan-wajib-{day}.csv")
    with factory(request)() as session:
        pdf = pdfs.arrears_pdf(session, settings_of(request).coop_name, day, rows,
                               min_months=months, status=None)
    return download(pdf, PDF, f"tunggakan-wajib-{day}.pdf")


# --- kumpulkan wajib bulan ini -----------------------------------------------------------


@dataclass(frozen=True)
class Owing:
    number: int
    name: str
    due: int  # this month's wajib (AD/ART)
    paid_this_month: int
    months_behind: int  # through this month, oldest month first
    arrears: int

    @property
    def paid(self) -> bool:
        """Paid this month, or every month through this one is covered (paid ahead)."""
        return self.paid_this_month >= self.due or self.arrears == 0


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _paid_in_month(session: Session, day: dt.date,
                   number: int | None = None) -> dict[int, int]:
    """Wajib paid per member from the first of `day`'s month through `day`; reversed
    deposits (debit lines) count against it."""
    query = (select(JournalLine.member_number, JournalLine.side, func.sum(JournalLine.amount))
             .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
             .where(JournalLine.account_code == SAVINGS_ACCOUNT[Jenis.WAJIB],
                    JournalEntry.entry_date >= _month_start(day), JournalEntry.entry_date <= day)
             .group_by(JournalLine.member_number, JournalLine.side))
    if number is not None:
        query = query.where(JournalLine.member_number == number)
    paid: dict[int, int] = {}
    for member, side, total in session.execute(query):
        if member is not None:
            paid[member] = paid.get(member, 0) + (int(total) if side == Side.CREDIT
                                                  else -int(total))
    return paid


def owing(session: Session, day: dt.date) -> list[Owing]:
    """Every active anggota with this month's wajib and whether it is paid."""
    due = adart_at(session, day).simpanan_wajib
    paid = _paid_in_month(session, day)
    return [Owing(r.number, r.name, due, paid.get(r.number, 0), r.months_behind, r.arrears)
            for r in documents.wajib_arrears(session, as_of=day, min_months=0,
                                             status=MemberStatus.ANGGOTA)]


def _one_owing(session: Session, day: dt.date, number: int) -> Owing:
    """The same figures for one member, read under the member's row lock."""
    member = members.get_member(session, number, lock=True)
    arrears = savings.wajib_arrears(session, member_number=number, as_of=day).arrears
    return Owing(number, member.name, adart_at(session, day).simpanan_wajib,
                 _paid_in_month(session, day, number).get(number, 0),
                 -1, arrears)  # months behind: not needed to decide, not read


async def present_fields(request: Request) -> list[tuple[str, str]]:
    """The form as pairs: `anggota` repeats, once per member ticked."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media != "application/x-www-form-urlencoded":
        return []
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                         max_num_fields=MAX_PRESENT + 10)
    except (UnicodeDecodeError, ValueError):
        return []


Pairs = Annotated[list[tuple[str, str]], Depends(present_fields)]


def _ticked(pairs: list[tuple[str, str]]) -> list[int] | None:
    """The member numbers ticked, in order, once each; None if one is not a number."""
    numbers: list[int] = []
    for name, value in pairs:
        if name == "anggota":
            number = member_number(value)
            if number is None:
                return None
            if number not in numbers:
                numbers.append(number)
    return numbers


def _month_name(day: dt.date) -> str:
    return day.strftime("%m-%Y")


def _collect_page(request: Request, who: Principal, status: int, errors: Errors,
                  ticked: list[int] | None = None) -> Response:
    day = clock.today()
    with factory(request)() as session:
        rows = owing(session, day)
    return page(request, "kumpulkan.html", who, status, rows=rows, month=_month_name(day),
                due=rows[0].due if rows else None, ticked=set(ticked or []), key=new_key(),
                errors=errors)


@router.get("/wajib/kumpulkan")
def collect_form(request: Request) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return _collect_page(request, who, 200, {})


def _checked_selection(request: Request, pairs: list[tuple[str, str]]
                       ) -> tuple[Principal | Response, list[Owing], str]:
    form = dict(pairs)
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked, [], ""
    who = checked
    key = form.get("kunci", "")
    numbers = _ticked(pairs)
    if numbers is None or not FORM_KEY.fullmatch(key):
        return _collect_page(request, who, 422, {"_form": (
            "Formulir tidak lengkap; pilih lagi.", "The form is incomplete; choose again.")}), \
            [], key
    if not numbers:
        return _collect_page(request, who, 422, {"anggota": (
            "Centang minimal satu anggota yang hadir.",
            "Tick at least one member who is present.")}), [], key
    with factory(request)() as session:
        by_number = {o.number: o for o in owing(session, clock.today())}
    chosen = [by_number[n] for n in numbers if n in by_number]
    if len(chosen) != len(numbers):
        return _collect_page(request, who, 422, {"anggota": (
            "Ada nomor yang bukan anggota aktif.", "A number is not an active member.")},
            numbers), [], key
    return who, chosen, key


@router.post("/wajib/kumpulkan/periksa")
def collect_check(request: Request, pairs: Pairs) -> Response:
    """The confirm step: who, how many, and the total; nothing is posted yet."""
    who, chosen, key = _checked_selection(request, pairs)
    if not isinstance(who, Principal):
        return who
    already = [o for o in chosen if o.paid]
    if already:
        exc = WajibAlreadyPaid(number=already[0].number, month=_month_name(clock.today()))
        return _collect_page(request, who, exc.status, {"anggota": (
            exc.render_id(), exc.render_en())}, [o.number for o in chosen if not o.paid])
    return page(request, "kumpulkan_periksa.html", who, chosen=chosen,
                total=sum(o.due for o in chosen), month=_month_name(clock.today()), key=key)


@dataclass(frozen=True)
class Collected:
    number: int
    name: str
    result: dict[str, Any] | None  # the receipt's fields
    key: str
    error: tuple[str, str] | None


@router.post("/wajib/kumpulkan/simpan")
def collect_save(request: Request, pairs: Pairs) -> Response:
    """One wajib deposit per member, each under its own key derived from the form's, so a
    resubmitted form posts nothing twice; each has its own receipt."""
    who, chosen, key = _checked_selection(request, pairs)
    if not isinstance(who, Principal):
        return who
    results: list[Collected] = []
    for o in chosen:
        own_key = f"{key}-{o.number}"
        writer = writer_for(request, who, own_key)
        assert writer is not None  # the form key is checked, the suffix is digits

        def act(session: Session, number: int = o.number) -> tuple[int, Any, int]:
            today = clock.today()
            now = _one_owing(session, today, number)
            if now.paid:
                raise WajibAlreadyPaid(number=number, month=_month_name(today))
            m = savings.deposit(session, member_number=number, jenis=Jenis.WAJIB,
                                amount=now.due, on=today)
            return 201, {"seq": m.seq, "member": m.member, "name": now.name, "arah": "setor",
                         "jenis": m.jenis.value, "amount": m.amount, "balance": m.balance,
                         "tanggal": m.date.isoformat()}, m.seq

        try:
            result = writer.run({"member": o.number, "arah": "setor", "jenis": "wajib",
                                 "month": _month_name(clock.today())}, act)
        except KspError as exc:
            results.append(Collected(o.number, o.name, None, own_key,
                                     (exc.render_id(), exc.render_en())))
        else:
            results.append(Collected(o.number, o.name, result, own_key, None))
    done = [r for r in results if r.result]
    return page(request, "kumpulkan_hasil.html", who, results=results, count=len(done),
                total=sum(r.result["amount"] for r in done if r.result),
                month=_month_name(clock.today()))
