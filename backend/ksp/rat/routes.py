"""The RAT API (docs/RAT.md). Staff: meetings, agenda, announce, attendance, paper counts
and their pengawas co-signature, close, results. Members: the agenda with its hashes, signed
ballots, proxies, their own ballots. Every write takes an Idempotency-Key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ksp.api.deps import CurrentPrincipal, SessionDep, SettingsDep, Writer, writer_for
from ksp.api.openapi import error_responses
from ksp.api.types import INT64_MAX
from ksp.auth.models import Role
from ksp.auth.service import READ_ALL, WRITE
from ksp.core.errors import Forbidden, InvalidInput, KspError
from ksp.core.settings import Settings
from ksp.members.errors import UnknownMember
from ksp.notifications.errors import TemplateParamsInvalid
from ksp.printing.render import html_to_pdf
from ksp.rat import schemas, service
from ksp.rat.errors import (
    AlreadyVoted,
    AttendanceRefused,
    ChainNotReady,
    ChainUnavailable,
    ContentHashMismatch,
    CountsExceedAttendance,
    CountsState,
    InvalidChoice,
    InvalidCounts,
    InvalidItem,
    InvalidProxy,
    InvalidQrPayload,
    InvalidSchedule,
    InvalidSignature,
    ItemNotFound,
    MeetingNotFound,
    NotEligible,
    NoticeTooShort,
    ProxiesNotAllowed,
    ProxyLimitReached,
    ProxyNotFound,
    ProxyState,
    ResultsNotReady,
    SameStaff,
    SignerMismatch,
    VotingNotClosed,
    VotingNotOpen,
    WrongMeetingState,
)
from ksp.rat.models import AttendanceHow, ItemKind, MeetingStatus
from ksp.rat.signing import RatDomain, domain_from_settings
from ksp.shu.errors import ShuNotProposed, YearNotClosed

router = APIRouter(prefix="/api/v1/rat", tags=["rat"])
PengurusWriter = Annotated[Writer, Depends(writer_for(Role.PENGURUS))]
StaffWriter = Annotated[Writer, Depends(writer_for(*WRITE))]
PengawasWriter = Annotated[Writer, Depends(writer_for(Role.PENGAWAS))]
MemberWriter = Annotated[Writer, Depends(writer_for(Role.ANGGOTA))]
MeetingId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor RAT")]
Position = Annotated[int, Path(ge=0, le=255, description="Nomor acara, dari 0")]
PrincipalNo = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor pemberi kuasa")]
ProxyNo = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor penerima kuasa")]

SIGNED = (MeetingNotFound, WrongMeetingState, VotingNotOpen, NotEligible, UnknownMember,
          InvalidSignature, SignerMismatch, ChainNotReady)


def _member(writer: Writer) -> int:
    number = writer.principal.member_number
    if number is None:  # a member token always names its member
        raise Forbidden()
    return number


def _domain(settings: Settings) -> RatDomain:
    return domain_from_settings(settings)


def _domain_or_none(settings: Settings) -> dict[str, Any] | None:
    try:
        return domain_from_settings(settings).as_eip712()
    except ChainNotReady:
        return None


def _meeting(session: Session, meeting_id: int, settings: Settings) -> Any:
    meeting = service.get_meeting(session, meeting_id)
    return schemas.meeting_out(meeting, service.items_of(session, meeting_id),
                               _domain_or_none(settings))


# Meetings and agenda


@router.post("/meetings", status_code=201, response_model=schemas.MeetingOut,
             responses=error_responses(NoticeTooShort, InvalidSchedule))
def create_meeting(body: schemas.MeetingIn, writer: PengurusWriter,
                   settings: SettingsDep) -> Any:
    """Membuat RAT (draf); masa pemberitahuan AD/ART ditegakkan. / Creates a draft RAT."""
    def act(session: Session) -> tuple[int, Any, int]:
        meeting = service.create_meeting(session, body.draft(), actor=writer.principal.actor)
        return 201, schemas.meeting_out(meeting, [], _domain_or_none(settings)), meeting.seq

    return writer.run(body.model_dump(mode="json"), act)


@router.get("/meetings", response_model=list[schemas.MeetingOut])
def list_meetings(_principal: CurrentPrincipal, session: SessionDep,
                  settings: SettingsDep) -> Any:
    """Daftar RAT, yang terbaru dulu, dengan acara dan hash isinya."""
    domain = _domain_or_none(settings)
    return [schemas.meeting_out(m, service.items_of(session, m.id), domain)
            for m in service.list_meetings(session)]


@router.get("/meetings/{meeting_id}", response_model=schemas.MeetingOut,
            responses=error_responses(MeetingNotFound))
def get_meeting(meeting_id: MeetingId, _principal: CurrentPrincipal, session: SessionDep,
                settings: SettingsDep) -> Any:
    """Satu RAT: acara dengan teks, calon dan hash isi yang ditandatangani anggota."""
    return _meeting(session, meeting_id, settings)


@router.post("/meetings/{meeting_id}/items", status_code=201, response_model=schemas.ItemOut,
             responses=error_responses(MeetingNotFound, WrongMeetingState, InvalidItem,
                                       NotEligible, UnknownMember, YearNotClosed,
                                       ShuNotProposed))
def add_item(meeting_id: MeetingId, body: schemas.ItemIn, writer: PengurusWriter) -> Any:
    """Menambah acara ke RAT draf; acara SHU mengambil angkanya dari usulan SHU tahun buku.
    / Adds an agenda item to a draft RAT; an SHU item takes its figures from the year's SHU
    proposal."""
    def act(session: Session) -> tuple[int, Any, int]:
        if body.kind is ItemKind.SHU and body.fiscal_year is not None:
            item = service.add_shu_item(session, meeting_id, fiscal_year=body.fiscal_year,
                                        title=body.title, text=body.text)
        elif body.fiscal_year is not None:
            raise InvalidItem(reason_id="tahun buku hanya untuk acara SHU",
                              reason_en="a fiscal year belongs to an SHU item only")
        else:
            item = service.add_item(session, meeting_id, body.draft())
        return 201, schemas.item_out(item), item.seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)


@router.post("/meetings/{meeting_id}/announce", response_model=schemas.AnnouncementOut,
             responses=error_responses(MeetingNotFound, WrongMeetingState, NoticeTooShort,
                                       InvalidSchedule, TemplateParamsInvalid))
def announce(meeting_id: MeetingId, body: schemas.Empty, writer: PengurusWriter) -> Any:
    """Mengumumkan RAT: undangan ke setiap anggota, RAT dan acaranya ke rantai."""
    def act(session: Session) -> tuple[int, Any, int]:
        done = service.announce(session, meeting_id, actor=writer.principal.actor)
        return 200, {"meeting": meeting_id, "seq": done.seq, "agenda_hash": done.agenda_hash,
                     "notices": done.notices}, done.seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)


@router.get("/meetings/{meeting_id}/undangan.pdf", response_class=Response,
            responses={200: {"description": "Undangan RAT (PDF) / the printable RAT notice",
                             "content": {"application/pdf": {"schema": {
                                 "type": "string", "format": "binary"}}}},
                       **error_responses(MeetingNotFound, Forbidden)})
def invitation_pdf(meeting_id: MeetingId, principal: CurrentPrincipal, session: SessionDep,
                   settings: SettingsDep) -> Response:
    """Undangan RAT untuk dicetak, dengan hash isi setiap acara (staf)."""
    if principal.role not in READ_ALL:
        raise Forbidden()
    html = service.invitation_html(session, meeting_id, settings.coop_name)
    return Response(html_to_pdf(html), media_type="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="undangan-rat-{meeting_id}.pdf"'})


@router.get("/meetings/{meeting_id}/risalah.pdf", response_class=Response,
            responses={200: {"description": "Risalah RAT (PDF) / the minutes of the RAT",
                             "content": {"application/pdf": {"schema": {
                                 "type": "string", "format": "binary"}}}},
                       **error_responses(MeetingNotFound, WrongMeetingState, Forbidden)})
def minutes_pdf(meeting_id: MeetingId, principal: CurrentPrincipal, session: SessionDep,
                settings: SettingsDep) -> Response:
    """Risalah RAT untuk ditandatangani sekretaris dan pimpinan rapat, sesudah hasil
    ditetapkan (staf)."""
    from ksp.rat.minutes import minutes_html

    if principal.role not in READ_ALL:
        raise Forbidden()
    html = minutes_html(session, meeting_id, settings.coop_name, rat_voting_address(settings))
    return Response(html_to_pdf(html), media_type="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="risalah-rat-{meeting_id}.pdf"'})


def rat_voting_address(settings: Settings) -> str | None:
    """RatVoting's address from the recorded deployment, or None before it is deployed."""
    try:
        return domain_from_settings(settings).verifying_contract
    except KspError:
        return None


