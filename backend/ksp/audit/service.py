"""The audit trail: one row per state-changing request, and the one search over it that
the API (`GET /api/v1/audit-events`) and the console (`/staff/audit`) both use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ksp.audit.models import AuditEvent
from ksp.core import clock
from ksp.core.db import table_of
from ksp.core.errors import InvalidInput


def record(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    status_code: int,
    target: str | None = None,
    client_ip: str | None = None,
    log_seq: int | None = None,
) -> None:
    session.execute(insert(table_of(AuditEvent)).values(  # Core: one INSERT, no ORM state
        at=clock.now(), actor=actor, role=role, action=action, target=target,
        client_ip=client_ip, status_code=status_code, log_seq=log_seq))



def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of a business day in the cooperative's time zone, in UTC as stored."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.zone()).astimezone(dt.UTC)


def find_events(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    dari: dt.date | None = None,
    sampai: dt.date | None = None,
    status_code: int | None = None,
    log_seq: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Audit events, newest first. `actor` matches exactly, `action` as a part of the
    text; `dari`/`sampai` are business dates, both inclusive."""
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
    if log_seq is not None:
        query = query.where(AuditEvent.log_seq == log_seq)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)
                                .offset(offset)))
