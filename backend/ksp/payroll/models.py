"""An import run, the deposits each file line made, and the lines refused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class PayrollImport(Base):
    """One run of a file (a re-run of the same file is a new row that posts nothing)."""

    __tablename__ = "payroll_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    posting_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # berjalan | selesai
    lines: Mapped[int] = mapped_column(Integer, default=0)  # data lines in the file
    posted_lines: Mapped[int] = mapped_column(Integer, default=0)
    postings: Mapped[int] = mapped_column(Integer, default=0)  # log entries written
    posted_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    already_imported: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unknown_columns: Mapped[str] = mapped_column(Text, default="[]")  # JSON
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)


class PayrollLine(Base):
    """A deposit made from a file line: the (file, period, line, jenis) key makes re-imports
    post nothing new. The period is part of it because the same deductions month after
    month make a byte-identical file, which is next month's money, not a re-import."""

    __tablename__ = "payroll_lines"
    __table_args__ = (UniqueConstraint("file_sha256", "period", "line_no", "jenis"),
                      Index("ix_payroll_lines_period_member", "period", "member_number"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int] = mapped_column(Integer)
    jenis: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))
    member_number: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("payroll_imports.id"), index=True)


class PayrollReject(Base):
    """A line refused, with why in both languages (the paymaster's rejects report). The
    member is as the file gave it, a NIK masked to its last four digits."""

    __tablename__ = "payroll_rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("payroll_imports.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    member_given: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(64))
    reason_id: Mapped[str] = mapped_column(String(400))
    reason_en: Mapped[str] = mapped_column(String(400))
