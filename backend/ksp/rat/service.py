"""The RAT (docs/RAT.md): each function is one step, runs inside the caller's transaction,
checks everything before it writes, and records the step in the log. Chain writes go
through the outbox; nothing here talks to the chain."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ksp.chain.outbox import OutboxItem, OutboxKind, enqueue
from ksp.coop.adart import AdArt, AmendmentBasis, QuorumBasis
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.money import format_rupiah
from ksp.ledger import log
from ksp.members.models import Member, MemberStatus
from ksp.members.service import get_member
from ksp.notifications import service as notifications
from ksp.notifications.templates import RAT_UNDANGAN
from ksp.rat import tally
from ksp.rat.content import ItemContent, agenda_hash, content_hash
from ksp.rat.errors import (
    AlreadyVoted,
    AttendanceRefused,
    ContentHashMismatch,
    CountsExceedAttendance,
    CountsState,
    InvalidChoice,
    InvalidCounts,
    InvalidItem,
    InvalidProxy,
    InvalidQrPayload,
    InvalidSchedule,
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
from ksp.rat.models import (
    AgendaItem,
    Attendance,
    AttendanceHow,
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
from ksp.rat.signing import RatDomain, ballot_message, hash32, recover
from ksp.shu import calc
from ksp.shu.errors import ShuNotProposed
from ksp.shu.service import closed_year

MIN_VOTING = dt.timedelta(hours=1)  # the contract's floor for a voting window
MAX_CANDIDATES = 32  # an election's choice is a bitmask; the contract caps items x candidates
PUBLIC_CHOICE_NOTICE = (
    "Pilihan Anda akan terlihat di rantai publik: peristiwa kontrak memuat nomor anggota dan "
    "pilihannya. / Your choice will be visible on the public chain: the contract's events carry "
    "the member number and the choice.")
_QR = re.compile(r"KSP-LINK:1:([1-9][0-9]{0,18}):[0-9A-Z]{8}")


@dataclass(frozen=True)
class MeetingDraft:
    kind: MeetingKind
    title: str
    held_at: dt.datetime
    record_date: dt.date
    voting_start: dt.datetime
    voting_end: dt.datetime
    place: str
    online_link: str | None = None


@dataclass(frozen=True)
class ItemDraft:
    kind: ItemKind
    title: str
    text: str
    figures: Mapping[str, Any] | None = None  # an SHU item's: the proposal's (add_shu_item)
    office: Office | None = None
    seats: int | None = None
    candidates: Sequence[int] | None = None


# Reading


def get_meeting(session: Session, meeting_id: int, *, lock: bool = False) -> Meeting:
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        query = query.with_for_update()
    meeting = session.scalars(query).first()
    if meeting is None:
        raise MeetingNotFound(meeting=meeting_id)
    return meeting


def list_meetings(session: Session) -> list[Meeting]:
    return list(session.scalars(select(Meeting).order_by(Meeting.id.desc())))


def items_of(session: Session, meeting_id: int) -> list[AgendaItem]:
    return list(session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                                .order_by(AgendaItem.position)))


def get_item(session: Session, meeting_id: int, position: int) -> AgendaItem:
    item = session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id,
                                                    AgendaItem.position == position)).first()
    if item is None:
        raise ItemNotFound(meeting=meeting_id, position=position)
    return item


def item_content(item: AgendaItem) -> ItemContent:
    return ItemContent(
        kind=item.kind.value, title=item.title, text=item.text,
        figures=json.loads(item.figures) if item.figures is not None else None,
        office=item.office.value if item.office is not None else None, seats=item.seats,
        candidates=candidates_of(item) if item.kind is ItemKind.ELECTION else None,
        threshold_bps=item.threshold_bps)


def candidates_of(item: AgendaItem) -> list[int]:
    found: list[int] = json.loads(item.candidates) if item.candidates else []
    return found


def shape_of(item: AgendaItem) -> tally.Shape:
    if item.kind is ItemKind.ELECTION:
        return tally.Shape(candidates=len(candidates_of(item)), seats=item.seats or 0)
    return tally.Shape()


def voting_open(meeting: Meeting, at: dt.datetime) -> bool:
    return clock.as_utc(meeting.voting_start) <= at < clock.as_utc(meeting.voting_end)


def voting_closed(meeting: Meeting, at: dt.datetime) -> bool:
    return at >= clock.as_utc(meeting.voting_end)


def eligible_numbers(session: Session, record_date: dt.date) -> set[int]:
    """Members on the record date: joined on or before it, not exited by it."""
    rows = session.scalars(select(Member.number).where(
        Member.joined_on.is_not(None), Member.joined_on <= record_date,
        or_(Member.exited_on.is_(None), Member.exited_on > record_date)))
    return set(rows)


def _voter(session: Session, meeting: Meeting, number: int) -> Member:
    """A member who may take part: a member on the record date and still one today."""
    member = get_member(session, number)
    joined = member.joined_on
    if (member.status is not MemberStatus.ANGGOTA or joined is None
            or joined > meeting.record_date):
        raise NotEligible(member=number, meeting=meeting.id,
                          record_date=meeting.record_date.isoformat())
    return member


def _require_status(meeting: Meeting, *wanted: MeetingStatus, reason_id: str,
                    reason_en: str) -> None:
    if meeting.status not in wanted:
        raise WrongMeetingState(meeting=meeting.id, status=meeting.status.value,
                                reason_id=reason_id, reason_en=reason_en)


# The meeting and its agenda


def _check_schedule(draft: MeetingDraft, adart: AdArt, today: dt.date) -> None:
    start, end = clock.as_utc(draft.voting_start), clock.as_utc(draft.voting_end)
    held = clock.as_utc(draft.held_at)
    if end - start < MIN_VOTING:
        raise InvalidSchedule(reason_id="pemungutan suara harus dibuka sekurang-kurangnya 1 jam",
                              reason_en="voting must be open for at least 1 hour")
    if not start <= held < end:
        raise InvalidSchedule(reason_id="rapat harus berlangsung selama pemungutan suara dibuka",
                              reason_en="the meeting must be held while voting is open")
    if draft.record_date > today:
        raise InvalidSchedule(reason_id="tanggal pencatatan tidak boleh sesudah hari ini",
                              reason_en="the record date cannot be after today")
    days = (start.astimezone(clock.zone()).date() - today).days
    if days < adart.rat_notice_days:
        raise NoticeTooShort(start=start.astimezone(clock.zone()).date().isoformat(), days=days,
                             required=adart.rat_notice_days)


def create_meeting(session: Session, draft: MeetingDraft, *, actor: str) -> Meeting:
    """A draft RAT; the AD/ART's notice period must fit before voting starts."""
    today = clock.today()
    _check_schedule(draft, adart_at(session, today), today)
    # Meeting ids (also the ids on chain) are allocated under the log lock, so the entry
    # names its meeting and the ids stay gapless.
    log.lock_head(session)
    meeting_id = (session.scalar(select(func.max(Meeting.id))) or 0) + 1
    appended = log.append(session, "rat.dibuat", {
        "meeting": meeting_id, "kind": draft.kind.value, "title": draft.title,
        "held_at": _iso(draft.held_at), "record_date": draft.record_date.isoformat(),
        "voting_start": _iso(draft.voting_start), "voting_end": _iso(draft.voting_end),
        "place": draft.place, "online_link": draft.online_link})
    meeting = Meeting(id=meeting_id, kind=draft.kind, title=draft.title, held_at=draft.held_at,
                      record_date=draft.record_date, voting_start=draft.voting_start,
                      voting_end=draft.voting_end, place=draft.place,
                      online_link=draft.online_link, status=MeetingStatus.DRAFT,
                      created_by=actor, created_at=clock.now(), seq=appended.seq)
    session.add(meeting)
    session.flush()
    return meeting


