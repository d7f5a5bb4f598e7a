"""Row counts of every table a write touches, to prove a refused request wrote nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ksp.audit.models import AuditEvent
from ksp.core.idempotency import IdempotencyRecord
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry
from ksp.members.models import Member

COUNTED = {"log_entries": LogEntry, "journal_entries": JournalEntry,
           "journal_lines": JournalLine, "members": Member,
           "idempotency_records": IdempotencyRecord, "audit_events": AuditEvent}


def counts(client: Any) -> dict[str, int]:
    with client.app.state.sessionmaker() as session:
        return {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in COUNTED.items()}
