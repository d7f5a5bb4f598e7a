"""Registering members, proving wallets, status changes. Personal data is encrypted here
and never reaches the log: the log names members by number and holds a keyed commitment."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.id import nik as stdnum_nik

from ksp.chain.outbox import OutboxKind, enqueue
from ksp.core import clock
from ksp.core.crypto import PiiCipher, commitment
from ksp.core.errors import InvalidInput
from ksp.core.settings import get_settings
from ksp.ledger import dates, log
from ksp.ledger.chart import SAVINGS_TOKEN_IDS
from ksp.ledger.reports import member_balances
from ksp.members.errors import (
    ContactUnchanged,
    DuplicateNik,
    InvalidNik,
    MemberNotActive,
    RelatedPartyUnchanged,
    UnknownMember,
    WalletAlreadyLinked,
    WalletTaken,
)
from ksp.members.models import Member, MemberStatus


@dataclass(frozen=True)
class Registration:
    nik: str
    name: str
    birth_date: dt.date
    address: str
    phone: str
    occupation: str


def validate_nik(nik: str, birth_date: dt.date) -> str:
    """16 digits with valid region and date parts (python-stdnum), matching the birth date."""
    try:
        number = stdnum_nik.validate(nik)
    except stdnum_nik.ValidationError as exc:
        raise InvalidNik(reason_id="format atau kode wilayah/tanggal salah",
                         reason_en=f"wrong format, region or date ({exc})") from exc
    born = stdnum_nik.get_birth_date(number)
    # The NIK stores a two-digit year; compare day and month, and the year modulo 100.
    if (born.day, born.month, born.year % 100) != (
        birth_date.day, birth_date.month, birth_date.year % 100
    ):
        raise InvalidNik(reason_id="tanggal lahir tidak sama dengan NIK",
                         reason_en="birth date does not match the NIK")
    return str(number)


def get_member(session: Session, number: int, *, lock: bool = False) -> Member:
    query = select(Member).where(Member.number == number)
    if lock:
        query = query.with_for_update()
    member = session.scalars(query).first()
    if member is None:
        raise UnknownMember(number=number)
    return member


def register(
    session: Session, cipher: PiiCipher, data: Registration, wallet_address: str | None = None,
    *, min_age_years: int | None = None,
) -> Member:
    """A calon anggota: a living adult (KSP_MIN_MEMBER_AGE_YEARS unless given) whose NIK
    agrees with the birth date."""
    if min_age_years is None:
        min_age_years = get_settings().min_member_age_years
    dates.check_birth_date(data.birth_date, today=clock.today(), min_age_years=min_age_years)
    nik = validate_nik(data.nik, data.birth_date)
    lookup = cipher.lookup_hash(nik, "member.nik")
    existing = session.scalars(select(Member).where(Member.nik_lookup == lookup)).first()
    if existing is not None:
        raise DuplicateNik(number=existing.number)
    if wallet_address is not None:
        taken = session.scalars(select(Member).where(Member.wallet_address == wallet_address))
        if taken.first() is not None:
            raise WalletTaken()
    log.lock_head(session)  # member numbers are allocated under the log lock, so gapless too
    number = (session.scalar(select(func.max(Member.number))) or 0) + 1
    salt = os.urandom(32)
    member = Member(
        number=number,
        name=data.name,
        birth_date=data.birth_date,
        occupation=data.occupation,
        nik_encrypted=cipher.encrypt(nik, "member.nik"),
        nik_lookup=lookup,
        phone_encrypted=cipher.encrypt(data.phone, "member.phone"),
        address_encrypted=cipher.encrypt(data.address, "member.address"),
        pii_salt=salt,
        wallet_address=wallet_address,
        status=MemberStatus.CALON,
        registered_at=clock.now(),
    )
    session.add(member)
    session.flush()
    log.append(session, "anggota.terdaftar", {
        "member": number,
        "identity_commitment": commitment(salt, nik, data.name, data.birth_date.isoformat()),
    })
    return member


def link_wallet(session: Session, member: Member, address: str) -> int:
    taken = session.scalars(
        select(Member).where(Member.wallet_address == address, Member.id != member.id)
    ).first()
    if taken is not None:
        raise WalletTaken()
    if member.wallet_address is not None:
        raise WalletAlreadyLinked(number=member.number)
    member.wallet_address = address
    appended = log.append(session, "anggota.dompet", {"member": member.number, "wallet": address})
    if member.status is MemberStatus.ANGGOTA:
        enqueue(session, seq=appended.seq, kind=OutboxKind.ADMIT_MEMBER,
                data={"member": member.number, "wallet": address})
        # Savings booked before the wallet existed are minted now, under this entry's seq.
        for account, amount in member_balances(session, member=member.number).items():
            token_id = SAVINGS_TOKEN_IDS.get(account)
            if token_id is not None and amount > 0:
                enqueue(session, seq=appended.seq, kind=OutboxKind.MIRROR_SAVINGS,
                        data={"member": member.number, "wallet": address,
                              "token_id": token_id, "delta": amount})
    return appended.seq


def admit(session: Session, member: Member, *, on: dt.date) -> int:
    """Calon anggota → anggota, once simpanan pokok is paid."""
    member.status = MemberStatus.ANGGOTA
    member.joined_on = on
    appended = log.append(session, "anggota.diterima",
                          {"member": member.number, "date": on.isoformat()})
    if member.wallet_address:
        enqueue(session, seq=appended.seq, kind=OutboxKind.ADMIT_MEMBER,
                data={"member": member.number, "wallet": member.wallet_address})
    return appended.seq


def mark_exited(session: Session, member: Member, *, on: dt.date,
                reason: str | None = None) -> int:
    member.status = MemberStatus.KELUAR
    member.exited_on = on
    data: dict[str, object] = {"member": member.number, "date": on.isoformat()}
    if reason is not None:  # a backdated exit says why
        data["reason"] = reason
    appended = log.append(session, "anggota.keluar", data)
    if member.wallet_address:
        enqueue(session, seq=appended.seq, kind=OutboxKind.EXIT_MEMBER,
                data={"member": member.number})
    return appended.seq


# Related parties for lending (Permenkop 8/2023 Pasal 44): pengurus, pengawas, or their
# family. Their loans need a pengawas approval and stay under the AD/ART cap.
RELATED_PARTY_KINDS = ("pengurus", "pengawas", "keluarga")


def set_related_party(session: Session, number: int, value: str | None, *, actor: str,
                      reason: str | None = None) -> int:
    """Flags (or unflags, with None) a member as a related party; a log entry names who
    changed what. Loans keep the flag they were applied with. Returns the seq."""
    if value is not None and value not in RELATED_PARTY_KINDS:
        raise InvalidInput(field="related_party",
                           reason_id="harus pengurus, pengawas, keluarga atau kosong",
                           reason_en="must be pengurus, pengawas, keluarga or empty")
    member = get_member(session, number, lock=True)
    if member.status is MemberStatus.KELUAR:
        raise MemberNotActive(number=member.number, status=member.status.value)
    if member.related_party == value:
        raise RelatedPartyUnchanged(number=member.number, value=value or "bukan pihak terkait")
    data: dict[str, object] = {"member": member.number, "from": member.related_party,
                               "to": value, "by": actor}
    if reason:
        data["reason"] = reason
    member.related_party = value
    return log.append(session, "anggota.pihak_terkait", data).seq


@dataclass(frozen=True)
class Contact:
    phone: str
    address: str
    occupation: str


def edit_contact(session: Session, cipher: PiiCipher, number: int, new: Contact) -> int:
    """New phone, address and occupation of a member still in the koperasi. The phone and
    address are encrypted again; the log gets a fresh salted commitment to the three
    values and the names of the fields that changed, never the values. Returns the seq."""
    member = get_member(session, number, lock=True)
    if member.status is MemberStatus.KELUAR or member.pii_salt is None:
        raise MemberNotActive(number=member.number, status=member.status.value)
    old = Contact(phone=cipher.decrypt(member.phone_encrypted, "member.phone"),
                  address=cipher.decrypt(member.address_encrypted, "member.address"),
                  occupation=member.occupation)
    changed = [name for name in ("phone", "address", "occupation")
               if getattr(old, name) != getattr(new, name)]
    if not changed:
        raise ContactUnchanged(number=member.number)
    member.phone_encrypted = cipher.encrypt(new.phone, "member.phone")
    member.address_encrypted = cipher.encrypt(new.address, "member.address")
    member.occupation = new.occupation
    # Keyed by the member's salt like the identity commitment: whoever holds the salt can
    # check the values later, and erasing it unlinks this entry too.
    appended = log.append(session, "anggota.kontak_diubah", {
        "member": member.number, "changed": changed,
        "contact_commitment": commitment(member.pii_salt, "kontak", new.phone, new.address,
                                         new.occupation),
    })
    return appended.seq


@dataclass(frozen=True)
class Profile:
    number: int
    name: str
    status: str
    birth_date: dt.date
    occupation: str
    nik: str
    phone: str
    address: str
    wallet_address: str | None
    joined_on: dt.date | None
    exited_on: dt.date | None


def profile(cipher: PiiCipher, member: Member) -> Profile:
    return Profile(
        number=member.number,
        name=member.name,
        status=member.status.value,
        birth_date=member.birth_date,
        occupation=member.occupation,
        nik=cipher.decrypt(member.nik_encrypted, "member.nik"),
        phone=cipher.decrypt(member.phone_encrypted, "member.phone"),
        address=cipher.decrypt(member.address_encrypted, "member.address"),
        wallet_address=member.wallet_address,
        joined_on=member.joined_on,
        exited_on=member.exited_on,
    )