# In the hall


@router.post("/meetings/{meeting_id}/attendance", status_code=201,
             response_model=schemas.AttendanceOut,
             responses=error_responses(MeetingNotFound, WrongMeetingState, NotEligible,
                                       UnknownMember, AttendanceRefused, InvalidQrPayload))
def record_attendance(meeting_id: MeetingId, body: schemas.AttendanceIn,
                      writer: StaffWriter) -> Any:
    """Sekretaris mencatat kehadiran: nomor anggota atau QR anggota (salah satu)."""
    if (body.member is None) == (body.qr is None):
        raise InvalidInput(field="member/qr", reason_id="isi salah satu: nomor anggota atau QR",
                           reason_en="give either the member number or the QR payload")

    def act(session: Session) -> tuple[int, Any, int]:
        if body.qr is not None:
            number, how = service.member_from_qr(body.qr), AttendanceHow.QR
        else:
            assert body.member is not None
            number, how = body.member, AttendanceHow.IN_PERSON
        row = service.record_attendance(session, meeting_id, member=number, how=how,
                                        actor=writer.principal.actor)
        return 201, schemas.attendance_out(row), row.seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)


@router.get("/meetings/{meeting_id}/attendance", response_model=list[schemas.AttendanceOut],
            responses=error_responses(MeetingNotFound, Forbidden))