def _iso(instant: dt.datetime) -> str:
    return clock.as_utc(instant).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_item(session: Session, meeting_id: int, draft: ItemDraft) -> AgendaItem:
    """Adds an item to a draft meeting; its threshold comes from the AD/ART in force."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _require_status(meeting, MeetingStatus.DRAFT,
                    reason_id="acara hanya dapat ditambah sebelum RAT diumumkan",
                    reason_en="items can only be added before the meeting is announced")
    adart = adart_at(session, clock.today())
    threshold: int | None
    if draft.kind is ItemKind.ELECTION:
        threshold = None
        candidates = list(draft.candidates or [])
        if draft.office is None:
            raise InvalidItem(reason_id="pemilihan harus menyebut pengurus atau pengawas",
                              reason_en="an election must name pengurus or pengawas")
        if len(set(candidates)) != len(candidates) or not candidates:
            raise InvalidItem(reason_id="daftar calon kosong atau berulang",
                              reason_en="the candidate list is empty or repeats a member")
        if len(candidates) > MAX_CANDIDATES:
            raise InvalidItem(reason_id=f"paling banyak {MAX_CANDIDATES} calon",
                              reason_en=f"at most {MAX_CANDIDATES} candidates")
        if not draft.seats or not 1 <= draft.seats <= len(candidates):
            raise InvalidItem(reason_id="jumlah kursi harus 1 sampai jumlah calon",
                              reason_en="seats must be 1 to the number of candidates")
        for number in candidates:
            _voter(session, meeting, number)
        if draft.figures is not None:
            raise InvalidItem(reason_id="pemilihan tidak memuat angka",
                              reason_en="an election carries no figures")
    else:
        if draft.office is not None or draft.seats is not None or draft.candidates:
            raise InvalidItem(reason_id="hanya pemilihan yang memuat kursi dan calon",
                              reason_en="only an election has seats and candidates")
        threshold = (adart.rat_amendment_bps if draft.kind is ItemKind.ADART_AMENDMENT
                     else adart.rat_majority_bps)
        if (draft.figures is None) != (draft.kind is not ItemKind.SHU):
            raise InvalidItem(reason_id="angka hanya untuk, dan wajib untuk, pembagian SHU "
                                        "(dari usulan SHU tahun buku)",
                              reason_en="figures belong to, and are required for, the SHU "
                                        "split (from the fiscal year's SHU proposal)")
        candidates = []
    if draft.figures is not None:
        problem = calc.figures_problem(draft.figures)
        if problem is not None:
            raise InvalidItem(reason_id=f"angka SHU tidak sah: {problem[0]}",
                              reason_en=f"invalid SHU figures: {problem[1]}")
    position = len(items_of(session, meeting_id))
    item = AgendaItem(
        meeting_id=meeting_id, position=position, kind=draft.kind, title=draft.title,
        text=draft.text,
        figures=json.dumps(dict(draft.figures), sort_keys=True) if draft.figures else None,
        office=draft.office, seats=draft.seats if draft.kind is ItemKind.ELECTION else None,
        candidates=json.dumps(candidates) if draft.kind is ItemKind.ELECTION else None,
        threshold_bps=threshold, content_hash="")
    item.content_hash = content_hash(item_content(item))
    appended = log.append(session, "rat.acara", {
        "meeting": meeting_id, "position": position, "kind": draft.kind.value,
        "content_hash": item.content_hash})
    item.seq = appended.seq
    session.add(item)
    session.flush()
    return item


def add_shu_item(session: Session, meeting_id: int, *, fiscal_year: int,
                 title: str | None = None, text: str | None = None) -> AgendaItem:
    """The SHU agenda item of `fiscal_year`, its figures taken from the year's SHU proposal
    (`ksp.shu.service.propose`) so nobody retypes them: the content hash the members sign
    binds the proposal's figures, and the result carries them to the distribution."""
    row = closed_year(session, fiscal_year)
    if row.figures is None or row.figures_hash is None:
        raise ShuNotProposed(year=fiscal_year)
    figures: dict[str, Any] = json.loads(row.figures)
    return add_item(session, meeting_id, ItemDraft(
        ItemKind.SHU, title or f"Pembagian SHU tahun buku {fiscal_year}",
        text or (f"Pembagian SHU {format_rupiah(figures['shu'])} menurut usulan pengurus "
                 f"(hash angka {row.figures_hash}). / The SHU split as the pengurus "
                 "proposed it."),
        figures=figures))


