"""The audit trail viewer: super admin, pengurus and pengawas read who did what."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from ksp.api.deps import SessionDep, require_roles
from ksp.api.openapi import error_responses
from ksp.api.types import Limit, Offset, QueryDate
from ksp.audit.models import AuditEvent
from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["audit"])
Viewer = Annotated[Any, Depends(require_roles(Role.SUPER_ADMIN, Role.PENGURUS, Role.PENGAWAS))]


class AuditEventOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    target: str | None
    client_ip: str | None
    status_code: int
    log_seq: int | None


class AuditEvents(BaseModel):
    events: list[AuditEventOut]
    limit: int
    offset: int


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of a business day in the cooperative's time zone, in UTC as stored."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.zone()).astimezone(dt.UTC)


@router.get("/audit-events", response_model=AuditEvents,
            responses=error_responses(InvalidInput))
def audit_events(
    session: SessionDep, _v: Viewer,
    actor: Annotated[str | None, Query(max_length=120, description="Pelaku, persis")] = None,
    action: Annotated[str | None, Query(max_length=200,
                                        description="Bagian dari aksi, mis. corrections")] = None,
    dari: QueryDate = None, sampai: QueryDate = None,
    status_code: Annotated[int | None, Query(ge=100, le=599)] = None,
    limit: Limit = 100, offset: Offset = 0,
) -> Any:
    """Audit trail, newest first. `dari`/`sampai` are business dates (inclusive)."""
    if dari and sampai and sampai < dari:
        raise InvalidInput(field="sampai", reason_id="sebelum tanggal dari",
                           reason_en="is before dari")
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.contains(action, autoescape=True))
    if dari:
        query = query.where(AuditEvent.at >= _start_of(dari))
    if sampai:
        query = query.where(AuditEvent.at < _start_of(sampai + dt.timedelta(days=1)))
    if status_code is not None:
        query = query.where(AuditEvent.status_code == status_code)
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return {"events": [
        {"id": e.id, "at": clock.as_utc(e.at), "actor": e.actor, "role": e.role,
         "action": e.action, "target": e.target, "client_ip": e.client_ip,
         "status_code": e.status_code, "log_seq": e.log_seq} for e in rows],
        "limit": limit, "offset": offset}
