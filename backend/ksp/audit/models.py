from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(120))  # staff username or "anggota:<number>"
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(200))  # "POST /api/v1/..."
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_code: Mapped[int] = mapped_column(Integer)
    log_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