@dataclass(frozen=True)
class Announcement:
    seq: int
    agenda_hash: str
    notices: int


def announce(session: Session, meeting_id: int, *, actor: str) -> Announcement:
    """Fixes the agenda, queues a notice to every member and the meeting to the chain."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _require_status(meeting, MeetingStatus.DRAFT, reason_id="RAT sudah diumumkan",
                    reason_en="the meeting was already announced")
    items = items_of(session, meeting_id)
    if not items:
        raise WrongMeetingState(meeting=meeting.id, status=meeting.status.value,
                                reason_id="belum ada acara", reason_en="it has no agenda items")
    today = clock.today()
    draft = MeetingDraft(meeting.kind, meeting.title, meeting.held_at, meeting.record_date,
                         meeting.voting_start, meeting.voting_end, meeting.place,
                         meeting.online_link)
    adart = adart_at(session, today)
    _check_schedule(draft, adart, today)  # the notice still fits today
    hashes = [i.content_hash for i in items]
    agenda = agenda_hash(hashes)
    members = list(session.scalars(select(Member.number).where(
        Member.status == MemberStatus.ANGGOTA).order_by(Member.number)))
    appended = log.append(session, "rat.diumumkan", {
        "meeting": meeting.id, "agenda_hash": agenda, "items": hashes,
        "notices": len(members), "by": actor})
    meeting.status = MeetingStatus.ANNOUNCED
    meeting.agenda_hash = agenda
    meeting.announced_seq = appended.seq
    held = clock.as_utc(meeting.held_at).astimezone(clock.zone())
    waktu = held.strftime("%H.%M ") + (held.tzname() or "")
    place = meeting.place + (f" / daring: {meeting.online_link}" if meeting.online_link else "")
    agenda_text = "; ".join(f"{i.position + 1}. {i.title}" for i in items)
    for number in members:
        notifications.queue(session, member_number=number, template=RAT_UNDANGAN, params={
            "judul": meeting.title, "tanggal": held.date(),
            "waktu": waktu.strip(),
            "tempat": place, "agenda": agenda_text}, dedupe_key=f"rat:{meeting.id}:{number}")
    enqueue(session, kind=OutboxKind.CREATE_MEETING, seq=appended.seq, ref=f"rat:{meeting.id}",
            data={"meeting": meeting.id, "record_date": meeting.record_date.isoformat(),
                  # The record block is the last block before this instant (the day after
                  # the record date, 00.00 in the cooperative's zone).
                  "record_before": int(dt.datetime.combine(
                      meeting.record_date + dt.timedelta(days=1), dt.time(),
                      tzinfo=clock.zone()).timestamp()),
                  "voting_start": int(clock.as_utc(meeting.voting_start).timestamp()),
                  "voting_end": int(clock.as_utc(meeting.voting_end).timestamp()),
                  "quorum_bps": adart.rat_quorum_bps,
                  "max_principals": adart.proxy_max_principals if adart.proxy_allowed else 0,
                  "agenda_hash": agenda})
    for item in items:
        shape = shape_of(item)
        enqueue(session, kind=OutboxKind.ADD_PROPOSAL, seq=appended.seq,
                ref=f"rat:{meeting.id}:item:{item.position}",
                data={"meeting": meeting.id, "position": item.position,
                      "election": shape.election, "seats": shape.seats,
                      "candidates": shape.candidates, "content_hash": item.content_hash})
    return Announcement(appended.seq, agenda, len(members))


# Proxies (surat kuasa)


def _active_proxy(session: Session, meeting_id: int, principal: int) -> Proxy | None:
    return session.scalars(select(Proxy).where(
        Proxy.meeting_id == meeting_id, Proxy.principal_number == principal,
        Proxy.revoked_at.is_(None))).first()


def _accepted_count(session: Session, meeting_id: int, proxy_number: int) -> int:
    return len(list(session.scalars(select(Proxy.id).where(
        Proxy.meeting_id == meeting_id, Proxy.proxy_number == proxy_number,
        Proxy.revoked_at.is_(None), Proxy.accepted_at.is_not(None)))))


def _open_for_proxies(meeting: Meeting) -> None:
    _require_status(meeting, MeetingStatus.ANNOUNCED,
                    reason_id="surat kuasa hanya untuk RAT yang sudah diumumkan",
                    reason_en="proxies are only for an announced meeting")
    if voting_closed(meeting, clock.now()):
        raise VotingNotOpen(meeting=meeting.id, start=_iso(meeting.voting_start),
                            end=_iso(meeting.voting_end))


def _check_signer(member: Member, signer: str) -> None:
    if member.wallet_address is None or member.wallet_address.lower() != signer.lower():
        raise SignerMismatch(signer=signer, member=member.number)


def _has_ballot(session: Session, meeting_id: int, number: int) -> bool:
    return session.scalars(select(Ballot.id).where(Ballot.meeting_id == meeting_id,
                                                   Ballot.member_number == number)).first() \
        is not None


def proxy_address(session: Session, meeting_id: int, proxy: int) -> str:
    """The wallet address a principal's `Proxy` signature names for member `proxy` (the
    address is public on chain, in the member roll). Refused as an appointment would be."""
    meeting = get_meeting(session, meeting_id)
    _open_for_proxies(meeting)
    adart = adart_at(session, clock.today())
    if not adart.proxy_allowed or adart.proxy_max_principals == 0:
        raise ProxiesNotAllowed()
    holder = _voter(session, meeting, proxy)
    if holder.wallet_address is None:
        raise InvalidProxy(reason_id=f"anggota {proxy} belum menautkan dompet",
                           reason_en=f"member {proxy} has no linked wallet")
    return holder.wallet_address


def appoint_proxy(session: Session, domain: RatDomain, meeting_id: int, *, principal: int,
                  proxy: int, signature: str) -> Proxy:
    """The principal's signed `Proxy` appointing another member, within the AD/ART limit."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _open_for_proxies(meeting)
    adart = adart_at(session, clock.today())
    if not adart.proxy_allowed or adart.proxy_max_principals == 0:
        raise ProxiesNotAllowed()
    if principal == proxy:
        raise InvalidProxy(reason_id="anggota tidak dapat menguasakan kepada dirinya sendiri",
                           reason_en="a member cannot appoint themself")
    giver = _voter(session, meeting, principal)
    holder = _voter(session, meeting, proxy)
    if holder.wallet_address is None:
        raise InvalidProxy(reason_id=f"anggota {proxy} belum menautkan dompet",
                           reason_en=f"member {proxy} has no linked wallet")
    earlier = session.scalars(select(Proxy).where(Proxy.meeting_id == meeting_id,
                                                  Proxy.principal_number == principal)).first()
    if earlier is not None:
        # A revocation is final for the meeting (the contract refuses a second appointment
        # too), so an old signed appointment can never be replayed.
        raise ProxyState(principal=principal,
                         reason_id=("sudah ada surat kuasa yang aktif" if earlier.revoked_at is None
                                    else "surat kuasa yang dicabut tidak dapat diberikan lagi"),
                         reason_en=("an active proxy exists already" if earlier.revoked_at is None
                                    else "a revoked proxy cannot be given again in this meeting"))
    if _has_ballot(session, meeting_id, principal):
        raise ProxyState(principal=principal, reason_id="anggota sudah memilih sendiri",
                         reason_en="the member has already voted themself")
    count = _accepted_count(session, meeting_id, proxy)
    if count >= adart.proxy_max_principals:
        raise ProxyLimitReached(proxy=proxy, count=count, limit=adart.proxy_max_principals)
    signer = recover(domain, "Proxy", {
        "meetingId": meeting.id, "principalNumber": principal,
        "proxy": holder.wallet_address, "agendaHash": hash32(meeting.agenda_hash or "")},
        signature)
    _check_signer(giver, signer)
    appended = log.append(session, "rat.kuasa_diberikan",
                          {"meeting": meeting.id, "principal": principal, "proxy": proxy})
    row = Proxy(meeting_id=meeting.id, principal_number=principal, proxy_number=proxy,
                proxy_address=holder.wallet_address, appointment_signature=signature,
                appointed_at=clock.now(), used=False, seq=appended.seq)
    session.add(row)
    session.flush()
    enqueue(session, kind=OutboxKind.REGISTER_PROXY, seq=appended.seq,
            ref=f"rat:{meeting.id}:proxy:{row.id}",
            data={"meeting": meeting.id, "member": principal, "proxy": holder.wallet_address,
                  "agenda_hash": meeting.agenda_hash, "signature": signature})
    return row


