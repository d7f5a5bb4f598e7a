"""Anchors, inclusion proofs and the log export over HTTP.

A member (anggota) may fetch the proof of an entry that concerns them: one that names
their member number in the payload (`data.member` or a journal line's `member`) or in a
journal line. Staff (pengawas, pengurus, admin, super admin) may fetch any proof and the
whole export; the log holds no personal data, only member numbers.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ksp.anchoring.export import stream_export
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import Status
from ksp.anchoring.proofs import NotAnchoredYet, prove
from ksp.api.deps import CurrentPrincipal, SessionDep, require_roles
from ksp.api.openapi import error_responses
from ksp.api.types import Limit, Offset, Seq
from ksp.auth.models import Role
from ksp.auth.service import STAFF_ROLES
from ksp.core.errors import Forbidden, NotFound
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry

router = APIRouter(prefix="/api/v1", tags=["anchoring"])
Staff = Annotated[Any, Depends(require_roles(*STAFF_ROLES))]


def concerns_member(session: Session, entry: LogEntry, member_number: int) -> bool:
    """Whether the entry names this member (payload or journal lines)."""
    data = json.loads(entry.payload).get("data")
    if isinstance(data, dict):
        if data.get("member") == member_number:
            return True
        lines = data.get("lines")
        if isinstance(lines, list) and any(
            isinstance(line, dict) and line.get("member") == member_number for line in lines
        ):
            return True
    in_lines = select(
        exists().where(
            JournalLine.entry_id == JournalEntry.id,
            JournalEntry.seq == entry.seq,
            JournalLine.member_number == member_number,
        )
    )
    return bool(session.scalar(in_lines))


class AnchorRef(BaseModel):
    index: int
    tx_hash: str | None
    block: int | None
    chain_id: int
    registry: str


class EntryProof(BaseModel):
    """docs/ANCHORING.md section 5: the path from the entry's leaf to an anchored root."""

    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root: str
    payload: str = Field(description="The log entry exactly as hashed (canonical JSON)")
    anchor: AnchorRef


class EntryOut(BaseModel):
    """One log entry as hashed: anyone holding it can recompute leaf_hash (a receipt names
    the leaf hash, and the entry may not be anchored yet)."""

    seq: int
    leaf_hash: str
    payload: str = Field(description="The log entry exactly as hashed (canonical JSON)")


class AnchorOut(BaseModel):
    index: int | None
    tree_size: int
    root: str
    tx_hash: str | None
    block: int | None
    status: str
    final: bool = Field(description="Whether a proof may cite this anchor")
    chain_id: int
    registry: str
    created_at: str


class AnchorList(BaseModel):
    anchors: list[AnchorOut]
    limit: int
    offset: int


# Entries every member may read and prove: a RAT item's result (counts and decision, no
# personal data) is the members' own decision, which each member checks (docs/RAT.md).
MEMBERS_READ = frozenset({"rat.hasil"})


def readable_entry(session: Session, principal: Any, seq: int) -> LogEntry:
    """The entry, if this principal may read it: staff any, a member their own and the
    RAT results."""
    entry = session.get(LogEntry, seq)
    if entry is None:
        raise NotFound(what_id="Entri log", what_en="Log entry", key=seq)
    if principal.role is Role.ANGGOTA and entry.kind in MEMBERS_READ:
        return entry
    if principal.role is Role.ANGGOTA:
        if principal.member_number is None or not concerns_member(
            session, entry, principal.member_number
        ):
            raise Forbidden()
    elif principal.role not in STAFF_ROLES:
        raise Forbidden()
    return entry


@router.get("/log/entries/{seq}", response_model=EntryOut,
            responses=error_responses(NotFound, Forbidden))
def log_entry(seq: Seq, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """Entry `seq` exactly as hashed into the log, anchored or not."""
    entry = readable_entry(session, principal, seq)
    return {"seq": entry.seq, "leaf_hash": "0x" + entry.leaf_hash.hex(),
            "payload": entry.payload}


@router.get("/log/entries/{seq}/proof", response_model=EntryProof,
            responses=error_responses(NotFound, Forbidden, NotAnchoredYet))
def entry_proof(seq: Seq, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """Inclusion proof of entry `seq` against the latest final anchor (docs/ANCHORING.md)."""
    readable_entry(session, principal, seq)
    return prove(session, seq)


@router.get("/anchors", response_model=AnchorList)
def anchors(
    session: SessionDep,
    _principal: CurrentPrincipal,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Anchors recorded by the anchor job, newest first (public data: they are on chain).

    `final` marks the anchors a proof may cite; `replaced` rows are anchors the chain lost
    (kept as history, with no anchor number)."""
    records = session.scalars(
        select(AnchorRecord)
        .order_by(AnchorRecord.tree_size.desc(), AnchorRecord.id.desc())
        .limit(limit).offset(offset)
    )
    return {
        "anchors": [
            {
                "index": r.anchor_index,
                "tree_size": r.tree_size,
                "root": "0x" + r.root.hex(),
                "tx_hash": r.tx_hash,
                "block": r.block_number,
                "status": r.status,
                "final": r.status == Status.CONFIRMED,
                "chain_id": r.chain_id,
                "registry": r.registry_address,
                "created_at": r.created_at.isoformat(),
            }
            for r in records
        ],
        "limit": limit,
        "offset": offset,
    }


@router.get("/log/export", response_class=StreamingResponse, responses={
    200: {"description": "JSON Lines: one log entry per line (docs/ANCHORING.md)",
          "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
def log_export(request: Request, _staff: Staff) -> StreamingResponse:
    """The whole log as JSON Lines (see docs/ANCHORING.md), streamed in batches."""
    factory = request.app.state.sessionmaker
    return StreamingResponse(
        stream_export(factory),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="ksp-log.jsonl"'},
    )
