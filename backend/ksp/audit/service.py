from __future__ import annotations

from sqlalchemy.orm import Session

from ksp.audit.models import AuditEvent
from ksp.core import clock


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
    session.add(AuditEvent(at=clock.now(), actor=actor, role=role, action=action, target=target,
                           client_ip=client_ip, status_code=status_code, log_seq=log_seq))
