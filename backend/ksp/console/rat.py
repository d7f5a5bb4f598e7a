"""RAT in the console: the pengurus creates a meeting (the AD/ART notice period shown and
enforced), adds the agenda and announces it; in the hall the secretary records attendance
(member number typed or the member's QR scanned), the chair records each item's paper count
and a pengawas co-signs it (the pengawas' one write here); after the window the pengurus
closes the meeting and records the results from the chain. Every step is the service's
(ksp.rat.service), under the form's idempotency key, as in the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ksp.auth.models import Role
from ksp.auth.service import Principal
from ksp.console import session as web
from ksp.console.common import (
    INT64_MAX,
    Errors,
    Form,
    check_post,
    factory,
    member_number,
    new_key,
    page,
    refused,
    settings_of,
    to_login,
    writer_for,
)
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.errors import InvalidInput, KspError
from ksp.core.money import format_rupiah
from ksp.rat import service
from ksp.rat.errors import WrongMeetingState
from ksp.rat.minutes import DECISION_WORDS, KIND_WORDS, YES_NO_LABELS, percent
from ksp.rat.models import AttendanceHow, ItemKind, MeetingKind, MeetingStatus, Office

router = APIRouter()
STATUS_WORDS = {MeetingStatus.DRAFT: ("Draf", "Draft"),
                MeetingStatus.ANNOUNCED: ("Diumumkan", "Announced"),
                MeetingStatus.FINALIZING: ("Ditutup, menunggu hasil", "Closed, awaiting results"),
                MeetingStatus.DECIDED: ("Diputuskan", "Decided")}
DONE = {"dibuat": ("RAT dibuat.", "Meeting created."),
        "acara": ("Acara ditambahkan.", "Item added."),
        "diumumkan": ("RAT diumumkan: undangan dikirim ke setiap anggota.",
                      "Meeting announced: a notice goes to every member."),
        "hadir": ("Kehadiran dicatat.", "Attendance recorded."),
        "hitungan": ("Hitungan dicatat; menunggu tanda tangan pengawas.",
                     "Count recorded; waiting for a pengawas to co-sign."),
        "ditandatangani": ("Hitungan ditandatangani pengawas dan dicatat di log.",
                           "Count co-signed by a pengawas and recorded in the log."),
        "ditutup": ("RAT ditutup: finalize diantrekan ke rantai.",
                    "Meeting closed: finalize is queued for the chain."),
        "hasil": ("Hasil ditetapkan dan dicatat di log.", "Results recorded in the log.")}
_MAX_TEXT = 4000


def _local_text(instant: dt.datetime) -> str:
    local = clock.as_utc(instant).astimezone(clock.zone())
    return f"{local.strftime('%Y-%m-%d %H.%M')} {local.tzname() or ''}".strip()


def _no_meeting(request: Request, who: Principal, meeting_id: int) -> Response:
    return refused(request, who, f"RAT {meeting_id} tidak ditemukan.",
                   f"Meeting {meeting_id} not found.", 404)


# The list and the new meeting


def _list_page(request: Request, who: Principal, status: int = 200,
               values: dict[str, str] | None = None, errors: Errors | None = None,
               key: str | None = None) -> Response:
    with factory(request)() as session:
        meetings = service.list_meetings(session)
        adart = adart_at(session, clock.today())
    return page(request, "rat.html", who, status, meetings=meetings, status_words=STATUS_WORDS,
                held={m.id: _local_text(m.held_at) for m in meetings},
                notice_days=adart.rat_notice_days, quorum=percent(adart.rat_quorum_bps),
                values=values or {}, errors=errors or {}, key=key or new_key(),
                may_manage=who.role is Role.PENGURUS)


@router.get("/rat")
def meetings(request: Request) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return _list_page(request, who)


def _local(text: str, field: str) -> dt.datetime:
    """A datetime-local value, read in the cooperative's time zone."""
    try:
        naive = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field=field, reason_id="bukan tanggal dan jam",
                           reason_en="not a date and time") from None
    if naive.tzinfo is not None:
        raise InvalidInput(field=field, reason_id="bukan tanggal dan jam",
                           reason_en="not a date and time")
    return naive.replace(tzinfo=clock.zone()).astimezone(dt.UTC)