def accept_proxy(session: Session, domain: RatDomain, meeting_id: int, *, principal: int,
                 proxy: int, signature: str) -> Proxy:
    """The proxy's signed consent; only consented proxies count toward the limit."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _open_for_proxies(meeting)
    row = _active_proxy(session, meeting_id, principal)
    if row is None or row.proxy_number != proxy:
        raise ProxyNotFound(principal=principal, meeting=meeting_id)
    if row.accepted_at is not None:
        raise ProxyState(principal=principal, reason_id="sudah diterima",
                         reason_en="already accepted")
    adart = adart_at(session, clock.today())
    count = _accepted_count(session, meeting_id, proxy)
    if count >= adart.proxy_max_principals:
        raise ProxyLimitReached(proxy=proxy, count=count, limit=adart.proxy_max_principals)
    holder = _voter(session, meeting, proxy)
    signer = recover(domain, "ProxyAcceptance", {
        "meetingId": meeting.id, "principalNumber": principal, "proxy": row.proxy_address},
        signature)
    _check_signer(holder, signer)
    log.append(session, "rat.kuasa_diterima",
               {"meeting": meeting.id, "principal": principal, "proxy": proxy})
    row.acceptance_signature = signature
    row.accepted_at = clock.now()
    enqueue(session, kind=OutboxKind.ACCEPT_PROXY, ref=f"rat:{meeting.id}:proxy:{row.id}:accept",
            data={"meeting": meeting.id, "member": principal, "proxy": row.proxy_address,
                  "signature": signature})
    return row


def revoke_proxy(session: Session, domain: RatDomain, meeting_id: int, *, principal: int,
                 signature: str) -> Proxy:
    """The principal takes the vote back, if the proxy has not used it yet."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _open_for_proxies(meeting)
    row = _active_proxy(session, meeting_id, principal)
    if row is None:
        raise ProxyNotFound(principal=principal, meeting=meeting_id)
    if row.used:
        raise ProxyState(principal=principal, reason_id="kuasa sudah dipakai untuk memilih",
                         reason_en="the proxy has already voted with it")
    giver = _voter(session, meeting, principal)
    signer = recover(domain, "ProxyRevocation",
                     {"meetingId": meeting.id, "principalNumber": principal}, signature)
    _check_signer(giver, signer)
    log.append(session, "rat.kuasa_dicabut", {"meeting": meeting.id, "principal": principal,
                                              "proxy": row.proxy_number})
    row.revocation_signature = signature
    row.revoked_at = clock.now()
    enqueue(session, kind=OutboxKind.REVOKE_PROXY, ref=f"rat:{meeting.id}:proxy:{row.id}:revoke",
            data={"meeting": meeting.id, "member": principal, "signature": signature})
    return row


