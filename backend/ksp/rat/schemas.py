"""Request and response shapes of the RAT API. Every integer is bounded and every text is
clean (ksp.api.types), so no input reaches the service in a shape that can crash it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi.encoders import jsonable_encoder
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from ksp.api.types import INT64_MAX, HumanText, OptionalText, Tanggal
from ksp.core import clock
from ksp.rat import service
from ksp.rat.models import (
    AgendaItem,
    Attendance,
    Ballot,
    InPersonCount,
    ItemKind,
    ItemResult,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Office,
    Officer,
    Proxy,
)
from ksp.rat.service import PUBLIC_CHOICE_NOTICE

_EARLIEST = dt.datetime(1900, 1, 2, tzinfo=dt.UTC)
_LATEST = dt.datetime(2100, 12, 30, tzinfo=dt.UTC)


def _instant_in_range(value: dt.datetime) -> dt.datetime:
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError("must be between 1900 and 2100")
    return value.astimezone(dt.UTC)


Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range)]
MemberNo = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]
Signature = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                                 description="Tanda tangan EIP-712 65 bita (r, s, v), hex")]
Hash32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="bytes32, hex")]
Count = Annotated[int, Field(strict=True, ge=0, le=10_000_000)]


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: MeetingKind = MeetingKind.ANNUAL
    title: HumanText = Field(max_length=200)
    held_at: Instant = Field(description="Waktu rapat di aula (ISO 8601 dengan zona waktu)")
    record_date: Tanggal = Field(description="Tanggal pencatatan: anggota pada tanggal ini "
                                             "berhak memilih / record date")
    voting_start: Instant
    voting_end: Instant
    place: HumanText = Field(max_length=200)
    online_link: OptionalText = Field(None, max_length=300)

    def draft(self) -> service.MeetingDraft:
        return service.MeetingDraft(self.kind, self.title, self.held_at, self.record_date,
                                    self.voting_start, self.voting_end, self.place,
                                    self.online_link)


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ItemKind
    title: HumanText = Field(max_length=200)
    text: HumanText = Field(max_length=4000)
    fiscal_year: int | None = Field(None, strict=True, ge=1900, le=2099, description=(
        "Hanya untuk acara SHU: tahun buku yang usulan SHU-nya menjadi angka acara ini "
        "(angka tidak diketik ulang) / SHU items only: the fiscal year whose SHU proposal "
        "gives the item its figures"))
    office: Office | None = None
    seats: int | None = Field(None, strict=True, ge=1, le=service.MAX_CANDIDATES)
    candidates: list[MemberNo] | None = Field(None, max_length=service.MAX_CANDIDATES,
                                              description="Nomor anggota calon, berurutan")

    def draft(self) -> service.ItemDraft:
        return service.ItemDraft(self.kind, self.title, self.text, None, self.office,
                                 self.seats, self.candidates)


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member: MemberNo | None = Field(None, description="Nomor anggota yang diketik")
    qr: str | None = Field(None, max_length=200,
                           description="Isi QR anggota (KSP-LINK:1:<nomor>:<KODE>)")


class CountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ballots: Count = Field(description="Jumlah surat suara langsung / paper ballots")
    counts: list[Count] = Field(max_length=service.MAX_CANDIDATES + 1, description=(
        "Ya/tidak: [tidak setuju, setuju, abstain]; pemilihan: [suara calon 1..n, kosong]"))
    overridden: list[MemberNo] = Field(default_factory=list, max_length=10_000, description=(
        "Anggota hadir yang suara daringnya diganti suara langsung (AD/ART)"))


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BallotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(strict=True, ge=0, le=255, description="Nomor acara, dari 0")
    choice: int = Field(strict=True, ge=0, le=2**32 - 1, description=(
        "Ya/tidak: 0 tidak setuju, 1 setuju, 2 abstain; pemilihan: bitmask calon, 0 kosong"))
    content_hash: Hash32
    signature: Signature
    principal: MemberNo | None = Field(None, description="Untuk suara kuasa: nomor pemberi kuasa")


class ProxyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proxy: MemberNo = Field(description="Nomor anggota penerima kuasa")
    signature: Signature


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signature: Signature


class ItemOut(BaseModel):
    position: int
    kind: ItemKind
    title: str
    text: str
    figures: dict[str, Any] | None = Field(description=(
        "Acara SHU: angka usulan SHU (ksp.shu.calc figures: tahun buku, SHU, pembagian bps, "
        "jumlah per pool, penyelesaian); selain itu null"))
    office: Office | None
    seats: int | None
    candidates: list[int] | None
    threshold_bps: int | None
    content_hash: str = Field(description="keccak256 JSON kanonik RFC 8785 (docs/RAT.md)")
    choices: str


class MeetingOut(BaseModel):
    id: int
    kind: MeetingKind
    title: str
    held_at: dt.datetime
    record_date: dt.date
    voting_start: dt.datetime
    voting_end: dt.datetime
    place: str
    online_link: str | None
    status: MeetingStatus
    voting_open: bool
    agenda_hash: str | None
    seq: int
    items: list[ItemOut]
    eip712_domain: dict[str, Any] | None = Field(
        description="Domain EIP-712 RatVoting (null: kontrak belum di-deploy)")
    public_choice_notice: str


class AnnouncementOut(BaseModel):
    meeting: int
    seq: int
    agenda_hash: str
    notices: int


class ProxyOut(BaseModel):
    meeting: int
    principal: int
    proxy: int
    proxy_address: str
    accepted: bool
    revoked: bool
    used: bool
    seq: int


class ProxyAddressOut(BaseModel):
    member: int
    address: str = Field(description="Alamat dompet yang ditandatangani dalam `Proxy`")


class BallotOut(BaseModel):
    """The member's receipt."""

    ballot_id: int
    meeting: int
    position: int
    member: int
    cast_by: int
    choice: int
    content_hash: str
    received_at: dt.datetime
    relay_status: str = Field(description="pending, sent, included, confirmed")
    tx_hash: str | None
    public_choice_notice: str


