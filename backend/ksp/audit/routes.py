"""The audit trail viewer: super admin, pengurus and pengawas read who did what."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ksp.api.deps import SessionDep, require_roles
from ksp.api.openapi import error_responses
from ksp.api.types import INT64_MAX, Limit, Offset, QueryDate
from ksp.audit.service import find_events
from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["audit"])
# Who reads the trail (the console's /staff/audit uses the same set).
READERS = (Role.SUPER_ADMIN, Role.PENGURUS, Role.PENGAWAS)
Viewer = Annotated[Any, Depends(require_roles(*READERS))]


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


@router.get("/audit-events", response_model=AuditEvents,
            responses=error_responses(InvalidInput))
def audit_events(
    session: SessionDep, _v: Viewer,
    actor: Annotated[str | None, Query(max_length=120, description="Pelaku, persis")] = None,
    action: Annotated[str | None, Query(max_length=200,
                                        description="Bagian dari aksi, mis. corrections")] = None,
    dari: QueryDate = None, sampai: QueryDate = None,
    status_code: Annotated[int | None, Query(ge=100, le=599)] = None,
    log_seq: Annotated[int | None, Query(ge=1, le=INT64_MAX,
                                         description="Nomor urut entri log")] = None,
    limit: Limit = 100, offset: Offset = 0,
) -> Any:
    """Audit trail, newest first. `dari`/`sampai` are business dates (inclusive)."""
    rows = find_events(session, actor=actor, action=action, dari=dari, sampai=sampai,
                       status_code=status_code, log_seq=log_seq,
                       limit=limit, offset=offset)
    return {"events": [
        {"id": e.id, "at": clock.as_utc(e.at), "actor": e.actor, "role": e.role,
         "action": e.action, "target": e.target, "client_ip": e.client_ip,
         "status_code": e.status_code, "log_seq": e.log_seq} for e in rows],
        "limit": limit, "offset": offset}
