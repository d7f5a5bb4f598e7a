from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ksp.api.deps import (
    CipherDep,
    CurrentPrincipal,
    MemberNumber,
    SessionDep,
    SettingsDep,
    Writer,
    require_member_access,
    require_roles,
    writer_for,
)
from ksp.api.openapi import error_responses
from ksp.api.types import HumanText, OptionalText, Tanggal
from ksp.auth.errors import TooManyChallenges
from ksp.auth.service import APPROVE, READ_ALL, WRITE
from ksp.core import clock
from ksp.core.errors import Forbidden
from ksp.core.money import format_rupiah
from ksp.ledger.dates import POSTING_DATE_ERRORS, InvalidBirthDate
from ksp.ledger.errors import PeriodClosed
from ksp.members import service, wallet
from ksp.members.errors import (
    ContactUnchanged,
    DuplicateNik,
    InvalidNik,
    MemberNotActive,
    RelatedPartyUnchanged,
    UnknownMember,
    WalletAlreadyLinked,
    WalletProofInvalid,
    WalletProofOtherMember,
    WalletTaken,
)
from ksp.members.models import Member, MemberStatus
from ksp.savings import service as savings
from ksp.savings.errors import ExitBeforeJoining, MemberHasOpenLoan

router = APIRouter(prefix="/api/v1", tags=["anggota"])
TellerWriter = Annotated[Writer, Depends(writer_for(*WRITE))]
BoardWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]


class WalletProof(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(max_length=1000)
    signature: str = Field(max_length=200)


PHONE = r"^\+?[0-9 -]+$"


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nik: str = Field(min_length=1, max_length=32)
    name: HumanText = Field(min_length=1, max_length=120)
    birth_date: Tanggal
    address: HumanText = Field(min_length=1, max_length=300)
    phone: str = Field(min_length=6, max_length=20, pattern=PHONE)
    occupation: HumanText = Field(min_length=1, max_length=120)
    wallet: WalletProof | None = None


class ContactIn(BaseModel):
    """Every field is sent, changed or not (what the staff form holds)."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=6, max_length=20, pattern=PHONE)
    address: HumanText = Field(min_length=1, max_length=300)
    occupation: HumanText = Field(min_length=1, max_length=120)


class ExitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tanggal: Tanggal | None = None
    alasan: OptionalText = Field(None, max_length=200,
                                     description="Alasan, wajib bila tanggal sebelum hari ini")


class RelatedPartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    related_party: Literal["pengurus", "pengawas", "keluarga"] | None = Field(
        description="Pihak terkait (Permenkop 8/2023 Pasal 44): pengurus, pengawas, keluarga "
                    "mereka, atau null / related party, or null for none")
    alasan: OptionalText = Field(None, max_length=200, description="Alasan / reason")


class RelatedPartyOut(BaseModel):
    number: int
    related_party: str | None
    seq: int


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(max_length=42)
    purpose: str = Field("link", pattern="^(link|login)$")
    member: int | None = Field(None, ge=1, le=2**63 - 1,
                               description="Nomor anggota yang akan dihubungkan (link saja) / "
                               "the member number this link proof is for (link only)")


class Challenge(BaseModel):
    message: str = Field(description="Teks yang ditandatangani dompet / text the wallet signs")
    nonce: str
    expires_at: str = Field(description="ISO 8601")


class MemberSummary(BaseModel):
    number: int
    name: str
    status: MemberStatus
    wallet_address: str | None
    joined_on: dt.date | None
    exited_on: dt.date | None


class MemberList(BaseModel):
    members: list[MemberSummary]


class MemberProfile(MemberSummary):
    birth_date: dt.date
    occupation: str
    nik: str
    phone: str
    address: str
    savings: dict[str, int] = Field(description="Saldo per jenis, rupiah")
    savings_text: dict[str, str] = Field(description="Saldo per jenis, mis. Rp 1.250.000")


class ExitResult(MemberSummary):
    paid_out: dict[str, int] = Field(description="Dibayar kembali per jenis, rupiah")
    paid_out_total: int


# What the member services refuse, per route (the shared errors are added by
# ksp.api.openapi from the dependencies).
WALLET_ERRORS = (WalletProofInvalid, WalletProofOtherMember, WalletTaken)


def summary(m: Member) -> dict[str, Any]:
    return {"number": m.number, "name": m.name, "status": m.status.value,
            "wallet_address": m.wallet_address,
            "joined_on": m.joined_on.isoformat() if m.joined_on else None,
            "exited_on": m.exited_on.isoformat() if m.exited_on else None}


@router.post("/wallet/challenges", status_code=201, response_model=Challenge,
             responses=error_responses(TooManyChallenges))
def wallet_challenge(body: ChallengeIn, session: SessionDep, request: Request,
                     settings: SettingsDep) -> Any:
    """A message with a one-time nonce for the wallet to sign (link or sign-in)."""
    with session.begin():
        challenge = wallet.issue_challenge(
            session, address=body.address, purpose=body.purpose, settings=settings,
            client_ip=request.client.host if request.client else None, member=body.member)
    return {"message": challenge.message, "nonce": challenge.nonce,
            "expires_at": challenge.expires_at.isoformat()}


@router.post("/members", status_code=201, response_model=MemberSummary,
             responses=error_responses(InvalidNik, DuplicateNik, InvalidBirthDate,
                                       *WALLET_ERRORS))
def register(body: MemberIn, writer: TellerWriter, cipher: CipherDep,
             settings: SettingsDep) -> Any:
    """Pendaftaran calon anggota. The member becomes anggota once simpanan pokok is paid."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        address = None
        if body.wallet is not None:
            address = wallet.consume_challenge(session, message=body.wallet.message,
                                               signature=body.wallet.signature, purpose="link",
                                               settings=settings)
        member = service.register(session, cipher, service.Registration(
            nik=body.nik, name=body.name, birth_date=body.birth_date, address=body.address,
            phone=body.phone, occupation=body.occupation), wallet_address=address,
            min_age_years=settings.min_member_age_years)
        return 201, summary(member), None

    return writer.run(body.model_dump(mode="json"), act)


@router.post("/members/{number}/wallet", status_code=200, response_model=MemberSummary,
             responses=error_responses(UnknownMember, WalletAlreadyLinked, *WALLET_ERRORS))
def link_wallet(number: MemberNumber, body: WalletProof, writer: TellerWriter,
                settings: SettingsDep) -> Any:
    """Links a wallet whose owner signed a `link` challenge (one naming another member is
    refused)."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        member = service.get_member(session, number, lock=True)
        address = wallet.consume_challenge(session, message=body.message,
                                           signature=body.signature, purpose="link",
                                           settings=settings, member=number)
        seq = service.link_wallet(session, member, address)
        return 200, summary(member), seq

    return writer.run(body.model_dump() | {"member": number}, act)


@router.get("/members", response_model=MemberList)
def list_members(session: SessionDep,
                 _p: Annotated[Any, Depends(require_roles(*READ_ALL))]) -> Any:
    members = session.scalars(select(Member).order_by(Member.number))
    return {"members": [summary(m) for m in members]}


@router.get("/members/{number}", response_model=MemberProfile,
            responses=error_responses(UnknownMember, Forbidden))
def get_member(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep,
               cipher: CipherDep) -> Any:
    """Profile with decrypted NIK, phone and address: staff, or the member themself."""
    require_member_access(principal, number)
    member = service.get_member(session, number)
    p = service.profile(cipher, member)
    balances = savings.balances(session, number)
    return {**summary(member), "birth_date": p.birth_date.isoformat(),
            "occupation": p.occupation, "nik": p.nik, "phone": p.phone, "address": p.address,
            "savings": {j.value: b for j, b in balances.items()},
            "savings_text": {j.value: format_rupiah(b) for j, b in balances.items()}}


@router.post("/members/{number}/contact", status_code=200, response_model=MemberSummary,
             responses=error_responses(UnknownMember, MemberNotActive, ContactUnchanged))
def edit_contact(number: MemberNumber, body: ContactIn, writer: TellerWriter,
                 cipher: CipherDep, settings: SettingsDep) -> Any:
    """Ubah kontak: a member's new phone, address and occupation (the log records a
    commitment to them, never the values)."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        seq = service.edit_contact(session, cipher, number, service.Contact(
            phone=body.phone, address=body.address, occupation=body.occupation))
        return 200, summary(service.get_member(session, number)), seq

    # The idempotency fingerprint gets a keyed digest: a plain hash of a phone number is
    # easily reversed.
    text = json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    digest = hmac.new(settings.secret_key_bytes(), text, hashlib.sha256).hexdigest()
    return writer.run({"member": number, "contact": digest}, act)


