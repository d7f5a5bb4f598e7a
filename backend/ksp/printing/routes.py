"""Reports and the wajib arrears list as PDF and CSV (staff; pengawas included)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ksp.api.deps import MemberNumber, SessionDep, SettingsDep, require_roles
from ksp.api.openapi import error_responses
from ksp.api.types import QueryDate
from ksp.auth.service import READ_ALL
from ksp.core import clock
from ksp.core.money import format_rupiah
from ksp.members.errors import UnknownMember
from ksp.members.models import Member, MemberStatus
from ksp.printing import annual, documents, pdfs
from ksp.printing.render import to_csv
from ksp.prudential.errors import BeforeFounding, NoRecordsYet

router = APIRouter(prefix="/api/v1", tags=["laporan"])
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
ReportKind = Annotated[Literal["trial-balance", "neraca", "phu"],
                       Path(description="trial-balance | neraca | phu")]
MinMonths = Annotated[int, Query(ge=0, le=1200,
                                 description="Minimal bulan tertunggak / at least this many "
                                             "months behind (0: semua / all)")]
StatusFilter = Annotated[MemberStatus | None, Query(description="Status anggota / member status")]

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
def _file(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _binary(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": what,
                  "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


CSV_DOC = ("CSV UTF-8 dengan BOM, pemisah `;`, jumlah rupiah bilangan bulat / UTF-8 with BOM, "
           "`;`-separated, rupiah as plain integers")


@router.get("/reports/{kind}.pdf", response_class=Response,
            responses=_binary("application/pdf", "Laporan PDF / report as PDF"))
def report_pdf(kind: ReportKind, session: SessionDep, settings: SettingsDep, _r: Reader,
               date: QueryDate = None) -> Response:
    """Neraca saldo, neraca or PHU for `date` (default today) as PDF, naming the log seq and
    the latest anchored root the figures come from."""
    day = date or clock.today()
    return _file(pdfs.report_pdf(session, settings.coop_name, kind, day), PDF, f"{kind}-{day}.pdf")


@router.get("/reports/{kind}.csv", response_class=Response,
            responses=_binary("text/csv", CSV_DOC))
def report_csv(kind: ReportKind, session: SessionDep, _r: Reader,
               date: QueryDate = None) -> Response:
    """The same figures as the JSON report, one row per account (and totals)."""
    day = date or clock.today()
    header, rows = documents.report_table(kind, documents.REPORTS[kind](session, day))
    return _file(to_csv(header, rows), CSV, f"{kind}-{day}.csv")


class ArrearsLine(BaseModel):
    member: int
    name: str
    status: MemberStatus
    joined_on: dt.date | None
    months_due: int
    amount_due: int
    paid: int
    arrears: int
    arrears_text: str
    months_behind: int = Field(description="Bulan wajib belum lunas / months not fully paid")


class ArrearsList(BaseModel):
    as_of: dt.date
    min_months: int
    status: MemberStatus | None
    seq: int = Field(description="Ukuran log saat dihitung / log size the list was read at")
    members: list[ArrearsLine]
    total_arrears: int
    total_arrears_text: str


def _arrears(session: Session, as_of: dt.date | None, min_months: int,
             status: MemberStatus | None) -> tuple[dt.date, list[documents.ArrearsRow]]:
    day = as_of or clock.today()
    return day, documents.wajib_arrears(session, as_of=day, min_months=min_months,
                                        status=status)


@router.get("/savings/wajib-arrears", response_model=ArrearsList)
def wajib_arrears(session: SessionDep, settings: SettingsDep, _r: Reader,
                  as_of: QueryDate = None, min_months: MinMonths = 1,
                  status: StatusFilter = None) -> Any:
    """Tunggakan simpanan wajib of every member as of `as_of` (default today), at least
    `min_months` months behind, optionally of one status."""
    day, rows = _arrears(session, as_of, min_months, status)
    total = sum(r.arrears for r in rows)
    return {"as_of": day, "min_months": min_months, "status": status,
            "seq": documents.provenance(session, settings.coop_name).seq,
            "members": [{"member": r.number, "name": r.name, "status": r.status,
                         "joined_on": r.joined_on, "months_due": r.months_due,
                         "amount_due": r.amount_due, "paid": r.paid, "arrears": r.arrears,
                         "arrears_text": format_rupiah(r.arrears),
                         "months_behind": r.months_behind} for r in rows],
            "total_arrears": total, "total_arrears_text": format_rupiah(total)}


@router.get("/savings/wajib-arrears.csv", response_class=Response,
            responses=_binary("text/csv", CSV_DOC))
def wajib_arrears_csv(session: SessionDep, _r: Reader, as_of: QueryDate = None,
                      min_months: MinMonths = 1, status: StatusFilter = None) -> Response:
    day, rows = _arrears(session, as_of, min_months, status)
    return _file(to_csv(documents.ARREARS_HEADER, documents.arrears_table(rows)), CSV,
                 f"tunggakan-wajib-{day}.csv")


@router.get("/savings/wajib-arrears.pdf", response_class=Response,
            responses=_binary("application/pdf", "Daftar tunggakan PDF / arrears list as PDF"))
def wajib_arrears_pdf(session: SessionDep, settings: SettingsDep, _r: Reader,
                      as_of: QueryDate = None, min_months: MinMonths = 1,
                      status: StatusFilter = None) -> Response:
    day, rows = _arrears(session, as_of, min_months, status)
    pdf = pdfs.arrears_pdf(session, settings.coop_name, day, rows, min_months=min_months,
                           status=status.value if status else None)
    return _file(pdf, PDF, f"tunggakan-wajib-{day}.pdf")


# --- the year-end reports (ksp.printing.annual) -------------------------------------------

AnnualPdfKind = Annotated[Literal["perubahan-ekuitas", "arus-kas", "daftar-shu", "lpj"],
                          Path(description="perubahan-ekuitas | arus-kas | daftar-shu | lpj "
                                           "(laporan pertanggungjawaban: semuanya / all)")]
AnnualCsvKind = Annotated[Literal["perubahan-ekuitas", "arus-kas", "daftar-shu"],
                          Path(description="perubahan-ekuitas | arus-kas | daftar-shu")]
FiscalYear = Annotated[int, Path(ge=1900, le=2099, description="Tahun buku / fiscal year")]
YearQuery = Annotated[int, Query(ge=1900, le=2099, description="Tahun buku / fiscal year")]
ANNUAL_ERRORS = error_responses(BeforeFounding, NoRecordsYet)


@router.get("/reports/annual/{year}/{kind}.pdf", response_class=Response,
            responses=_binary("application/pdf", "Laporan tahunan PDF / year-end report")
            | ANNUAL_ERRORS)
def annual_pdf(year: FiscalYear, kind: AnnualPdfKind, session: SessionDep,
               settings: SettingsDep, _r: Reader) -> Response:
    """A year-end report; `lpj` collects neraca, PHU, perubahan ekuitas, arus kas, the
    prudential figures and the SHU list into the RAT's accountability report."""
    pdf = (annual.lpj_pdf(session, settings.coop_name, year) if kind == "lpj"
           else annual.annual_pdf(session, settings.coop_name, kind, year))
    return _file(pdf, PDF, f"{kind}-{year}.pdf")


@router.get("/reports/annual/{year}/{kind}.csv", response_class=Response,
            responses=_binary("text/csv", CSV_DOC) | ANNUAL_ERRORS)
def annual_csv(year: FiscalYear, kind: AnnualCsvKind, session: SessionDep,
               _r: Reader) -> Response:
    y = annual.fiscal_year(session, year)
    header, rows = annual.TABLES[kind](annual.DATA[kind](session, y))
    return _file(to_csv(header, rows), CSV, f"{kind}-{year}.csv")


@router.get("/members/{number}/annual-statement.pdf", response_class=Response,
            responses=_binary("application/pdf", "Laporan tahunan anggota / member's year")
            | ANNUAL_ERRORS | error_responses(UnknownMember))
def member_statement_pdf(number: MemberNumber, session: SessionDep, settings: SettingsDep,
                         _r: Reader, year: YearQuery) -> Response:
    """A member's year: savings, loans and SHU (staff and pengawas)."""
    if session.get(Member, number) is None:
        raise UnknownMember(number=number)
    pdf = annual.annual_pdf(session, settings.coop_name, "pernyataan-anggota", year, number)
    return _file(pdf, PDF, f"laporan-tahunan-anggota-{number}-{year}.pdf")
