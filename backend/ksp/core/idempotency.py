"""Idempotency keys: a retried write returns the first result and never posts twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from ksp.core import clock
from ksp.core.db import Base, BigId
from ksp.core.errors import IdempotencyKeyReused, RequestInProgress
from ksp.ledger.group_commit import committer_for


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(120))  # keys are per caller
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


Result = tuple[int, Any]


def _stored(session: Session, scope: str, key: str, print_: str) -> Result | None:
    found = session.execute(
        select(IdempotencyRecord.fingerprint, IdempotencyRecord.status_code,
               IdempotencyRecord.body)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).first()
    if found is None:
        return None
    if found.fingerprint != print_:
        raise IdempotencyKeyReused(key=key)
    return found.status_code, json.loads(found.body)


def run_idempotent(
    factory: sessionmaker[Session],
    *,
    scope: str,
    key: str,
    request_fingerprint: str,
    action: Callable[[Session], Result],
) -> Result:
    """Runs `action` together with the key's record, unless the key already has one, in a
    savepoint of the next group commit (`ksp.ledger.group_commit`): answered once committed.
    A twin with the same key in the same batch finds the first one's record; a twin in
    another process that loses the race on the unique key sees the winner's record on its
    second look."""

    def unit(session: Session) -> Result:
        previous = _stored(session, scope, key, request_fingerprint)
        if previous is not None:
            return previous
        status, body = action(session)
        session.execute(insert(IdempotencyRecord).values(
            scope=scope, key=key, fingerprint=request_fingerprint, status_code=status,
            body=json.dumps(body), created_at=clock.now()))
        return status, body

    committer = committer_for(factory)
    for attempt in range(2):
        try:
            return committer.submit(unit)
        except IntegrityError:
            with factory() as session:
                previous = _stored(session, scope, key, request_fingerprint)
            if previous is not None:
                return previous
            if attempt == 1:
                raise
    raise RequestInProgress()