@router.post("/members/{number}/exit", status_code=200, response_model=ExitResult,
             responses=error_responses(UnknownMember, MemberNotActive, ExitBeforeJoining,
                                       MemberHasOpenLoan, PeriodClosed,
                                       *POSTING_DATE_ERRORS))
def exit_member(number: MemberNumber, body: ExitIn, writer: TellerWriter) -> Any:
    """Anggota keluar: pokok, wajib and sukarela are paid back through the ledger."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        paid = savings.exit_member(session, member_number=number, on=body.tanggal or clock.today(),
                                   reason=body.alasan)
        member = service.get_member(session, number)
        return 200, {**summary(member), "paid_out": {j.value: a for j, a in paid.items()},
                     "paid_out_total": sum(paid.values())}, None

    return writer.run(body.model_dump(mode="json") | {"member": number}, act)


@router.put("/members/{number}/related-party", response_model=RelatedPartyOut,
            responses=error_responses(UnknownMember, MemberNotActive, RelatedPartyUnchanged))
def set_related_party(number: MemberNumber, body: RelatedPartyIn, writer: BoardWriter) -> Any:
    """Pihak terkait: pengurus menandai (atau melepas) anggota sebagai pihak terkait; pinjaman
    yang diajukan sesudahnya perlu persetujuan pengawas dan tunduk pada batasnya."""
    def act(session: Any) -> tuple[int, Any, int]:
        seq = service.set_related_party(session, number, body.related_party,
                                        actor=writer.principal.actor, reason=body.alasan)
        return 200, {"number": number, "related_party": body.related_party, "seq": seq}, seq

    return writer.run(body.model_dump(mode="json") | {"member": number}, act)
