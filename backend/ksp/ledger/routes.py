from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from ksp.api.deps import SessionDep, Writer, require_roles, writer_for
from ksp.api.openapi import error_responses
from ksp.api.types import QueryDate, Tanggal
from ksp.auth.service import APPROVE, READ_ALL
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.money import format_rupiah
from ksp.ledger import journal, reports
from ksp.ledger.errors import PeriodClosed

router = APIRouter(prefix="/api/v1", tags=["laporan"])
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
BoardWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]


class AccountRow(BaseModel):
    code: str
    name: str
    name_en: str
    debit: int
    credit: int
    balance: int
    balance_text: str


class ExtraLine(BaseModel):
    name: str
    name_en: str
    balance: int


class SectionOut(BaseModel):
    lines: list[AccountRow]
    extra: list[ExtraLine]
    total: int
    total_text: str


class TrialBalance(BaseModel):
    date: dt.date
    accounts: list[AccountRow]
    total_debit: int
    total_credit: int


class Neraca(BaseModel):
    date: dt.date
    aset: SectionOut
    kewajiban: SectionOut
    ekuitas: SectionOut
    balanced: bool


class Phu(BaseModel):
    since: dt.date
    through: dt.date
    pendapatan: SectionOut
    beban: SectionOut
    shu: int
    shu_text: str


class Closed(BaseModel):
    closed_through: dt.date
    seq: int


def _rows(lines: list[reports.AccountBalance]) -> list[dict[str, Any]]:
    return [{"code": r.code, "name": r.name_id, "name_en": r.name_en, "debit": r.debit,
             "credit": r.credit, "balance": r.balance, "balance_text": format_rupiah(r.balance)}
            for r in lines if r.debit or r.credit]


def _section(section: reports.Section) -> dict[str, Any]:
    return {"lines": _rows(section.lines),
            "extra": [{"name": n, "name_en": e, "balance": a} for n, e, a in section.extra],
            "total": section.total, "total_text": format_rupiah(section.total)}


@router.get("/reports/trial-balance", response_model=TrialBalance)
def trial_balance(session: SessionDep, _r: Reader, date: QueryDate = None) -> Any:
    rows = reports.trial_balance(session, through=date or clock.today())
    return {"date": (date or clock.today()).isoformat(), "accounts": _rows(rows),
            "total_debit": sum(r.debit for r in rows),
            "total_credit": sum(r.credit for r in rows)}


@router.get("/reports/neraca", response_model=Neraca)
def neraca(session: SessionDep, _r: Reader, date: QueryDate = None) -> Any:
    day = date or clock.today()
    sheet = reports.balance_sheet(session, date=day,
                                  fiscal_start_month=adart_at(session, day).fiscal_year_start_month)
    return {"date": day.isoformat(), "aset": _section(sheet.assets),
            "kewajiban": _section(sheet.liabilities), "ekuitas": _section(sheet.equity),
            "balanced": sheet.balanced}


@router.get("/reports/phu", response_model=Phu)
def phu(session: SessionDep, _r: Reader, date: QueryDate = None) -> Any:
    day = date or clock.today()
    result = reports.income_statement(
        session, through=day, fiscal_start_month=adart_at(session, day).fiscal_year_start_month)
    return {"since": result.since.isoformat(), "through": day.isoformat(),
            "pendapatan": _section(result.income), "beban": _section(result.expense),
            "shu": result.shu, "shu_text": format_rupiah(result.shu)}


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    through: Tanggal


@router.post("/periods/close", response_model=Closed,
             responses=error_responses(PeriodClosed))
def close_period(body: CloseIn, writer: BoardWriter) -> Any:
    """Tutup buku: nothing may be posted on or before `through` afterwards (pengurus)."""
    def act(session: Any) -> tuple[int, Any, int]:
        seq = journal.close_period(session, through=body.through)
        return 200, {"closed_through": body.through.isoformat(), "seq": seq}, seq

    return writer.run(body.model_dump(mode="json"), act)
