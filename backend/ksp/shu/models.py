"""The year end's own rows: one per fiscal year (closed, proposed, distributed) and one per
member's SHU line. The money is in the ledger and the inputs in the log entries these
rows point to; the rows find them quickly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base


class ShuYear(Base):
    """A closed fiscal year; the proposal and the distribution fields fill in later."""

    __tablename__ = "shu_years"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    since: Mapped[dt.date] = mapped_column(Date)
    through: Mapped[dt.date] = mapped_column(Date)
    shu: Mapped[int] = mapped_column(BigInteger)  # what the closing moved to SHU tahun berjalan
    closing_seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
    proposed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    figures: Mapped[str | None] = mapped_column(Text, nullable=True)  # canonical JSON
    figures_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    proposal_seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"),
                                                     nullable=True, unique=True)
    distributed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    distribution_seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"),
                                                         nullable=True, unique=True)


class ShuMemberLine(Base):
    """A member's SHU of one year; `seq` is the log entry holding its inputs."""

    __tablename__ = "shu_member_lines"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    member_number: Mapped[int] = mapped_column(BigInteger, primary_key=True,
                                               autoincrement=False)
    amount: Mapped[int] = mapped_column(BigInteger)
    settlement: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