def _text(form: dict[str, str], name: str, limit: int = 200, required: bool = True) -> str:
    value = form.get(name, "").strip()
    if (required and not value) or len(value) > limit or any(
            ord(c) < 32 and c not in "\r\n\t" for c in value):
        raise InvalidInput(field=name, reason_id=f"wajib diisi, paling banyak {limit} karakter",
                           reason_en=f"required, at most {limit} characters")
    return value


def _error_of(exc: KspError) -> Errors:
    field = exc.details.get("field") if isinstance(exc, InvalidInput) else None
    return {str(field) if field else "_form": (exc.render_id(), exc.render_en())}


@router.post("/rat")
def create(request: Request, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    values = {k: form.get(k, "")[:_MAX_TEXT] for k in (
        "jenis", "judul", "held_at", "record_date", "voting_start", "voting_end", "tempat",
        "tautan")}
    key = form.get("kunci", "")
    if who.role is not Role.PENGURUS:
        return refused(request, who, "Hanya pengurus yang membuat RAT.",
                       "Only a pengurus creates a meeting.")
    writer = writer_for(request, who, key)
    if writer is None:
        return _list_page(request, who, 422, values, {"_form": (
            "Formulir tidak lengkap; kirim lagi.", "The form is incomplete; submit again.")})
    try:
        try:
            record = dt.date.fromisoformat(values["record_date"].strip())
        except ValueError:
            raise InvalidInput(field="record_date", reason_id="bukan tanggal",
                               reason_en="not a date") from None
        kind = (MeetingKind.EXTRAORDINARY if values["jenis"] == MeetingKind.EXTRAORDINARY.value
                else MeetingKind.ANNUAL)
        draft = service.MeetingDraft(
            kind=kind, title=_text(values, "judul"),
            held_at=_local(values["held_at"], "held_at"), record_date=record,
            voting_start=_local(values["voting_start"], "voting_start"),
            voting_end=_local(values["voting_end"], "voting_end"),
            place=_text(values, "tempat"),
            online_link=_text(values, "tautan", 300, required=False) or None)

        def act(session: Session) -> tuple[int, Any, int]:
            meeting = service.create_meeting(session, draft, actor=who.actor)
            return 201, {"id": meeting.id}, meeting.seq

        done = writer.run({"form": "rat", **values}, act)
    except KspError as exc:
        return _list_page(request, who, exc.status, values, _error_of(exc), key)
    return RedirectResponse(f"/staff/rat/{done['id']}?ok=dibuat", status_code=303)


# One meeting


def _item_view(item: Any, names: dict[int, str]) -> dict[str, Any]:
    candidates = service.candidates_of(item) if item.kind is ItemKind.ELECTION else []
    labels = ([f"{n} {names.get(n, '')}".strip() for n in candidates] + ["Kosong / blank"]
              if candidates else list(YES_NO_LABELS))
    figures = json.loads(item.figures) if item.figures else {}
    return {"position": item.position, "title": item.title, "text": item.text,
            "kind": KIND_WORDS[item.kind], "content_hash": item.content_hash,
            "seats": item.seats, "office": item.office.value if item.office else None,
            "labels": labels, "figures": shu_lines(figures),
            "threshold": percent(item.threshold_bps) if item.threshold_bps else None}


def shu_lines(figures: dict[str, Any]) -> dict[str, str]:
    """An SHU item's figures (the proposal's, ksp.shu.calc) as the lines people read: the
    SHU, each pool with its percentage and rupiah, and how members are paid."""
    if not figures:
        return {}
    lines = {"SHU": format_rupiah(int(figures["shu"]))}
    split, amounts = figures.get("split", {}), figures.get("amounts", {})
    for pool, bps in split.items():
        lines[pool.replace("_", " ")] = f"{percent(int(bps))} · {format_rupiah(int(amounts[pool]))}"
    lines["dibayar / paid as"] = str(figures.get("settlement", ""))
    return lines


def _meeting_page(request: Request, who: Principal, meeting_id: int, status: int = 200,
                  errors: Errors | None = None, ok: str | None = None,
                  values: dict[str, str] | None = None) -> Response:
    from sqlalchemy import select

    from ksp.members.models import Member
    from ksp.rat.models import InPersonCount

    if not 1 <= meeting_id <= INT64_MAX:
        return _no_meeting(request, who, meeting_id)
    with factory(request)() as session:
        try:
            meeting = service.get_meeting(session, meeting_id)
        except KspError:
            return _no_meeting(request, who, meeting_id)
        names: dict[int, str] = dict(session.execute(select(Member.number, Member.name)).all())
        items = [_item_view(i, names) for i in service.items_of(session, meeting_id)]
        attendance = [{"member": a.member_number, "name": names.get(a.member_number, ""),
                       "how": a.how.value, "seq": a.seq}
                      for a in reversed(service.attendance_of(session, meeting_id))]
        counts = {row.item_id: row for row in session.scalars(select(InPersonCount).where(
            InPersonCount.meeting_id == meeting_id))}
        by_position: dict[int, dict[str, Any]] = {}
        for item in service.items_of(session, meeting_id):
            found = counts.get(item.id)
            if found is not None:
                by_position[item.position] = {
                    "ballots": found.ballots, "counts": json.loads(found.counts),
                    "overridden": json.loads(found.overridden), "chair": found.chair,
                    "cosigned_by": found.cosigned_by, "seq": found.seq}
        results = [{"position": i.position, "title": i.title, "decision": DECISION_WORDS.get(
            r.decision, r.decision), "data": json.loads(r.data), "seq": r.seq}
            for i, r in service.results_of(session, meeting_id)]
        officers = [{"member": o.member_number, "name": names.get(o.member_number, ""),
                     "role": o.role.value, "from": o.term_from, "to": o.term_to}
                    for o in service.officers_of(session, meeting_id)]
    now = clock.now()
    return page(request, "rat_rapat.html", who, status, m=meeting, items=items,
                attendance=attendance, counts=by_position, results=results, officers=officers,
                status_words=STATUS_WORDS, errors=errors or {}, values=values or {},
                notice=DONE.get(ok or ""), key=new_key(), S=MeetingStatus,
                voting_open=service.voting_open(meeting, now),
                voting_closed=service.voting_closed(meeting, now),
                is_pengurus=who.role is Role.PENGURUS, is_pengawas=who.role is Role.PENGAWAS,
                opens=_local_text(meeting.voting_start), closes=_local_text(meeting.voting_end))


@router.get("/rat/{meeting_id}")
def meeting_page(request: Request, meeting_id: int, ok: str | None = None) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return _meeting_page(request, who, meeting_id, ok=ok)


def _pdf(request: Request, meeting_id: int, minutes: bool) -> Response:
    from ksp.printing.render import html_to_pdf
    from ksp.rat.minutes import minutes_html
    from ksp.rat.routes import rat_voting_address

    who = web.principal(request)
    if who is None:
        return to_login()
    if not 1 <= meeting_id <= INT64_MAX:
        return _no_meeting(request, who, meeting_id)
    settings = settings_of(request)
    try:
        with factory(request)() as session:
            html = (minutes_html(session, meeting_id, settings.coop_name,
                                 rat_voting_address(settings)) if minutes
                    else service.invitation_html(session, meeting_id, settings.coop_name))
    except KspError as exc:
        return refused(request, who, exc.render_id(), exc.render_en(), exc.status)
    name = "risalah" if minutes else "undangan"
    return Response(html_to_pdf(html), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}-rat-{meeting_id}.pdf"',
        "Cache-Control": "no-store"})