class AttendanceOut(BaseModel):
    meeting: int
    member: int
    how: str
    recorded_by: str
    recorded_at: dt.datetime
    seq: int


class CountsOut(BaseModel):
    meeting: int
    position: int
    ballots: int
    counts: list[int]
    overridden: list[int]
    chair: str
    cosigned_by: str | None
    seq: int | None


class ResultOut(BaseModel):
    position: int
    decision: str
    seq: int
    data: dict[str, Any]


class OfficerOut(BaseModel):
    member: int
    role: Office
    term_from: dt.date
    term_to: dt.date
    seq: int


class ResultsOut(BaseModel):
    meeting: int
    status: MeetingStatus
    results: list[ResultOut]
    officers: list[OfficerOut]


class CloseOut(BaseModel):
    meeting: int
    seq: int


def choices_text(item: AgendaItem) -> str:
    if item.kind is ItemKind.ELECTION:
        return (f"Tandai paling banyak {item.seats} calon: bit ke-i = calon ke-(i+1) dalam "
                "daftar; 0 = suara kosong. / Mark up to the seats: bit i = candidate i+1; "
                "0 = blank.")
    return "0 = tidak setuju / against, 1 = setuju / for, 2 = abstain"


def item_out(item: AgendaItem) -> Any:
    return jsonable_encoder({
        "position": item.position, "kind": item.kind, "title": item.title,
            "text": item.text,
            "figures": json.loads(item.figures) if item.figures else None,
            "office": item.office, "seats": item.seats,
            "candidates": service.candidates_of(item) if item.kind is ItemKind.ELECTION
            else None,
            "threshold_bps": item.threshold_bps, "content_hash": item.content_hash,
            "choices": choices_text(item)})


def meeting_out(meeting: Meeting, items: list[AgendaItem],
                domain: dict[str, Any] | None) -> Any:
    return jsonable_encoder({
        "id": meeting.id, "kind": meeting.kind, "title": meeting.title,
            "held_at": clock.as_utc(meeting.held_at), "record_date": meeting.record_date,
            "voting_start": clock.as_utc(meeting.voting_start),
            "voting_end": clock.as_utc(meeting.voting_end), "place": meeting.place,
            "online_link": meeting.online_link, "status": meeting.status,
            "voting_open": meeting.status is MeetingStatus.ANNOUNCED
            and service.voting_open(meeting, clock.now()),
            "agenda_hash": meeting.agenda_hash, "seq": meeting.seq,
            "items": [item_out(i) for i in items], "eip712_domain": domain,
            "public_choice_notice": PUBLIC_CHOICE_NOTICE})


def proxy_out(row: Proxy) -> Any:
    return jsonable_encoder({
        "meeting": row.meeting_id, "principal": row.principal_number,
            "proxy": row.proxy_number, "proxy_address": row.proxy_address,
            "accepted": row.accepted_at is not None, "revoked": row.revoked_at is not None,
            "used": row.used, "seq": row.seq})


def ballot_out(ballot: Ballot, position: int, status: str | None,
               tx_hash: str | None) -> Any:
    return jsonable_encoder({
        "ballot_id": ballot.id, "meeting": ballot.meeting_id, "position": position,
            "member": ballot.member_number, "cast_by": ballot.cast_by, "choice": ballot.choice,
            "content_hash": ballot.content_hash,
            "received_at": clock.as_utc(ballot.received_at),
            "relay_status": status or "pending", "tx_hash": tx_hash,
            "public_choice_notice": PUBLIC_CHOICE_NOTICE})


def attendance_out(row: Attendance) -> Any:
    return jsonable_encoder({
        "meeting": row.meeting_id, "member": row.member_number, "how": row.how.value,
            "recorded_by": row.recorded_by, "recorded_at": clock.as_utc(row.recorded_at),
            "seq": row.seq})


def counts_out(row: InPersonCount, position: int) -> Any:
    return jsonable_encoder({
        "meeting": row.meeting_id, "position": position, "ballots": row.ballots,
            "counts": json.loads(row.counts), "overridden": json.loads(row.overridden),
            "chair": row.chair, "cosigned_by": row.cosigned_by, "seq": row.seq})


def results_out(meeting: Meeting, rows: list[tuple[AgendaItem, ItemResult]],
                officers: list[Officer]) -> Any:
    return jsonable_encoder({
        "meeting": meeting.id, "status": meeting.status,
            "results": [{"position": i.position, "decision": r.decision, "seq": r.seq,
                         "data": json.loads(r.data)} for i, r in rows],
            "officers": [{"member": o.member_number, "role": o.role, "term_from": o.term_from,
                          "term_to": o.term_to, "seq": o.seq} for o in officers]})