def attendance(meeting_id: MeetingId, principal: CurrentPrincipal, session: SessionDep) -> Any:
    """Daftar hadir (staf). / The attendance list (staff)."""
    if principal.role not in READ_ALL:
        raise Forbidden()
    service.get_meeting(session, meeting_id)
    return [schemas.attendance_out(r) for r in service.attendance_of(session, meeting_id)]


COUNT_ERRORS = (MeetingNotFound, ItemNotFound, WrongMeetingState, CountsState, InvalidCounts,
                CountsExceedAttendance)


@router.post("/meetings/{meeting_id}/items/{position}/in-person", response_model=schemas.CountsOut,
             responses=error_responses(*COUNT_ERRORS, VotingNotClosed))
def record_counts(meeting_id: MeetingId, position: Position, body: schemas.CountsIn,
                  writer: StaffWriter) -> Any:
    """Ketua rapat mencatat hitungan suara langsung satu acara (sesudah pemungutan daring
    ditutup); berlaku setelah ditandatangani pengawas."""
    def act(session: Session) -> tuple[int, Any, None]:
        row = service.record_counts(session, meeting_id, position=position,
                                    ballots=body.ballots, counts=body.counts,
                                    overridden=body.overridden, chair=writer.principal.actor)
        return 200, schemas.counts_out(row, position), None

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id,
                                                      "position": position}, act)


@router.post("/meetings/{meeting_id}/items/{position}/in-person/cosign",
             response_model=schemas.CountsOut,
             responses=error_responses(*COUNT_ERRORS, SameStaff))
def cosign_counts(meeting_id: MeetingId, position: Position, body: schemas.Empty,
                  writer: PengawasWriter) -> Any:
    """Pengawas menandatangani hitungan suara langsung (satu-satunya tulisan pengawas di RAT).
    / A pengawas co-signs the in-person counts (the pengawas' one write in the RAT)."""
    def act(session: Session) -> tuple[int, Any, int | None]:
        row = service.cosign_counts(session, meeting_id, position=position,
                                    pengawas=writer.principal.actor)
        return 200, schemas.counts_out(row, position), row.seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id,
                                                      "position": position}, act)


# Closing and results


@router.post("/meetings/{meeting_id}/close", response_model=schemas.CloseOut,
             responses=error_responses(MeetingNotFound, WrongMeetingState, VotingNotClosed))
def close(meeting_id: MeetingId, body: schemas.Empty, writer: PengurusWriter) -> Any:
    """Menutup RAT sesudah pemungutan suara berakhir: `finalize` diantrekan ke rantai."""
    def act(session: Session) -> tuple[int, Any, int]:
        seq = service.request_finalize(session, meeting_id, actor=writer.principal.actor)
        return 200, {"meeting": meeting_id, "seq": seq}, seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)