def proxies_of(session: Session, meeting_id: int, member: int) -> list[Proxy]:
    """Appointments a member gave or was given in a meeting (revoked ones included)."""
    return list(session.scalars(select(Proxy).where(
        Proxy.meeting_id == meeting_id,
        or_(Proxy.principal_number == member, Proxy.proxy_number == member))
        .order_by(Proxy.id)))


# Online ballots


def cast_ballot(session: Session, domain: RatDomain, meeting_id: int, *, position: int,
                voter: int, choice: int, content_hash_hex: str, signature: str,
                principal: int | None = None) -> Ballot:
    """A signed ballot of `voter` (for `principal` when voting by proxy): refused before
    anything is stored or relayed unless it can count. The first ballot counts; a second one
    on the same item is refused (the contract also keeps the first)."""
    meeting = get_meeting(session, meeting_id)
    _require_status(meeting, MeetingStatus.ANNOUNCED,
                    reason_id="pemungutan suara tidak dibuka", reason_en="voting is not open")
    if not voting_open(meeting, clock.now()):
        raise VotingNotOpen(meeting=meeting.id, start=_iso(meeting.voting_start),
                            end=_iso(meeting.voting_end))
    item = get_item(session, meeting_id, position)
    if content_hash_hex.lower() != item.content_hash:
        raise ContentHashMismatch(given=content_hash_hex, expected=item.content_hash,
                                  position=position)
    shape = shape_of(item)
    if not tally.valid_choice(shape, choice):
        raise InvalidChoice(
            choice=choice, position=position,
            reason_id=("bitmask calon, paling banyak " f"{shape.seats} calon" if shape.election
                       else "0 tidak setuju, 1 setuju, 2 abstain"),
            reason_en=(f"a candidate bitmask with at most {shape.seats} candidates"
                       if shape.election else "0 against, 1 for, 2 abstain"))
    whose = voter if principal is None else principal
    signer_member = _voter(session, meeting, voter)
    if principal is None:
        active = _active_proxy(session, meeting_id, voter)
        if active is not None:
            raise ProxyState(principal=voter,
                             reason_id="cabut surat kuasa dulu sebelum memilih sendiri",
                             reason_en="revoke the proxy before voting yourself")
    else:
        _voter(session, meeting, principal)
        active = _active_proxy(session, meeting_id, principal)
        if active is None or active.proxy_number != voter or active.accepted_at is None:
            raise ProxyNotFound(principal=principal, meeting=meeting_id)
    primary, message = ballot_message(meeting.id, position, item.content_hash, choice,
                                      principal)
    signer = recover(domain, primary, message, signature)
    _check_signer(signer_member, signer)
    taken = session.scalars(select(Ballot.id).where(Ballot.item_id == item.id,
                                                    Ballot.member_number == whose)).first()
    if taken is not None:
        raise AlreadyVoted(member=whose, position=position)
    ballot = Ballot(meeting_id=meeting.id, item_id=item.id, member_number=whose, cast_by=voter,
                    choice=choice, content_hash=item.content_hash, signature=signature,
                    signer_address=signer, received_at=clock.now())
    session.add(ballot)
    session.flush()
    kind = OutboxKind.CAST_BALLOT if principal is None else OutboxKind.CAST_PROXY_BALLOT
    data: dict[str, Any] = {"meeting": meeting.id, "position": position, "member": whose,
                            "choice": choice, "content_hash": item.content_hash,
                            "signature": signature}
    if principal is not None:
        data["proxy"] = voter
        active.used = True  # type: ignore[union-attr]  # checked above
    row = enqueue(session, kind=kind, ref=f"rat:{meeting.id}:{position}:{whose}", data=data)
    session.flush()
    ballot.outbox_id = row.id
    return ballot


