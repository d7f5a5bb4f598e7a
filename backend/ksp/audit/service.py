from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ksp.audit.models import AuditEvent
from ksp.core import clock
from ksp.core.db import table_of


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
