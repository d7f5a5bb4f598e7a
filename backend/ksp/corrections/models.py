"""Correction proposals. The row tracks the workflow; the facts are in the log: the
proposal (`correction.proposed`), then the reversal entry or `correction.rejected`."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class CorrectionStatus(enum.StrEnum):
    MENUNGGU = "menunggu"  # pending
    DISETUJUI = "disetujui"  # approved: the reversal is posted
    DITOLAK = "ditolak"  # rejected


class CorrectionRequest(Base):
    __tablename__ = "correction_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The journal entry to reverse, by its log seq.
    entry_seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[CorrectionStatus] = mapped_column(
        Enum(CorrectionStatus, native_enum=False, length=16), index=True)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_role: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    proposal_seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The reversal entry's seq (approved) or the `correction.rejected` entry's seq.
    decision_seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"),
                                                     nullable=True, unique=True)
