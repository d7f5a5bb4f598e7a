"""The notification outbox. No address is kept here: a member's phone is encrypted on the
member row and resolved only when the message is sent."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, DateTime, Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one dispatcher run (claimed_at)
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; staff look at last_error


class Channel(enum.StrEnum):
    """How the member receives it; the adapter is how the server hands it off."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None: addressed to staff (KSP_NOTIFY_STAFF_TO), not to a member.
    member_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=16))
    template: Mapped[str] = mapped_column(String(64))  # e.g. pinjaman.pengingat_jatuh_tempo
    # The caller's key for "this message, once", e.g. loan:12:due:2026-03-15:-3.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(
        Enum(NotificationStatus, native_enum=False, length=16),
        default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