@dataclass(frozen=True)
class BallotView:
    ballot: Ballot
    position: int
    relay: OutboxItem | None


def ballots_of(session: Session, meeting_id: int, member: int) -> list[BallotView]:
    """A member's ballots in a meeting (their own and those cast for them), with relay state."""
    rows = session.execute(
        select(Ballot, AgendaItem.position, OutboxItem)
        .join(AgendaItem, AgendaItem.id == Ballot.item_id)
        .outerjoin(OutboxItem, OutboxItem.id == Ballot.outbox_id)
        .where(Ballot.meeting_id == meeting_id,
               or_(Ballot.member_number == member, Ballot.cast_by == member))
        .order_by(AgendaItem.position, Ballot.id))
    return [BallotView(b, p, o) for b, p, o in rows]


# In the hall


def member_from_qr(payload: str) -> int:
    """The member number in the member's QR (`KSP-LINK:1:<member>:<CODE>`, as the console's
    scanner reads it)."""
    found = _QR.fullmatch(payload.strip().upper())
    if found is None:
        raise InvalidQrPayload()
    return int(found.group(1))


def record_attendance(session: Session, meeting_id: int, *, member: int, how: AttendanceHow,
                      actor: str) -> Attendance:
    meeting = get_meeting(session, meeting_id, lock=True)
    _require_status(meeting, MeetingStatus.ANNOUNCED, MeetingStatus.FINALIZING,
                    reason_id="kehadiran dicatat untuk RAT yang diumumkan dan belum diputuskan",
                    reason_en="attendance is for an announced meeting not yet decided")
    _voter(session, meeting, member)
    existing = session.scalars(select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.member_number == member)).first()
    if existing is not None:
        raise AttendanceRefused(member=member, reason_id="sudah tercatat hadir",
                                reason_en="already recorded as present")
    appended = log.append(session, "rat.hadir", {"meeting": meeting_id, "member": member,
                                                 "how": how.value})
    row = Attendance(meeting_id=meeting_id, member_number=member, how=how, recorded_by=actor,
                     recorded_at=clock.now(), seq=appended.seq)
    session.add(row)
    session.flush()
    return row


def attendance_of(session: Session, meeting_id: int) -> list[Attendance]:
    return list(session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id)
                                .order_by(Attendance.id)))


def present_numbers(session: Session, meeting_id: int) -> set[int]:
    return set(session.scalars(select(Attendance.member_number)
                               .where(Attendance.meeting_id == meeting_id)))


def _online_ballots(session: Session, item: AgendaItem) -> dict[int, int]:
    """member number -> choice of the online ballots on the item."""
    rows = session.execute(select(Ballot.member_number, Ballot.choice)
                           .where(Ballot.item_id == item.id))
    found: dict[int, int] = {}
    for number, choice in rows:
        found[number] = choice
    return found


def _check_counts(session: Session, meeting: Meeting, item: AgendaItem, ballots: int,
                  counts: Sequence[int], overridden: Sequence[int]) -> None:
    shape = shape_of(item)
    adart = adart_at(session, clock.today())
    try:
        tally.check_paper_counts(shape, ballots, counts)
        if len(set(overridden)) != len(overridden):
            raise tally.TallyError("nomor anggota berulang", "a member is listed twice")
        allowed = tally.paper_allowance(present_numbers(session, meeting.id),
                                        set(_online_ballots(session, item)), set(overridden),
                                        adart.rat_in_person_overrides_online)
    except tally.TallyError as exc:
        raise InvalidCounts(position=item.position, reason_id=exc.reason_id,
                            reason_en=exc.reason_en) from exc
    if ballots > allowed:
        raise CountsExceedAttendance(position=item.position, ballots=ballots, allowed=allowed)


