from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Date, DateTime, Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class MemberStatus(enum.StrEnum):
    CALON = "calon_anggota"  # registered, simpanan pokok not yet paid
    ANGGOTA = "anggota"
    KELUAR = "keluar"


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)  # nomor anggota
    name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    occupation: Mapped[str] = mapped_column(String(120))
    # NIK, phone and address: AES-256-GCM ciphertexts; NIK also as a keyed lookup hash.
    nik_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    nik_lookup: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    address_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Key of the member's log commitments; erasing it unlinks the log from the person.
    pii_salt: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    wallet_address: Mapped[str | None] = mapped_column(String(42), unique=True, nullable=True)
    # Related party for lending (Permenkop 8/2023 Pasal 44): "pengurus", "pengawas", or
    # "keluarga" (their family); None for everyone else.
    related_party: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[MemberStatus] = mapped_column(
        Enum(MemberStatus, native_enum=False, length=16), default=MemberStatus.CALON
    )
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    joined_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    exited_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class WalletChallenge(Base):
    """A one-time server nonce that a wallet signs to prove it controls an address."""

    __tablename__ = "wallet_challenges"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "link" or "login"
    message: Mapped[str] = mapped_column(String(1000))
    # Used and expired challenges are deleted, so only open ones exist.
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class LinkRequest(Base):
    """A member's signed `link` proof waiting at the counter under a short code. The
    challenge stays open until the teller confirms; both expire together."""

    __tablename__ = "wallet_link_requests"

    # Unique among open requests: expired ones are deleted before a new code is drawn.
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(42))
    member_number: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(String(1000))
    signature: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class KeyReplacement(Base):
    """Maker-checker for a lost key: a staff member proposes the new address (proven by a
    `link` signature from the new wallet), another pengurus approves; the approval changes
    the member's wallet and is the `anggota.kunci_diganti` log entry (`seq`)."""

    __tablename__ = "member_key_replacements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_number: Mapped[int] = mapped_column(BigInteger, index=True)
    # The wallet being replaced: an approval after the wallet changed otherwise is stale.
    old_address: Mapped[str] = mapped_column(String(42))
    new_address: Mapped[str] = mapped_column(String(42))
    reason: Mapped[str] = mapped_column(String(200))  # kept here, never in the log
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_role: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"), nullable=True,
                                            unique=True)
