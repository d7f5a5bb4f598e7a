"""Loans as stored: products (versioned), loans with their life, approvals, collateral,
guarantors, repayments and the daily denda accruals. Money in whole rupiah, rates in bps.

The ledger holds the money (piutang pinjaman per member, income, provisions); these rows hold
what the ledger does not: the agreed terms, who decided what, and each repayment's allocation
(with the seq of the journal entry that posted it)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
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


class LoanStatus(enum.StrEnum):
    DIAJUKAN = "diajukan"  # applied (by the member or at the counter)
    DIUSULKAN = "diusulkan"  # proposed by the loan officer, waiting for approval
    DITOLAK = "ditolak"  # refused
    DISETUJUI = "disetujui"  # approved; the offer is registered on chain for the member to sign
    DITERIMA = "diterima"  # the member's signed acceptance is relayed; waiting for disbursement
    AKTIF = "aktif"  # disbursed, being repaid
    LUNAS = "lunas"  # repaid
    MACET = "macet"  # defaulted (on chain: Defaulted)
    DIHAPUSBUKUKAN = "dihapusbukukan"  # written off
    DIBATALKAN = "dibatalkan"  # the offer was withdrawn before acceptance
    DIRESTRUKTURISASI = "direstrukturisasi"  # replaced by a restructured loan


class LoanProductVersion(Base):
    """One version of a loan product (an AD/ART-level setting), in force from
    `effective_date`; `rules` is `ksp.loans.products.LoanProduct` as JSON."""

    __tablename__ = "loan_products"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    rules: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)


class Loan(Base):
    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # also the loan id on chain
    member_number: Mapped[int] = mapped_column(BigInteger, index=True)
    product_code: Mapped[str] = mapped_column(String(32))
    product_version: Mapped[int] = mapped_column(Integer)
    principal: Mapped[int] = mapped_column(BigInteger)
    rate_bps: Mapped[int] = mapped_column(Integer)  # annual
    method: Mapped[str] = mapped_column(String(16))  # ksp.loans.schedule.Method
    tenor_months: Mapped[int] = mapped_column(Integer)
    admin_fee: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(200))
    declared_income: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # monthly
    related_party: Mapped[bool] = mapped_column(default=False)  # as flagged when applied
    status: Mapped[LoanStatus] = mapped_column(
        Enum(LoanStatus, native_enum=False, length=20), index=True)
    applied_on: Mapped[dt.date] = mapped_column(Date)
    applied_by: Mapped[str] = mapped_column(String(64))  # staff username or "anggota:<n>"
    first_due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    terms_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    terms_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # what terms_hash covers
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    disbursed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    restructured_from: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), nullable=True)
    # Kept by the daily close: the last date it ran for this loan and what it found.
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    kolektibilitas: Mapped[str] = mapped_column(String(16), default="lancar")
    closed_through: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    written_off: Mapped[int] = mapped_column(BigInteger, default=0)
    recovered: Mapped[int] = mapped_column(BigInteger, default=0)


class LoanDecision(Base):
    """A step someone took on a loan (propose, approve, refuse, cancel, write-off approval),
    each also a log entry naming who took it."""

    __tablename__ = "loan_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)


class LoanCollateral(Base):
    """Agunan: kept with the loan, released when it is repaid."""

    __tablename__ = "loan_collateral"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. BPKB, SHM
    document_number: Mapped[str] = mapped_column(String(80))
    appraised_value: Mapped[int] = mapped_column(BigInteger)
    released_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class LoanGuarantor(Base):
    """Penjamin: another member, whose consent is their own signature."""

    __tablename__ = "loan_guarantors"
    __table_args__ = (UniqueConstraint("loan_id", "member_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    member_number: Mapped[int] = mapped_column(BigInteger, index=True)
    consent_signature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    consented_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                             nullable=True)
    released_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class LoanRepayment(Base):
    """One repayment and how it was allocated; `seq` is its journal entry's log seq."""

    __tablename__ = "loan_repayments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    denda: Mapped[int] = mapped_column(BigInteger)
    jasa: Mapped[int] = mapped_column(BigInteger)
    pokok: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(16))  # teller, sukarela, payroll


class LoanDendaAccrual(Base):
    """The denda one daily close accrued on one loan for one date (once per loan and date)."""

    __tablename__ = "loan_denda_accruals"
    __table_args__ = (UniqueConstraint("loan_id", "accrued_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    accrued_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