def record_counts(session: Session, meeting_id: int, *, position: int, ballots: int,
                  counts: Sequence[int], overridden: Sequence[int], chair: str) -> InPersonCount:
    """The chair's count of paper votes on an item, once online voting has closed (so the
    cap "present and not voted online" is final). It counts when a pengawas co-signs."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _require_status(meeting, MeetingStatus.ANNOUNCED, MeetingStatus.FINALIZING,
                    reason_id="hitungan dicatat sebelum hasil ditetapkan",
                    reason_en="counts are recorded before the results")
    if not voting_closed(meeting, clock.now()):
        raise VotingNotClosed(meeting=meeting.id, end=_iso(meeting.voting_end))
    item = get_item(session, meeting_id, position)
    _check_counts(session, meeting, item, ballots, counts, overridden)
    row = session.scalars(select(InPersonCount).where(InPersonCount.item_id == item.id)).first()
    if row is not None and row.seq is not None:
        raise CountsState(position=position, reason_id="sudah ditandatangani pengawas",
                          reason_en="already co-signed by a pengawas")
    if row is None:
        row = InPersonCount(meeting_id=meeting_id, item_id=item.id)
        session.add(row)
    row.ballots = ballots
    row.counts = json.dumps(list(counts))
    row.overridden = json.dumps(sorted(overridden))
    row.chair = chair
    row.recorded_at = clock.now()
    session.flush()
    return row


def cosign_counts(session: Session, meeting_id: int, *, position: int,
                  pengawas: str) -> InPersonCount:
    """A pengawas other than the chair confirms the count: now it is a log entry."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _require_status(meeting, MeetingStatus.ANNOUNCED, MeetingStatus.FINALIZING,
                    reason_id="hitungan dicatat sebelum hasil ditetapkan",
                    reason_en="counts are recorded before the results")
    item = get_item(session, meeting_id, position)
    row = session.scalars(select(InPersonCount).where(InPersonCount.item_id == item.id)).first()
    if row is None:
        raise CountsState(position=position, reason_id="belum dicatat ketua rapat",
                          reason_en="not recorded by the chair yet")
    if row.seq is not None:
        raise CountsState(position=position, reason_id="sudah ditandatangani pengawas",
                          reason_en="already co-signed by a pengawas")
    if row.chair == pengawas:
        raise SameStaff(chair=row.chair)
    counts, overridden = json.loads(row.counts), json.loads(row.overridden)
    _check_counts(session, meeting, item, row.ballots, counts, overridden)
    appended = log.append(session, "rat.suara_langsung", {
        "meeting": meeting_id, "position": position, "ballots": row.ballots, "counts": counts,
        "overridden": overridden, "present": len(present_numbers(session, meeting_id)),
        "chair": row.chair, "pengawas": pengawas})
    row.cosigned_by = pengawas
    row.cosigned_at = clock.now()
    row.seq = appended.seq
    return row


# Closing and results


