"""The RAT as stored (docs/RAT.md): meetings, their agenda with content hashes, attendance,
in-person counts, proxies (surat kuasa), online ballots, results and elected officers.

Each decisive step is also a log entry (`seq`), so it is anchored; these rows keep what the
service needs to check the next step. Ballots are no log entries: the chain's events carry
them (member number and choice)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class MeetingKind(enum.StrEnum):
    ANNUAL = "annual"  # Rapat Anggota Tahunan
    EXTRAORDINARY = "extraordinary"  # Rapat Anggota Luar Biasa


class MeetingStatus(enum.StrEnum):
    DRAFT = "draft"  # agenda being written; nothing sent to members or the chain
    ANNOUNCED = "announced"  # notices queued, meeting and items on their way to the chain
    FINALIZING = "finalizing"  # voting closed; finalize queued for the chain
    DECIDED = "decided"  # results recorded in the log


class ItemKind(enum.StrEnum):
    LPJ = "lpj"  # laporan pertanggungjawaban: the accountability report and accounts
    SHU = "shu"  # the SHU split, with the proposed figures
    ELECTION = "election"  # k seats of pengurus or pengawas from a candidate list
    ADART_AMENDMENT = "adart_amendment"
    MOTION = "motion"


class Office(enum.StrEnum):
    PENGURUS = "pengurus"
    PENGAWAS = "pengawas"


class AttendanceHow(enum.StrEnum):
    IN_PERSON = "in_person"  # the secretary typed the member number
    QR = "qr"  # the member's QR code was scanned


class Meeting(Base):
    __tablename__ = "rat_meetings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # also the meeting id on chain
    kind: Mapped[MeetingKind] = mapped_column(Enum(MeetingKind, native_enum=False, length=16))
    title: Mapped[str] = mapped_column(String(200))
    held_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    record_date: Mapped[dt.date] = mapped_column(Date)
    voting_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    voting_end: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(200))
    online_link: Mapped[str | None] = mapped_column(String(300), nullable=True)
    status: Mapped[MeetingStatus] = mapped_column(
        Enum(MeetingStatus, native_enum=False, length=16), index=True)
    # keccak256 of the items' content hashes in order, fixed when announced.
    agenda_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
    announced_seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"),
                                                      nullable=True, unique=True)
    finalize_seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"),
                                                     nullable=True, unique=True)


class AgendaItem(Base):
    __tablename__ = "rat_items"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("rat_meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the proposal index on chain, from 0
    kind: Mapped[ItemKind] = mapped_column(Enum(ItemKind, native_enum=False, length=16))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    figures: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: SHU proposal
    office: Mapped[Office | None] = mapped_column(Enum(Office, native_enum=False, length=16),
                                                  nullable=True)
    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    candidates: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON member numbers
    threshold_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(66))
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)


class Attendance(Base):
    __tablename__ = "rat_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("rat_meetings.id"), index=True)
    member_number: Mapped[int] = mapped_column(BigInteger)
    how: Mapped[AttendanceHow] = mapped_column(Enum(AttendanceHow, native_enum=False,
                                                    length=16))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)


class InPersonCount(Base):
    """The chair's count of the paper (or hand) votes on one item; it counts once a pengawas
    co-signs it (`seq` is the co-signed log entry)."""

    __tablename__ = "rat_in_person_counts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("rat_meetings.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rat_items.id"), unique=True)
    ballots: Mapped[int] = mapped_column(Integer)  # members who voted on paper
    counts: Mapped[str] = mapped_column(Text)  # JSON list, laid out like the chain's tally
    # Present members whose online ballot on this item their paper vote replaces.
    overridden: Mapped[str] = mapped_column(Text)  # JSON list of member numbers
    chair: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cosigned_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cosigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"), nullable=True,
                                            unique=True)


class Proxy(Base):
    """A surat kuasa: `principal_number` lets `proxy_number` vote for them in one meeting."""

    __tablename__ = "rat_proxies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("rat_meetings.id"), index=True)
    principal_number: Mapped[int] = mapped_column(BigInteger, index=True)
    proxy_number: Mapped[int] = mapped_column(BigInteger, index=True)
    proxy_address: Mapped[str] = mapped_column(String(42))
    appointment_signature: Mapped[str] = mapped_column(String(200))
    appointed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    acceptance_signature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    revocation_signature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)  # the proxy voted for them
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)


class Ballot(Base):
    """An online ballot as received and relayed. `member_number` is whose vote it is; a
    proxy ballot also names `cast_by` (the proxy's number)."""

    __tablename__ = "rat_ballots"
    __table_args__ = (UniqueConstraint("item_id", "member_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("rat_meetings.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rat_items.id"), index=True)
    member_number: Mapped[int] = mapped_column(BigInteger, index=True)
    cast_by: Mapped[int] = mapped_column(BigInteger)
    choice: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(66))
    signature: Mapped[str] = mapped_column(String(200))
    signer_address: Mapped[str] = mapped_column(String(42))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("chain_outbox.id"), nullable=True)


class ItemResult(Base):
    __tablename__ = "rat_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("rat_meetings.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rat_items.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    data: Mapped[str] = mapped_column(Text)  # the log entry's data, as JSON
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)


class Officer(Base):
    """A pengurus or pengawas elected by a RAT for the AD/ART's term."""

    __tablename__ = "rat_officers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("rat_meetings.id"), index=True)
    member_number: Mapped[int] = mapped_column(BigInteger, index=True)
    role: Mapped[Office] = mapped_column(Enum(Office, native_enum=False, length=16))
    term_from: Mapped[dt.date] = mapped_column(Date)
    term_to: Mapped[dt.date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"))
