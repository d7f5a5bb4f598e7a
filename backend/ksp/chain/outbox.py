"""Chain writes wait here, written in the same DB transaction as the ledger entry they
mirror; the worker sends them later. Each carries the log `seq` it mirrors, which the
contracts refuse to apply twice."""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any

from sqlalchemy import DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ksp.core import clock
from ksp.core.db import Base, BigId


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"  # in a transaction whose receipt we have not recorded yet
    CONFIRMED = "confirmed"


class OutboxKind(enum.StrEnum):
    ADMIT_MEMBER = "admit_member"
    EXIT_MEMBER = "exit_member"
    MIRROR_SAVINGS = "mirror_savings"


class OutboxItem(Base):
    __tablename__ = "chain_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), index=True)
    kind: Mapped[OutboxKind] = mapped_column(Enum(OutboxKind, native_enum=False, length=32))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)

    def data(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload)
        return loaded


def enqueue(session: Session, *, seq: int, kind: OutboxKind, data: dict[str, Any]) -> OutboxItem:
    item = OutboxItem(seq=seq, kind=kind, payload=json.dumps(data, sort_keys=True),
                      status=OutboxStatus.PENDING, attempts=0, created_at=clock.now())
    session.add(item)
    return item