def request_finalize(session: Session, meeting_id: int, *, actor: str) -> int:
    """After the window closes: queues `finalize` for the chain. Returns the seq."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _require_status(meeting, MeetingStatus.ANNOUNCED, reason_id="tidak dapat ditutup lagi",
                    reason_en="it cannot be closed again")
    if not voting_closed(meeting, clock.now()):
        raise VotingNotClosed(meeting=meeting.id, end=_iso(meeting.voting_end))
    appended = log.append(session, "rat.ditutup", {"meeting": meeting_id, "by": actor})
    meeting.status = MeetingStatus.FINALIZING
    meeting.finalize_seq = appended.seq
    enqueue(session, kind=OutboxKind.FINALIZE_MEETING, seq=appended.seq,
            ref=f"rat:{meeting_id}:finalize", data={"meeting": meeting_id})
    return appended.seq


def participants_of(session: Session, meeting_id: int, basis: QuorumBasis) -> set[int]:
    present = present_numbers(session, meeting_id)
    if basis is QuorumBasis.IN_PERSON:
        return present
    online = set(session.scalars(select(Ballot.member_number)
                                 .where(Ballot.meeting_id == meeting_id)))
    return present | online


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record_results(session: Session, meeting_id: int, *,
                   online: Mapping[int, Sequence[int]] | None = None,
                   counted: Callable[[int, int], bool] | None = None,
                   actor: str) -> list[ItemResult]:
    """One log entry per item: online tally (the chain's, read after finalize; without a
    chain, `None` tallies the stored ballots), the paper ballots replacing online ones, the
    co-signed paper counts, quorum, threshold and decision. Elections then record officers.

    `counted(position, member)` says whether the chain counted a member's ballot (a ballot
    the contract skipped is in no tally, so a paper vote replaces nothing there)."""
    meeting = get_meeting(session, meeting_id, lock=True)
    _require_status(meeting, MeetingStatus.FINALIZING,
                    reason_id="hasil ditetapkan sesudah RAT ditutup",
                    reason_en="results are recorded after the meeting is closed")
    adart = adart_at(session, clock.today())
    items = items_of(session, meeting_id)
    present = present_numbers(session, meeting_id)
    paper = {row.item_id: row for row in session.scalars(
        select(InPersonCount).where(InPersonCount.meeting_id == meeting_id))}
    for item in items:
        row = paper.get(item.id)
        if (row is None and present) or (row is not None and row.seq is None):
            raise ResultsNotReady(
                meeting=meeting_id,
                reason_id=f"hitungan langsung acara no. {item.position} belum ditandatangani",
                reason_en=f"the in-person counts of item {item.position} are not co-signed")
        if online is not None and item.position not in online:
            raise ResultsNotReady(meeting=meeting_id,
                                  reason_id=f"tidak ada hitungan daring acara no. {item.position}",
                                  reason_en=f"no online tally of item {item.position}")
    eligible = len(eligible_numbers(session, meeting.record_date))
    participants = participants_of(session, meeting_id, adart.rat_quorum_basis)
    quorum = tally.quorum_reached(len(participants), eligible, adart.rat_quorum_bps)
    held_on = clock.as_utc(meeting.held_at).astimezone(clock.zone()).date()
    results: list[ItemResult] = []
    for item in items:
        shape = shape_of(item)
        ballots = _online_ballots(session, item)
        online_counts = (list(online[item.position]) if online is not None
                         else tally.counts_of(shape, ballots.values()))
        row = paper.get(item.id)
        overridden: list[int] = json.loads(row.overridden) if row else []
        replaced = tally.counts_of(shape, (
            ballots[n] for n in overridden
            if n in ballots and (counted is None or counted(item.position, n))))
        paper_counts: list[int] = json.loads(row.counts) if row else [0] * shape.size
        try:
            total = tally.combine(online_counts, replaced, paper_counts)
        except tally.TallyError as exc:
            raise ResultsNotReady(meeting=meeting_id, reason_id=exc.reason_id,
                                  reason_en=exc.reason_en) from exc
        data: dict[str, Any] = {
            "meeting": meeting_id, "position": item.position, "kind": item.kind.value,
            "content_hash": item.content_hash, "online": online_counts, "replaced": replaced,
            "in_person": paper_counts, "total": total, "eligible": eligible,
            "participants": len(participants), "quorum_bps": adart.rat_quorum_bps,
            "quorum_reached": quorum}
        if item.kind is ItemKind.SHU and item.figures is not None:
            # What the SHU distribution follows (ksp.shu.gate): the year, the figures the
            # members voted on and the proposal hash they carry.
            figures = json.loads(item.figures)
            data["fiscal_year"] = figures["fiscal_year"]
            data["figures"] = figures
            data["figures_hash"] = calc.figures_hash(figures)
        elected: list[int] = []
        if not quorum:
            decision = tally.TIDAK_KUORUM
        elif shape.election:
            candidates = candidates_of(item)
            outcome = tally.elect(total[:-1], shape.seats)
            elected = [candidates[i] for i in outcome.elected]
            data["elected"] = elected
            data["tied"] = [candidates[i] for i in outcome.tied]
            decision = tally.SERI if outcome.tied else tally.TERPILIH
        else:
            threshold = item.threshold_bps or 0
            base = (len(participants) if item.kind is ItemKind.ADART_AMENDMENT
                    and adart.rat_amendment_basis is AmendmentBasis.PRESENT
                    else total[tally.AGAINST] + total[tally.FOR])
            data["threshold_bps"] = threshold
            data["base"] = base
            passed = tally.motion_passes(total[tally.FOR], base, threshold)
            decision = tally.DITERIMA if passed else tally.DITOLAK
        data["decision"] = decision
        appended = log.append(session, "rat.hasil", data)
        result = ItemResult(meeting_id=meeting_id, item_id=item.id, decision=decision,
                            data=json.dumps(data, sort_keys=True), seq=appended.seq)
        session.add(result)
        results.append(result)
        if decision == tally.TERPILIH and item.office is not None:
            term_to = _years_later(held_on, adart.pengurus_term_years) - dt.timedelta(days=1)
            chosen = log.append(session, "rat.pejabat_terpilih", {
                "meeting": meeting_id, "position": item.position, "role": item.office.value,
                "members": elected, "from": held_on.isoformat(), "to": term_to.isoformat()})
            for number in elected:
                session.add(Officer(meeting_id=meeting_id, member_number=number,
                                    role=item.office, term_from=held_on, term_to=term_to,
                                    seq=chosen.seq))
    log.append(session, "rat.diputuskan", {"meeting": meeting_id, "by": actor,
                                           "results": [r.seq for r in results]})
    meeting.status = MeetingStatus.DECIDED
    session.flush()
    return results


def results_of(session: Session, meeting_id: int) -> list[tuple[AgendaItem, ItemResult]]:
    rows = session.execute(select(AgendaItem, ItemResult)
                           .join(ItemResult, ItemResult.item_id == AgendaItem.id)
                           .where(AgendaItem.meeting_id == meeting_id)
                           .order_by(AgendaItem.position))
    return [(i, r) for i, r in rows]


def officers_of(session: Session, meeting_id: int) -> list[Officer]:
    return list(session.scalars(select(Officer).where(Officer.meeting_id == meeting_id)
                                .order_by(Officer.role, Officer.id)))


def invitation_html(session: Session, meeting_id: int, coop_name: str) -> str:
    """The printable invitation (Bahasa Indonesia with English), with every item's hash."""
    from ksp.core.tanggal import format_tanggal
    from ksp.printing.render import render_html

    meeting = get_meeting(session, meeting_id)
    zone = clock.zone()
    held = clock.as_utc(meeting.held_at).astimezone(zone)

    def moment(instant: dt.datetime) -> str:
        local = clock.as_utc(instant).astimezone(zone)
        return f"{format_tanggal(local.date())} {local.strftime('%H.%M')} {local.tzname() or ''}"

    items = [{"title": i.title, "text": i.text, "content_hash": i.content_hash,
              "seats": i.seats,
              "candidates": candidates_of(i) if i.kind is ItemKind.ELECTION else None}
             for i in items_of(session, meeting_id)]
    return render_html("rat-undangan.html", m=meeting, coop_name=coop_name, items=items,
                       tanggal=format_tanggal(held.date(), with_weekday=True),
                       waktu=f"{held.strftime('%H.%M')} {held.tzname() or ''}",
                       buka=moment(meeting.voting_start), tutup=moment(meeting.voting_end),
                       record=format_tanggal(meeting.record_date))