@router.get("/rat/{meeting_id}/undangan.pdf")
def invitation_pdf(request: Request, meeting_id: int) -> Response:
    return _pdf(request, meeting_id, minutes=False)


@router.get("/rat/{meeting_id}/risalah.pdf")
def minutes_pdf(request: Request, meeting_id: int) -> Response:
    return _pdf(request, meeting_id, minutes=True)


Act = Callable[[Session, Principal], tuple[int, Any, int | None]]


def _write(request: Request, form: dict[str, str], meeting_id: int, body: dict[str, Any],
           act: Act, done: str, *, roles: tuple[Role, ...],
           values: dict[str, str] | None = None) -> Response:
    """A RAT step from a form: signed in, CSRF, the roles allowed, the form's key; the
    refusal is shown on the meeting's page."""
    checked = check_post(request, form, write=Role.PENGAWAS not in roles)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    if who.role not in roles:
        return refused(request, who, "Peran Anda tidak boleh melakukan langkah ini.",
                       "Your role may not take this step.")
    if not 1 <= meeting_id <= INT64_MAX:
        return _no_meeting(request, who, meeting_id)
    writer = writer_for(request, who, form.get("kunci", ""))
    if writer is None:
        return _meeting_page(request, who, meeting_id, 422, {"_form": (
            "Formulir tidak lengkap; kirim lagi.", "The form is incomplete; submit again.")})
    try:
        writer.run({"meeting": meeting_id, **body}, lambda s: act(s, who))
    except KspError as exc:
        return _meeting_page(request, who, meeting_id, exc.status, _error_of(exc),
                             values=values)
    return RedirectResponse(f"/staff/rat/{meeting_id}?ok={done}", status_code=303)


