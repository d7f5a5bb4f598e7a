"""Tables of the log and of the double-entry books. Rows here are never updated or deleted,
except the single `log_head` row, which is the log's lock and counter, and a reopening
request's approval fields."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ksp.core.db import Base, BigId


class LogEntry(Base):
    """One entry of the cooperative log; a leaf of the Merkle tree."""

    __tablename__ = "log_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # RFC 8785 canonical JSON, hashed as UTF-8
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LogHead(Base):
    """The single row every appender locks: size (next seq - 1), the Merkle frontier, and
    the date through which the books are closed."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # Roots of the perfect subtrees on the right edge of the tree, largest first (32 bytes each).
    frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    closed_through: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class MerkleNode(Base):
    """Hash of the perfect subtree at (level, index), level >= 1; stored once, when complete."""

    __tablename__ = "merkle_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class Side(enum.StrEnum):
    DEBIT = "D"
    CREDIT = "C"


class Account(Base):
    __tablename__ = "accounts"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    type: Mapped[AccountType] = mapped_column(Enum(AccountType, native_enum=False, length=16))
    contra: Mapped[bool] = mapped_column(default=False)  # e.g. allowance for loan losses

    @property
    def normal_side(self) -> Side:
        debit_normal = self.type in (AccountType.ASSET, AccountType.EXPENSE)
        return Side.DEBIT if debit_normal != self.contra else Side.CREDIT


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
    entry_date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. simpanan.setor, anggota.keluar
    memo: Mapped[str] = mapped_column(String(200))  # system text, never personal data
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id"), nullable=True, unique=True
    )
    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", order_by="JournalLine.id"
    )


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("side in ('D', 'C')", name="side_valid"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_code: Mapped[str] = mapped_column(ForeignKey("accounts.code"), index=True)
    # Sub-ledger: which member a savings or loan line belongs to (member number).
    member_number: Mapped[int | None] = mapped_column(BigInteger, index=True, nullable=True)
    side: Mapped[str] = mapped_column(String(1))
    amount: Mapped[int] = mapped_column(BigInteger)
    entry: Mapped[JournalEntry] = relationship(back_populates="lines")


class PeriodReopenRequest(Base):
    """Maker-checker for reopening closed books: a pengurus or a pengawas asks, the other
    role approves; the approval moves `log_head.closed_through` back and is a log entry."""

    __tablename__ = "period_reopen_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Closed through this date after reopening; None opens every period.
    through: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # The close being reopened; an approval after another close or reopening is stale.
    closed_through: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_role: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"), nullable=True,
                                            unique=True)