def chain_results(request: Request, session: Session, meeting_id: int,
                  actor: str) -> list[Any]:
    """Records the results from RatVoting's finalized tallies (503 when the chain cannot
    answer, 409 before finalize is on chain)."""
    from ksp.chain.rat_reads import finalized_tallies, has_voted, rat_voting

    positions = [i.position for i in service.items_of(session, meeting_id)]
    try:
        chain = request.app.state.chain
        voting = rat_voting(chain.connect(), chain.read_deployment())
        tallies = finalized_tallies(voting, meeting_id, positions)
    except Exception as exc:  # any chain failure: the results wait for the chain
        raise ChainUnavailable(reason_id="RatVoting tidak menjawab",
                               reason_en="RatVoting does not answer") from exc
    if tallies is None:
        raise ResultsNotReady(meeting=meeting_id, reason_id="finalize belum ada di rantai",
                              reason_en="finalize is not on chain yet")

    def counted(position: int, member: int) -> bool:
        try:
            return has_voted(voting, meeting_id, position, member)
        except Exception as exc:  # as above
            raise ChainUnavailable(reason_id="RatVoting tidak menjawab",
                                   reason_en="RatVoting does not answer") from exc

    return service.record_results(session, meeting_id, online=tallies, counted=counted,
                                  actor=actor)


@router.post("/meetings/{meeting_id}/results", response_model=schemas.ResultsOut,
             responses=error_responses(MeetingNotFound, WrongMeetingState, ResultsNotReady,
                                       ChainNotReady, ChainUnavailable))
def record_results(meeting_id: MeetingId, body: schemas.Empty, request: Request,
                   writer: PengurusWriter) -> Any:
    """Menetapkan hasil: hitungan daring dari rantai + suara langsung, kuorum, ambang,
    keputusan; satu entri log per acara, lalu pengurus/pengawas terpilih."""
    def act(session: Session) -> tuple[int, Any, int]:
        meeting = service.get_meeting(session, meeting_id)
        if meeting.status is not MeetingStatus.FINALIZING:  # before asking the chain
            raise WrongMeetingState(meeting=meeting_id, status=meeting.status.value,
                                    reason_id="hasil ditetapkan sesudah RAT ditutup",
                                    reason_en="results are recorded after the meeting is closed")
        rows = chain_results(request, session, meeting_id, writer.principal.actor)
        return 200, schemas.results_out(meeting, service.results_of(session, meeting_id),
                                        service.officers_of(session, meeting_id)), rows[-1].seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)


@router.get("/meetings/{meeting_id}/results", response_model=schemas.ResultsOut,
            responses=error_responses(MeetingNotFound))
def results(meeting_id: MeetingId, _principal: CurrentPrincipal, session: SessionDep) -> Any:
    """Hasil tiap acara (entri log) dan pejabat terpilih."""
    meeting = service.get_meeting(session, meeting_id)
    return schemas.results_out(meeting, service.results_of(session, meeting_id),
                               service.officers_of(session, meeting_id))


# Members: ballots and proxies


@router.post("/meetings/{meeting_id}/ballots", status_code=201, response_model=schemas.BallotOut,
             responses=error_responses(*SIGNED, ItemNotFound, ContentHashMismatch,
                                       InvalidChoice, AlreadyVoted, ProxyNotFound, ProxyState))
def cast_ballot(meeting_id: MeetingId, body: schemas.BallotIn, writer: MemberWriter,
                settings: SettingsDep) -> Any:
    """Suara daring bertanda tangan EIP-712 (atau suara kuasa dengan `principal`). Pilihan
    Anda akan terlihat di rantai publik (nomor anggota dan pilihan). / A signed online
    ballot; your choice will be visible on the public chain (member number and choice)."""
    voter = _member(writer)

    def act(session: Session) -> tuple[int, Any, None]:
        ballot = service.cast_ballot(
            session, _domain(settings), meeting_id, position=body.position, voter=voter,
            choice=body.choice, content_hash_hex=body.content_hash, signature=body.signature,
            principal=body.principal)
        return 201, schemas.ballot_out(ballot, body.position, "pending", None), None

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)


@router.get("/meetings/{meeting_id}/ballots/mine", response_model=list[schemas.BallotOut],
            responses=error_responses(MeetingNotFound, Forbidden))
