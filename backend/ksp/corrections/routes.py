from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ksp.api.deps import SessionDep, Writer, require_roles, writer_for
from ksp.api.openapi import error_responses
from ksp.api.types import INT64_MAX, HumanText, Limit, Offset
from ksp.auth.service import APPROVE, READ_ALL, WRITE
from ksp.core import clock
from ksp.corrections import service
from ksp.corrections.errors import (
    ApproverIsProposer,
    CorrectionAlreadyDecided,
    CorrectionNotAllowed,
    CorrectionNotFound,
    CorrectionPending,
    EntryNotFound,
    ReversalMakesBalanceNegative,
)
from ksp.corrections.models import CorrectionRequest, CorrectionStatus
from ksp.ledger.errors import AlreadyReversed, PeriodClosed

router = APIRouter(prefix="/api/v1/corrections", tags=["koreksi"])
ProposeWriter = Annotated[Writer, Depends(writer_for(*WRITE))]
DecideWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
CorrectionId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor usulan koreksi")]


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1, le=INT64_MAX, description="Seq entri jurnal yang dibalik")
    alasan: HumanText = Field(max_length=200, description="Alasan koreksi / reason")


class RejectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alasan: HumanText = Field(max_length=200, description="Alasan penolakan / reason")


class CorrectionOut(BaseModel):
    id: int
    seq: int = Field(description="Entri jurnal yang dibalik / the entry to reverse")
    alasan: str
    status: CorrectionStatus
    proposed_by: str
    proposed_role: str
    proposed_at: dt.datetime
    proposal_seq: int = Field(description="Entri log `correction.proposed`")
    decided_by: str | None
    decided_role: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    decision_seq: int | None = Field(
        description="Entri pembalikan (disetujui) atau `correction.rejected` (ditolak)")


class Corrections(BaseModel):
    corrections: list[CorrectionOut]


def _out(c: CorrectionRequest) -> dict[str, Any]:
    return {"id": c.id, "seq": c.entry_seq, "alasan": c.reason, "status": c.status.value,
            "proposed_by": c.proposed_by, "proposed_role": c.proposed_role,
            "proposed_at": clock.as_utc(c.proposed_at).isoformat(), "proposal_seq": c.proposal_seq,
            "decided_by": c.decided_by, "decided_role": c.decided_role,
            "decided_at": clock.as_utc(c.decided_at).isoformat() if c.decided_at else None,
            "decision_reason": c.decision_reason, "decision_seq": c.decision_seq}


DECIDE_ERRORS = (CorrectionNotFound, CorrectionAlreadyDecided, ApproverIsProposer)


@router.post("", status_code=201, response_model=CorrectionOut,
             responses=error_responses(EntryNotFound, AlreadyReversed, CorrectionPending,
                                       CorrectionNotAllowed, ReversalMakesBalanceNegative))
def propose(body: ProposalIn, writer: ProposeWriter) -> Any:
    """Koreksi, step 1: a teller, admin or pengurus proposes reversing a journal entry.
    Nothing is posted yet; the log gets `correction.proposed`."""
    def act(session: Session) -> tuple[int, Any, int]:
        p = writer.principal
        c = service.propose(session, seq=body.seq, reason=body.alasan, actor=p.actor,
                            role=p.role.value)
        return 201, _out(c), c.proposal_seq

    return writer.run(body.model_dump(mode="json"), act)


@router.get("", response_model=Corrections)
def corrections(session: SessionDep, _r: Reader, status: CorrectionStatus | None = None,
                limit: Limit = 100, offset: Offset = 0) -> Any:
    """Usulan koreksi, newest first; `status` = menunggu, disetujui or ditolak."""
    rows = service.listing(session, status=status, limit=limit, offset=offset)
    return {"corrections": [_out(c) for c in rows]}


@router.post("/{correction_id}/approve", response_model=CorrectionOut,
             responses=error_responses(*DECIDE_ERRORS, AlreadyReversed, PeriodClosed,
                                       CorrectionNotAllowed, ReversalMakesBalanceNegative))
def approve(correction_id: CorrectionId, writer: DecideWriter) -> Any:
    """Step 2: a pengurus other than the proposer approves; the reversal entry is posted
    today, naming the proposal and both people."""
    def act(session: Session) -> tuple[int, Any, int]:
        p = writer.principal
        d = service.approve(session, correction_id=correction_id, actor=p.actor,
                            role=p.role.value)
        return 200, _out(d.correction), d.seq

    return writer.run({"correction": correction_id, "decision": "approve"}, act)


@router.post("/{correction_id}/reject", response_model=CorrectionOut,
             responses=error_responses(*DECIDE_ERRORS))
def reject(correction_id: CorrectionId, body: RejectionIn, writer: DecideWriter) -> Any:
    """Step 2, the other way: a pengurus other than the proposer rejects, with a reason;
    the log gets `correction.rejected`."""
    def act(session: Session) -> tuple[int, Any, int]:
        p = writer.principal
        d = service.reject(session, correction_id=correction_id, actor=p.actor,
                           role=p.role.value, reason=body.alasan)
        return 200, _out(d.correction), d.seq

    return writer.run(body.model_dump(mode="json") | {"correction": correction_id}, act)
