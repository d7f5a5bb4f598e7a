from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ksp.api.deps import SessionDep, Writer, require_roles, writer_for
from ksp.api.openapi import error_responses
from ksp.api.types import HumanText, QueryDate, Tanggal
from ksp.auth.models import Role
from ksp.auth.service import APPROVE, READ_ALL
from ksp.core import clock
from ksp.ledger import journal
from ksp.ledger.dates import CloseNotPast
from ksp.ledger.errors import (
    NothingClosed,
    PeriodClosed,
    ReopenAlreadyDecided,
    ReopenNeedsOtherRole,
    ReopenNotEarlier,
    ReopenRequestNotFound,
    ReopenRequestStale,
)
from ksp.ledger.models import LogHead, PeriodReopenRequest
from ksp.printing import documents  # the report figures, shaped once for JSON, CSV, PDF

router = APIRouter(prefix="/api/v1", tags=["laporan"])
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
BoardWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]
# Reopening closed books is the one write a pengawas makes: the maker-checker's other half.
ReopenWriter = Annotated[Writer, Depends(writer_for(Role.PENGURUS, Role.PENGAWAS))]
RequestId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Nomor permintaan")]


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


@router.get("/reports/trial-balance", response_model=TrialBalance)
def trial_balance(session: SessionDep, _r: Reader, date: QueryDate = None) -> Any:
    return documents.trial_balance(session, date or clock.today())


@router.get("/reports/neraca", response_model=Neraca)
def neraca(session: SessionDep, _r: Reader, date: QueryDate = None) -> Any:
    return documents.neraca(session, date or clock.today())


@router.get("/reports/phu", response_model=Phu)
def phu(session: SessionDep, _r: Reader, date: QueryDate = None) -> Any:
    return documents.phu(session, date or clock.today())


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    through: Tanggal


@router.post("/periods/close", response_model=Closed,
             responses=error_responses(PeriodClosed, CloseNotPast))
def close_period(body: CloseIn, writer: BoardWriter) -> Any:
    """Tutup buku: nothing may be posted on or before `through` afterwards (pengurus).
    `through` must be a day already past."""
    def act(session: Any) -> tuple[int, Any, int]:
        seq = journal.close_period(session, through=body.through)
        return 200, {"closed_through": body.through.isoformat(), "seq": seq}, seq

    return writer.run(body.model_dump(mode="json"), act)


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    through: Tanggal | None = Field(
        None, description="Closed through this earlier date afterwards; null opens all")
    alasan: HumanText = Field(max_length=200, description="Alasan membuka kembali")


class ReopenRequestOut(BaseModel):
    id: int
    through: str | None = Field(description="Tetap ditutup sampai / still closed through")
    closed_through: str
    alasan: str
    requested_by: str
    requested_role: str
    approved_by: str | None
    approved_role: str | None
    seq: int | None = Field(description="Entri log `period.reopened`, bila disetujui")
    status: str = Field(description="menunggu | disetujui")


class Periods(BaseModel):
    closed_through: str | None
    reopen_requests: list[ReopenRequestOut]


REOPEN_ERRORS = (ReopenNeedsOtherRole, NothingClosed, ReopenNotEarlier)
APPROVE_ERRORS = (ReopenRequestNotFound, ReopenAlreadyDecided, ReopenNeedsOtherRole,
                  ReopenRequestStale)


def _reopen_request(r: PeriodReopenRequest) -> dict[str, Any]:
    return {"id": r.id, "through": r.through.isoformat() if r.through else None,
            "closed_through": r.closed_through.isoformat(), "alasan": r.reason,
            "requested_by": r.requested_by, "requested_role": r.requested_role,
            "approved_by": r.approved_by, "approved_role": r.approved_role, "seq": r.seq,
            "status": "disetujui" if r.seq is not None else "menunggu"}


@router.get("/periods", response_model=Periods)
def periods(session: SessionDep, _r: Reader) -> Any:
    """How far the books are closed, and the reopening requests."""
    head = session.get(LogHead, 1)
    closed = head.closed_through if head is not None else None
    requests = session.scalars(select(PeriodReopenRequest).order_by(PeriodReopenRequest.id))
    return {"closed_through": closed.isoformat() if closed else None,
            "reopen_requests": [_reopen_request(r) for r in requests]}


@router.post("/periods/reopen-requests", status_code=201, response_model=ReopenRequestOut,
             responses=error_responses(*REOPEN_ERRORS))
def request_reopen(body: ReopenIn, writer: ReopenWriter) -> Any:
    """Buka kembali periode, step 1: a pengurus or a pengawas asks; nothing changes yet."""
    def act(session: Any) -> tuple[int, Any, None]:
        principal = writer.principal
        request = journal.request_reopen(session, through=body.through, reason=body.alasan,
                                         actor=principal.actor, role=principal.role.value)
        return 201, _reopen_request(request), None

    return writer.run(body.model_dump(mode="json"), act)


@router.post("/periods/reopen-requests/{request_id}/approve", response_model=ReopenRequestOut,
             responses=error_responses(*APPROVE_ERRORS))
def approve_reopen(request_id: RequestId, writer: ReopenWriter) -> Any:
    """Step 2: the other role (pengawas for a pengurus request, and the reverse), another
    person, approves; the close moves back and a `period.reopened` log entry records it."""
    def act(session: Any) -> tuple[int, Any, int]:
        principal = writer.principal
        seq = journal.approve_reopen(session, request_id=request_id, actor=principal.actor,
                                     role=principal.role.value)
        request = session.get(PeriodReopenRequest, request_id)
        return 200, _reopen_request(request), seq

    return writer.run({"request": request_id}, act)
