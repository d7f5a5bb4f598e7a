"""Koreksi: a reversal proposed by one staff member (from a statement line of the
member's profile) and approved or rejected by a different pengurus. The console calls
ksp.corrections.service, which writes the log entries; the Writer adds the audit row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.accounting.products import JENIS_OF_ACCOUNT
from ksp.api.types import clean_text
from ksp.auth.service import APPROVE, Principal
from ksp.console import session as web
from ksp.console.common import (
    INT64_MAX,
    Errors,
    Form,
    check_post,
    error_at,
    factory,
    member_number,
    new_key,
    page,
    refused,
    to_login,
    writer_for,
)
from ksp.core.errors import IdempotencyKeyReused, KspError
from ksp.corrections import service
from ksp.corrections.errors import (
    CorrectionNotAllowed,
    CorrectionPending,
    EntryNotFound,
    ReversalMakesBalanceNegative,
)
from ksp.corrections.models import CorrectionRequest, CorrectionStatus
from ksp.ledger.errors import AlreadyReversed
from ksp.ledger.models import JournalEntry, Side
from ksp.members.models import Member

router = APIRouter()
REASON_MAX = 200
# Errors about the entry chosen are shown next to its seq.
ABOUT_SEQ = (EntryNotFound, AlreadyReversed, CorrectionPending, CorrectionNotAllowed,
             ReversalMakesBalanceNegative)
STATUS = {CorrectionStatus.MENUNGGU: ("Menunggu", "Pending"),
          CorrectionStatus.DISETUJUI: ("Disetujui", "Approved"),
          CorrectionStatus.DITOLAK: ("Ditolak", "Rejected")}


@dataclass(frozen=True)
class Line:
    member: int | None
    name: str | None
    jenis: str | None  # a savings jenis, else the account code
    arah: str  # setor (credit to savings) or tarik
    amount: int


@dataclass(frozen=True)
class Facts:
    """What a journal entry was, in the words of a statement line."""

    seq: int
    date: Any
    kind: str
    memo: str
    lines: list[Line]


def facts(session: Session, seqs: list[int]) -> dict[int, Facts]:
    entries = session.scalars(select(JournalEntry).where(JournalEntry.seq.in_(seqs))).all()
    numbers = {ln.member_number for e in entries for ln in e.lines if ln.member_number}
    names: dict[int, str] = dict(session.execute(
        select(Member.number, Member.name).where(Member.number.in_(numbers))).all())
    found = {}
    for e in entries:
        lines = []
        for ln in e.lines:
            jenis = JENIS_OF_ACCOUNT.get(ln.account_code)
            if ln.member_number is None or jenis is None:
                continue  # the cash side: the member line says it all
            lines.append(Line(ln.member_number, names.get(ln.member_number), jenis.value,
                              "setor" if ln.side == Side.CREDIT else "tarik", ln.amount))
        if not lines:  # not a savings movement: show every line by account
            lines = [Line(ln.member_number, names.get(ln.member_number or 0), ln.account_code,
                          "kredit" if ln.side == Side.CREDIT else "debit", ln.amount)
                     for ln in e.lines]
        found[e.seq] = Facts(e.seq, e.entry_date, e.kind, e.memo, lines)
    return found


def _parse_seq(text: str, errors: Errors) -> int | None:
    seq = member_number(text)  # the same bounds: a positive 64-bit integer
    if seq is None:
        errors["seq"] = ("Seq entri harus angka.", "The entry seq must be a number.")
    return seq


def _reason(text: str, field: str, errors: Errors) -> str:
    try:
        reason = clean_text(text)
    except ValueError:
        errors[field] = ("Alasan wajib diisi (tanpa karakter tersembunyi).",
                         "A reason is required (no hidden characters).")
        return ""
    if len(reason) > REASON_MAX:
        errors[field] = (f"Alasan paling panjang {REASON_MAX} karakter.",
                         f"The reason may be at most {REASON_MAX} characters.")
    return reason


def _errors_of(exc: KspError, field: str) -> Errors:
    message = (exc.render_id(), exc.render_en())
    return {field: message} if isinstance(exc, ABOUT_SEQ) else error_at(exc)


# --- the list, with approve and reject -------------------------------------------------


def _list_page(request: Request, who: Principal, status: int = 200,
               errors: dict[int, Errors] | None = None, done: int | None = None,
               show: str = "", proposed: int | None = None) -> Response:
    wanted = next((s for s in CorrectionStatus if s.value == show), None)
    with factory(request)() as session:
        rows = service.listing(session, status=wanted, limit=200, offset=0)
        entries = facts(session, [c.entry_seq for c in rows])
    decided = next((c for c in rows if c.id == done), None)
    return page(request, "koreksi.html", who, status, rows=rows, entries=entries,
                errors=errors or {}, decided=decided, proposed=proposed,
                show=wanted.value if wanted else "",
                may_decide=who.role in APPROVE, fresh=new_key, status_nama_k=STATUS)


@router.get("/koreksi")
def corrections(request: Request, status: str = "", selesai: str = "",
                baru: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return _list_page(request, who, done=member_number(selesai), show=status[:16],
                      proposed=member_number(baru))


def _decide(request: Request, form: dict[str, str], correction_id: int,
            decision: str) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    if not 1 <= correction_id <= INT64_MAX:
        return refused(request, who, "Usulan koreksi tidak ditemukan.",
                       "Correction proposal not found.", 404)
    if who.role not in APPROVE:
        return refused(request, who, "Hanya pengurus yang dapat memutuskan koreksi.",
                       "Only a pengurus can decide a correction.")
    errors: Errors = {}
    reason = _reason(form.get("alasan", "")[:400], "alasan", errors) \
        if decision == "reject" else ""
    writer = writer_for(request, who, form.get("kunci", ""))
    if writer is None:
        errors["_form"] = ("Formulir tidak lengkap; coba lagi.",
                           "The form is incomplete; try again.")
    if errors:
        return _list_page(request, who, 422, {correction_id: errors})

    def act(session: Session) -> tuple[int, Any, int]:
        if decision == "approve":
            d = service.approve(session, correction_id=correction_id, actor=who.actor,
                                role=who.role.value)
        else:
            d = service.reject(session, correction_id=correction_id, actor=who.actor,
                               role=who.role.value, reason=reason)
        return 200, {"id": d.correction.id, "status": d.correction.status.value,
                     "decision_seq": d.seq}, d.seq

    body: dict[str, Any] = {"correction": correction_id, "decision": decision}
    if reason:
        body["alasan"] = reason
    try:
        assert writer is not None
        writer.run(body, act)
    except KspError as exc:
        return _list_page(request, who, exc.status, {correction_id: {
            "_form": (exc.render_id(), exc.render_en())}})
    return RedirectResponse(f"/staff/koreksi?selesai={correction_id}", status_code=303)


@router.post("/koreksi/{correction_id}/setujui")
def approve(request: Request, correction_id: int, form: Form) -> Response:
    return _decide(request, form, correction_id, "approve")


@router.post("/koreksi/{correction_id}/tolak")
def reject(request: Request, correction_id: int, form: Form) -> Response:
    return _decide(request, form, correction_id, "reject")


# --- proposing ---------------------------------------------------------------------------


def _proposal_page(request: Request, who: Principal, status: int, values: dict[str, str],
                   errors: Errors, key: str | None = None) -> Response:
    entry = None
    seq = member_number(values.get("seq", ""))
    if seq is not None and "seq" not in errors:
        with factory(request)() as session:
            entry = facts(session, [seq]).get(seq)
        if entry is None and values.get("seq"):
            errors = errors | {"seq": (EntryNotFound(seq=seq).render_id(),
                                       EntryNotFound(seq=seq).render_en())}
            status = 404 if status == 200 else status
    return page(request, "koreksi_usul.html", who, status, values=values, errors=errors,
                entry=entry, key=key or new_key())


@router.get("/koreksi/usul")
def proposal_form(request: Request, seq: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    errors: Errors = {}
    if seq:
        _parse_seq(seq[:20], errors)
    return _proposal_page(request, who, 422 if errors else 200,
                          {"seq": seq[:20], "alasan": ""}, errors)


@router.post("/koreksi/usul")
def propose(request: Request, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    values = {"seq": form.get("seq", "")[:20], "alasan": form.get("alasan", "")[:400]}
    key = form.get("kunci", "")
    errors: Errors = {}
    seq = _parse_seq(values["seq"], errors)
    reason = _reason(values["alasan"], "alasan", errors)
    writer = writer_for(request, who, key)
    if writer is None and not errors:
        errors["_form"] = ("Formulir tidak lengkap; kirim lagi.",
                           "The form is incomplete; submit again.")
    if errors or seq is None or writer is None:
        return _proposal_page(request, who, 422, values, errors, key if writer else None)

    def act(session: Session) -> tuple[int, Any, int]:
        c: CorrectionRequest = service.propose(session, seq=seq, reason=reason,
                                               actor=who.actor, role=who.role.value)
        return 201, {"id": c.id, "seq": c.entry_seq, "proposal_seq": c.proposal_seq}, \
            c.proposal_seq

    try:
        result = writer.run({"seq": seq, "alasan": reason}, act)
    except KspError as exc:
        fresh = isinstance(exc, IdempotencyKeyReused)
        return _proposal_page(request, who, exc.status, values, _errors_of(exc, "seq"),
                              None if fresh else key)
    return RedirectResponse(f"/staff/koreksi?status=menunggu&baru={result['id']}",
                            status_code=303)