def _fiscal_year(text: str) -> int:
    """The SHU item names the closed fiscal year whose proposal it carries."""
    year = text.strip()
    if not (year.isdigit() and len(year) == 4):
        raise InvalidInput(field="fiscal_year", reason_id="tulis tahun buku, mis. 2025",
                           reason_en="write the fiscal year, e.g. 2025")
    return int(year)


def _numbers(text: str, field: str) -> list[int]:
    found = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        number = member_number(part)
        if number is None:
            raise InvalidInput(field=field, reason_id=f"{part.strip()!r} bukan nomor anggota",
                               reason_en=f"{part.strip()!r} is not a member number")
        found.append(number)
    return found


@router.post("/rat/{meeting_id}/acara")
def add_item(request: Request, meeting_id: int, form: Form) -> Response:
    values = {k: form.get(k, "")[:_MAX_TEXT] for k in (
        "kind", "title", "text", "fiscal_year", "office", "seats", "candidates")}

    def act(session: Session, _who: Principal) -> tuple[int, Any, int | None]:
        try:
            kind = ItemKind(values["kind"])
        except ValueError:
            raise InvalidInput(field="kind", reason_id="jenis acara tidak dikenal",
                               reason_en="unknown item kind") from None
        if kind is ItemKind.SHU:  # the figures come from the year's proposal, never typed
            item = service.add_shu_item(session, meeting_id,
                                        fiscal_year=_fiscal_year(values["fiscal_year"]),
                                        title=values["title"].strip() or None,
                                        text=values["text"].strip() or None)
            return 201, {"position": item.position}, item.seq
        election = kind is ItemKind.ELECTION
        seats = values["seats"].strip()
        draft = service.ItemDraft(
            kind=kind, title=_text(values, "title"), text=_text(values, "text", _MAX_TEXT),
            office=Office(values["office"]) if election and values["office"] in (
                "pengurus", "pengawas") else None,
            seats=int(seats) if election and seats.isdigit() and len(seats) < 4 else None,
            candidates=_numbers(values["candidates"], "candidates") if election else None)
        item = service.add_item(session, meeting_id, draft)
        return 201, {"position": item.position}, item.seq

    return _write(request, form, meeting_id, {"form": "acara", **values}, act, "acara",
                  roles=(Role.PENGURUS,), values=values)


@router.post("/rat/{meeting_id}/umumkan")
def announce(request: Request, meeting_id: int, form: Form) -> Response:
    def act(session: Session, who: Principal) -> tuple[int, Any, int | None]:
        done = service.announce(session, meeting_id, actor=who.actor)
        return 200, {"seq": done.seq}, done.seq

    return _write(request, form, meeting_id, {"form": "umumkan"}, act, "diumumkan",
                  roles=(Role.PENGURUS,))