def my_ballots(meeting_id: MeetingId, principal: CurrentPrincipal, session: SessionDep) -> Any:
    """Suara saya (dan yang saya berikan sebagai kuasa) dengan status pengirimannya."""
    if principal.role is not Role.ANGGOTA or principal.member_number is None:
        raise Forbidden()
    service.get_meeting(session, meeting_id)
    return [schemas.ballot_out(v.ballot, v.position,
                               v.relay.status.value if v.relay else None,
                               v.relay.tx_hash if v.relay else None)
            for v in service.ballots_of(session, meeting_id, principal.member_number)]


PROXY_ERRORS = (*SIGNED, ProxyNotFound, ProxyState, ProxyLimitReached)


@router.post("/meetings/{meeting_id}/proxies", status_code=201, response_model=schemas.ProxyOut,
             responses=error_responses(*PROXY_ERRORS, ProxiesNotAllowed, InvalidProxy))
def appoint_proxy(meeting_id: MeetingId, body: schemas.ProxyIn, writer: MemberWriter,
                  settings: SettingsDep) -> Any:
    """Surat kuasa: anggota menguasakan suaranya kepada anggota lain (EIP-712 `Proxy`)."""
    principal = _member(writer)

    def act(session: Session) -> tuple[int, Any, int]:
        row = service.appoint_proxy(session, _domain(settings), meeting_id,
                                    principal=principal, proxy=body.proxy,
                                    signature=body.signature)
        return 201, schemas.proxy_out(row), row.seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)


@router.get("/meetings/{meeting_id}/proxies/address/{proxy}",
            response_model=schemas.ProxyAddressOut,
            responses=error_responses(MeetingNotFound, WrongMeetingState, VotingNotOpen,
                                      ProxiesNotAllowed, NotEligible, UnknownMember,
                                      InvalidProxy, Forbidden))
def proxy_address(meeting_id: MeetingId, proxy: ProxyNo, principal: CurrentPrincipal,
                  session: SessionDep) -> Any:
    """Alamat dompet calon penerima kuasa, yang ditandatangani pemberi kuasa dalam `Proxy`
    (anggota; alamat itu publik di daftar anggota di rantai)."""
    if principal.role is not Role.ANGGOTA or principal.member_number is None:
        raise Forbidden()
    return {"member": proxy, "address": service.proxy_address(session, meeting_id, proxy)}


@router.get("/meetings/{meeting_id}/proxies/mine", response_model=list[schemas.ProxyOut],
            responses=error_responses(MeetingNotFound, Forbidden))
def my_proxies(meeting_id: MeetingId, principal: CurrentPrincipal, session: SessionDep) -> Any:
    """Surat kuasa yang saya berikan atau terima (untuk disetujui) di RAT ini."""
    if principal.role is not Role.ANGGOTA or principal.member_number is None:
        raise Forbidden()
    service.get_meeting(session, meeting_id)
    return [schemas.proxy_out(p)
            for p in service.proxies_of(session, meeting_id, principal.member_number)]


@router.post("/meetings/{meeting_id}/proxies/{principal}/accept",
             response_model=schemas.ProxyOut, responses=error_responses(*PROXY_ERRORS))
def accept_proxy(meeting_id: MeetingId, principal: PrincipalNo, body: schemas.SignatureIn,
                 writer: MemberWriter, settings: SettingsDep) -> Any:
    """Penerima kuasa menyetujui (EIP-712 `ProxyAcceptance`)."""
    proxy = _member(writer)

    def act(session: Session) -> tuple[int, Any, int]:
        row = service.accept_proxy(session, _domain(settings), meeting_id, principal=principal,
                                   proxy=proxy, signature=body.signature)
        return 200, schemas.proxy_out(row), row.seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id,
                                                      "principal": principal}, act)


@router.post("/meetings/{meeting_id}/proxies/revoke", response_model=schemas.ProxyOut,
             responses=error_responses(*PROXY_ERRORS))
def revoke_proxy(meeting_id: MeetingId, body: schemas.SignatureIn, writer: MemberWriter,
                 settings: SettingsDep) -> Any:
    """Pemberi kuasa mencabut kuasanya sebelum dipakai (EIP-712 `ProxyRevocation`)."""
    principal = _member(writer)

    def act(session: Session) -> tuple[int, Any, int]:
        row = service.revoke_proxy(session, _domain(settings), meeting_id, principal=principal,
                                   signature=body.signature)
        return 200, schemas.proxy_out(row), row.seq

    return writer.run(body.model_dump(mode="json") | {"meeting": meeting_id}, act)