@router.post("/rat/{meeting_id}/hadir")
def attend(request: Request, meeting_id: int, form: Form) -> Response:
    typed = form.get("code", "")[:80].strip()

    def act(session: Session, who: Principal) -> tuple[int, Any, int | None]:
        number = member_number(typed)
        if number is not None:
            how = AttendanceHow.IN_PERSON
        elif typed.upper().startswith("KSP-LINK:"):
            number, how = service.member_from_qr(typed), AttendanceHow.QR
        else:
            raise InvalidInput(field="code", reason_id="ketik nomor anggota atau pindai QR "
                               "anggota", reason_en="type the member number or scan the "
                               "member's QR")
        row = service.record_attendance(session, meeting_id, member=number, how=how,
                                        actor=who.actor)
        return 201, {"member": number}, row.seq

    return _write(request, form, meeting_id, {"form": "hadir", "code": typed}, act, "hadir",
                  roles=(Role.SUPER_ADMIN, Role.ADMIN, Role.PENGURUS), values={"code": typed})


def _count(text: str, field: str) -> int:
    text = text.strip() or "0"
    if not text.isdigit() or len(text) > 6:
        raise InvalidInput(field=field, reason_id="harus bilangan bulat 0 atau lebih",
                           reason_en="must be a whole number, 0 or more")
    return int(text)


@router.post("/rat/{meeting_id}/acara/{position}/langsung")
def record_counts(request: Request, meeting_id: int, position: int, form: Form) -> Response:
    fields = {k: v[:80] for k, v in form.items()
              if re.fullmatch(r"c[0-9]{1,2}", k) or k in ("ballots", "overridden")}

    def act(session: Session, who: Principal) -> tuple[int, Any, int | None]:
        item = service.get_item(session, meeting_id, position)
        size = service.shape_of(item).size
        counts = [_count(fields.get(f"c{i}", ""), f"c{i}") for i in range(size)]
        ballots = (sum(counts) if not service.shape_of(item).election
                   else _count(fields.get("ballots", ""), "ballots"))
        row = service.record_counts(session, meeting_id, position=position, ballots=ballots,
                                    counts=counts,
                                    overridden=_numbers(fields.get("overridden", ""),
                                                        "overridden"),
                                    chair=who.actor)
        return 200, {"ballots": row.ballots}, None

    if not 0 <= position <= 255:
        position = 256  # the service names the missing item
    return _write(request, form, meeting_id, {"form": "langsung", "position": position,
                                              **fields}, act, "hitungan",
                  roles=(Role.PENGURUS,))


@router.post("/rat/{meeting_id}/acara/{position}/tandatangan")
def cosign(request: Request, meeting_id: int, position: int, form: Form) -> Response:
    """The pengawas' one write in the console: co-signing a paper count."""
    def act(session: Session, who: Principal) -> tuple[int, Any, int | None]:
        row = service.cosign_counts(session, meeting_id, position=position, pengawas=who.actor)
        return 200, {"seq": row.seq}, row.seq

    if not 0 <= position <= 255:
        position = 256
    return _write(request, form, meeting_id, {"form": "tandatangan", "position": position},
                  act, "ditandatangani", roles=(Role.PENGAWAS,))


@router.post("/rat/{meeting_id}/tutup")
def close(request: Request, meeting_id: int, form: Form) -> Response:
    def act(session: Session, who: Principal) -> tuple[int, Any, int | None]:
        seq = service.request_finalize(session, meeting_id, actor=who.actor)
        return 200, {"seq": seq}, seq

    return _write(request, form, meeting_id, {"form": "tutup"}, act, "ditutup",
                  roles=(Role.PENGURUS,))


@router.post("/rat/{meeting_id}/hasil")
def results(request: Request, meeting_id: int, form: Form) -> Response:
    from ksp.rat.routes import chain_results

    def act(session: Session, who: Principal) -> tuple[int, Any, int | None]:
        meeting = service.get_meeting(session, meeting_id)
        if meeting.status is not MeetingStatus.FINALIZING:  # before asking the chain
            raise WrongMeetingState(meeting=meeting_id, status=meeting.status.value,
                                    reason_id="hasil ditetapkan sesudah RAT ditutup",
                                    reason_en="results are recorded after the meeting is closed")
        rows = chain_results(request, session, meeting_id, who.actor)
        return 200, {"results": len(rows)}, rows[-1].seq

    return _write(request, form, meeting_id, {"form": "hasil"}, act, "hasil",
                  roles=(Role.PENGURUS,))

