"""Pinjaman: the loan officer applies on a member's behalf and proposes, a pengurus who is not
the proposer approves or refuses (a related-party loan also needs the pengawas), the terms
PDF, the disbursement once the member's acceptance is on chain, and a repayment at the teller
with a confirm step showing the allocation. The console calls ksp.loans.service inside the
Writer (idempotent by the form key); the service decides every rule (docs/LOAN_PROCESS.md)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.api.types import clean_text
from ksp.auth.models import Role
from ksp.auth.service import APPROVE, Principal
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
from ksp.core import clock
from ksp.core.errors import IdempotencyKeyReused, KspError
from ksp.core.money import AmountNotUnderstood, parse_rupiah
from ksp.loans import service
from ksp.loans.allocation import Due, allocate
from ksp.loans.errors import UnknownLoan
from ksp.loans.models import Loan, LoanRepayment, LoanStatus
from ksp.loans.schedule import METHOD_LABEL, Method
from ksp.printing import pdfs

router = APIRouter()
NOTE_MAX = 200
STATUS_NAMA = {
    LoanStatus.DIAJUKAN: ("Diajukan", "Applied"),
    LoanStatus.DIUSULKAN: ("Diusulkan, menunggu persetujuan", "Proposed, waiting for approval"),
    LoanStatus.DITOLAK: ("Ditolak", "Refused"),
    LoanStatus.DISETUJUI: ("Disetujui, menunggu tanda tangan anggota",
                           "Approved, waiting for the member's signature"),
    LoanStatus.DITERIMA: ("Diterima anggota, menunggu pencairan",
                          "Accepted by the member, waiting for disbursement"),
    LoanStatus.AKTIF: ("Aktif", "Active"),
    LoanStatus.LUNAS: ("Lunas", "Repaid"),
    LoanStatus.MACET: ("Macet", "Defaulted"),
    LoanStatus.DIHAPUSBUKUKAN: ("Dihapusbukukan", "Written off"),
    LoanStatus.DIBATALKAN: ("Dibatalkan", "Cancelled"),
    LoanStatus.DIRESTRUKTURISASI: ("Direstrukturisasi", "Restructured"),
}
# The checker inbox first: what waits for someone in the console.
TABS = (LoanStatus.DIUSULKAN, LoanStatus.DIAJUKAN, LoanStatus.DISETUJUI, LoanStatus.DITERIMA,
        LoanStatus.AKTIF, LoanStatus.LUNAS)
# Who may press "Setujui": the backend decides the rest (not the proposer, pengawas only
# for a related-party loan).
DECIDERS = (Role.PENGURUS, Role.PENGAWAS)


def _note(text: str, errors: Errors, *, required: bool = False) -> str | None:
    text = text[:400]
    if not text.strip() and not required:
        return None
    try:
        note = clean_text(text)
    except ValueError:
        errors["catatan"] = ("Catatan wajib diisi (tanpa karakter tersembunyi).",
                             "A note is required (no hidden characters).")
        return None
    if len(note) > NOTE_MAX:
        errors["catatan"] = (f"Catatan paling panjang {NOTE_MAX} karakter.",
                             f"The note may be at most {NOTE_MAX} characters.")
    return note


def _loan_id(loan_id: int) -> int | None:
    return loan_id if 1 <= loan_id <= INT64_MAX else None


def _not_found(request: Request, who: Principal, loan_id: int) -> Response:
    exc = UnknownLoan(loan_id=loan_id)
    return refused(request, who, exc.render_id(), exc.render_en(), 404)


# --- the list (checker inbox) ------------------------------------------------------------


@router.get("/pinjaman")
def loans(request: Request, status: str = "diusulkan") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    wanted = next((s for s in LoanStatus if s.value == status[:20]), None)
    with factory(request)() as session:
        rows = service.loans(session, status=wanted, limit=200)
        # Principal less the pokok repaid (what position_of gives), one query for the list.
        paid = dict(session.execute(
            select(LoanRepayment.loan_id, func.sum(LoanRepayment.pokok))
            .where(LoanRepayment.loan_id.in_([x.id for x in rows]))
            .group_by(LoanRepayment.loan_id)).all())
        outstanding = {x.id: x.principal - int(paid.get(x.id) or 0)
                       for x in rows if x.disbursed_on}
    return page(request, "pinjaman.html", who, rows=rows, outstanding=outstanding,
                show=wanted.value if wanted else "", tabs=TABS, status_nama_p=STATUS_NAMA)


# --- a loan's page -------------------------------------------------------------------------


def _loan_page(request: Request, who: Principal, loan_id: int, status: int = 200,
               errors: Errors | None = None, values: dict[str, str] | None = None,
               preview: dict[str, Any] | None = None, done: str = "",
               key: str | None = None) -> Response:
    with factory(request)() as session:
        try:
            loan = service.get_loan(session, loan_id)
        except UnknownLoan:
            return _not_found(request, who, loan_id)
        assessment = service.assessment(session, loan, as_of=clock.today())
        decisions = service.decisions(session, loan.id)
        position = service.position_of(session, loan, clock.today())
        repayments = service.repayments(session, loan.id)
        collateral = service.collateral_of(session, loan.id)
        guarantors = service.guarantors_of(session, loan.id)
        on_chain = service.accepted_on_chain(session, loan.id)
        session.expunge_all()
    proposer = next((d.actor for d in decisions if d.action == "usulkan"), None)
    approvers = {d.actor for d in decisions if d.action == "setujui"}
    may_approve = (loan.status is LoanStatus.DIUSULKAN and who.role in DECIDERS
                   and who.actor != proposer and who.actor not in approvers
                   and (who.role is Role.PENGURUS or loan.related_party))
    return page(request, "pinjaman_detail.html", who, status, loan=loan,
                assessment=assessment, decisions=decisions, position=position,
                repayments=repayments, collateral=collateral, guarantors=guarantors,
                on_chain=on_chain, proposer=proposer, may_approve=may_approve,
                may_decide=who.role in APPROVE, errors=errors or {}, values=values or {},
                preview=preview, done=done, key=key or new_key(), fresh=new_key,
                status_nama_p=STATUS_NAMA, method_label=METHOD_LABEL[Method(loan.method)])


@router.get("/pinjaman/{loan_id}")
def loan_page(request: Request, loan_id: int, selesai: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if _loan_id(loan_id) is None:
        return _not_found(request, who, loan_id)
    return _loan_page(request, who, loan_id, done=selesai[:20])


@router.get("/pinjaman/{loan_id}/perjanjian.pdf")
def agreement_pdf(request: Request, loan_id: int) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if _loan_id(loan_id) is None:
        return _not_found(request, who, loan_id)
    with factory(request)() as session:
        try:
            loan = service.get_loan(session, loan_id)
        except UnknownLoan:
            return _not_found(request, who, loan_id)
        if loan.terms_json is None or loan.terms_hash is None:
            return refused(request, who, "Syarat belum ditetapkan (belum disetujui).",
                           "The terms are not set yet (not approved).", 409)
        pdf = pdfs.loan_agreement_pdf(session, settings_of(request).coop_name,
                                      json.loads(loan.terms_json), loan.terms_hash)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="perjanjian-pinjaman-{loan_id}.pdf"',
        "Cache-Control": "no-store"})


def _write(request: Request, form: dict[str, str], loan_id: int, action: str, *,
           may: tuple[Role, ...] | None = None, note_required: bool = False) -> Response:
    """A decision on a loan (usulkan, setujui, tolak, batalkan, cairkan): checked, written
    once for the form key, then back to the loan's page."""
    checked = check_post(request, form, write=may is None)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    if may is not None and who.role not in may:
        return refused(request, who, "Peran Anda hanya boleh melihat, tidak mengubah.",
                       "Your role may only view, not change anything.")
    if _loan_id(loan_id) is None:
        return _not_found(request, who, loan_id)
    errors: Errors = {}
    note = _note(form.get("catatan", ""), errors, required=note_required)
    key = form.get("kunci", "")
    writer = writer_for(request, who, key)
    if writer is None and not errors:
        errors["_form"] = ("Formulir tidak lengkap; kirim lagi.",
                           "The form is incomplete; submit again.")
    if errors or writer is None:
        return _loan_page(request, who, loan_id, 422, errors)
    ke = "sukarela" if form.get("ke") == "sukarela" else "kas"

    def act(session: Session) -> tuple[int, Any, int]:
        actor, role = who.actor, who.role
        loan: Loan
        if action == "usulkan":
            loan = service.propose(session, loan_id, actor=actor, role=role.value, note=note)
        elif action == "setujui":
            done = service.approve(session, loan_id, actor=actor, role=role, on=clock.today(),
                                   note=note)
            return 200, {"loan": loan_id, "seq": done.seq, "final": done.final}, done.seq
        elif action == "tolak":
            loan = service.refuse(session, loan_id, actor=actor, role=role.value, note=note)
        elif action == "batalkan":
            loan = service.cancel(session, loan_id, actor=actor, role=role.value, note=note)
        else:
            loan, seq = service.disburse(session, loan_id, on=clock.today(),
                                         to_sukarela=ke == "sukarela", reason=note)
            return 201, {"loan": loan.id, "seq": seq}, seq
        seq = service.decisions(session, loan.id)[-1].seq
        return 200, {"loan": loan.id, "status": loan.status.value, "seq": seq}, seq

    body: dict[str, Any] = {"loan": loan_id, "action": action, "catatan": note}
    if action == "cairkan":
        body["ke"] = ke
    try:
        writer.run(body, act)
    except KspError as exc:
        return _loan_page(request, who, loan_id, exc.status,
                          {"_form": (exc.render_id(), exc.render_en())})
    return RedirectResponse(f"/staff/pinjaman/{loan_id}?selesai={action}", status_code=303)


@router.post("/pinjaman/{loan_id}/usulkan")
def propose(request: Request, loan_id: int, form: Form) -> Response:
    return _write(request, form, loan_id, "usulkan")


@router.post("/pinjaman/{loan_id}/setujui")
def approve(request: Request, loan_id: int, form: Form) -> Response:
    # The one write a pengawas may make (a related-party loan); the service checks the rest.
    return _write(request, form, loan_id, "setujui", may=DECIDERS)


@router.post("/pinjaman/{loan_id}/tolak")
def refuse(request: Request, loan_id: int, form: Form) -> Response:
    return _write(request, form, loan_id, "tolak", note_required=True)


@router.post("/pinjaman/{loan_id}/batalkan")
def cancel(request: Request, loan_id: int, form: Form) -> Response:
    return _write(request, form, loan_id, "batalkan", note_required=True)


@router.post("/pinjaman/{loan_id}/cairkan")
def disburse(request: Request, loan_id: int, form: Form) -> Response:
    return _write(request, form, loan_id, "cairkan")


# --- a repayment at the teller: type, confirm the allocation, post, receipt ------------------


@router.post("/pinjaman/{loan_id}/angsuran")
def repay(request: Request, loan_id: int, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    if _loan_id(loan_id) is None:
        return _not_found(request, who, loan_id)
    values = {"amount": form.get("amount", "")[:40]}
    key = form.get("kunci", "")
    try:
        amount = parse_rupiah(values["amount"])
    except AmountNotUnderstood as exc:
        return _loan_page(request, who, loan_id, 422,
                          {"amount": (exc.render_id(), exc.render_en())}, values, key=key)
    writer = writer_for(request, who, key)
    if writer is None:
        return _loan_page(request, who, loan_id, 422, {"_form": (
            "Formulir tidak lengkap; kirim lagi.", "The form is incomplete; submit again.")},
            values)
    today = clock.today()
    if form.get("confirm") != "1":
        with factory(request)() as session:
            try:
                loan = service.get_loan(session, loan_id)
            except UnknownLoan:
                return _not_found(request, who, loan_id)
            pos = service.position_of(session, loan, today)
            order = service.product_of(session, loan).repayment_order
        split = allocate(amount, Due(pos.denda_due, pos.due_jasa, pos.due_pokok), order)
        prepaid = min(split.excess, pos.outstanding_pokok - split.pokok)
        preview = {"amount": amount, "denda": split.denda, "jasa": split.jasa,
                   "pokok": split.pokok + prepaid, "rest": split.excess - prepaid}
        return _loan_page(request, who, loan_id, 200, None, values, preview, key=key)

    def act(session: Session) -> tuple[int, Any, int]:
        done = service.repay(session, loan_id, amount=amount, on=today, channel="teller")
        return 201, {"seq": done.seq, "loan_id": loan_id, "amount": done.amount,
                     "denda": done.denda, "jasa": done.jasa, "pokok": done.pokok,
                     "to_sukarela": done.to_sukarela, "closed": done.closed}, done.seq

    try:
        result = writer.run({"loan": loan_id, "amount": amount, "sumber": "kas"}, act)
    except KspError as exc:
        fresh = isinstance(exc, IdempotencyKeyReused)
        return _loan_page(request, who, loan_id, exc.status,
                          {"amount": (exc.render_id(), exc.render_en())}, values,
                          key=None if fresh else key)
    return RedirectResponse(f"/staff/pinjaman/{loan_id}/angsuran/{result['seq']}",
                            status_code=303)


@router.get("/pinjaman/{loan_id}/angsuran/{seq}")
def receipt(request: Request, loan_id: int, seq: int) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    if _loan_id(loan_id) is None or not 1 <= seq <= INT64_MAX:
        return _not_found(request, who, loan_id)
    with factory(request)() as session:
        found = next((r for r in service.repayments(session, loan_id) if r.seq == seq), None)
        if found is None:
            return refused(request, who, "Angsuran tidak ditemukan.", "Repayment not found.",
                           404)
        loan = service.get_loan(session, loan_id)
        outstanding = service.position_of(session, loan, clock.today()).outstanding_pokok
        session.expunge_all()
    return page(request, "pinjaman_struk.html", who, loan=loan, r=found,
                outstanding=outstanding)


# --- applying on a member's behalf -----------------------------------------------------------


FIELDS = ("member", "product", "principal", "tenor", "rate", "purpose", "income",
          "agunan_jenis", "agunan_nomor", "agunan_nilai", "penjamin")


def _apply_page(request: Request, who: Principal, status: int, values: dict[str, str],
                errors: Errors, key: str | None = None) -> Response:
    return page(request, "pinjaman_baru.html", who, status, values=values, errors=errors,
                key=key or new_key())


@router.get("/pinjaman-baru")
def apply_form(request: Request, anggota: str = "") -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    values = dict.fromkeys(FIELDS, "") | {"member": anggota[:20], "product": "umum"}
    return _apply_page(request, who, 200, values, {})


def _money(text: str, field: str, errors: Errors, *, required: bool) -> int | None:
    if not text.strip():
        if required:
            errors[field] = ("Wajib diisi.", "Required.")
        return None
    try:
        return parse_rupiah(text)
    except AmountNotUnderstood as exc:
        errors[field] = (exc.render_id(), exc.render_en())
        return None


def _whole(text: str, field: str, errors: Errors, low: int, high: int) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors[field] = (f"Harus bilangan bulat {low} sampai {high}.",
                         f"Must be a whole number from {low} to {high}.")
        return None
    return int(text)


@router.post("/pinjaman-baru")
def apply(request: Request, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    values = {f: form.get(f, "")[:200] for f in FIELDS}
    key = form.get("kunci", "")
    errors: Errors = {}
    number = member_number(values["member"])
    if number is None:
        errors["member"] = ("Nomor anggota harus angka.", "The member number must be a number.")
    principal = _money(values["principal"], "principal", errors, required=True)
    tenor = _whole(values["tenor"], "tenor", errors, 1, 360)
    if tenor is None and "tenor" not in errors:
        errors["tenor"] = ("Wajib diisi.", "Required.")
    rate = _whole(values["rate"], "rate", errors, 0, 10_000)
    income = _money(values["income"], "income", errors, required=False)
    purpose = ""
    try:
        purpose = clean_text(values["purpose"])
    except ValueError:
        errors["purpose"] = ("Keperluan wajib diisi.", "The purpose is required.")
    product = values["product"].strip() or "umum"
    collateral: tuple[service.CollateralIn, ...] = ()
    if values["agunan_jenis"].strip():
        worth = _money(values["agunan_nilai"], "agunan_nilai", errors, required=True)
        try:
            collateral = (service.CollateralIn(clean_text(values["agunan_jenis"])[:40],
                                               clean_text(values["agunan_nomor"])[:80],
                                               worth or 0),)
        except ValueError:
            errors["agunan_nomor"] = ("Nomor dokumen agunan wajib diisi.",
                                      "The collateral's document number is required.")
    guarantors: list[int] = []
    for part in values["penjamin"].replace(",", " ").split():
        g = member_number(part)
        if g is None:
            errors["penjamin"] = ("Penjamin: nomor anggota dipisah koma.",
                                  "Guarantors: member numbers separated by commas.")
            break
        guarantors.append(g)
    writer = writer_for(request, who, key)
    if writer is None and not errors:
        errors["_form"] = ("Formulir tidak lengkap; kirim lagi.",
                           "The form is incomplete; submit again.")
    if errors or writer is None or number is None or principal is None or tenor is None:
        return _apply_page(request, who, 422, values, errors, key if writer else None)

    def act(session: Session) -> tuple[int, Any, int]:
        loan = service.apply(session, service.Application(
            member=number, product_code=product, principal=principal, tenor_months=tenor,
            purpose=purpose, rate_bps=rate, declared_income=income, collateral=collateral,
            guarantors=tuple(guarantors)), actor=who.actor, role=who.role.value,
            on=clock.today())
        seq = service.decisions(session, loan.id)[-1].seq
        return 201, {"id": loan.id, "seq": seq}, seq

    body = {"member": number, "product": product, "principal": principal, "tenor": tenor,
            "rate": rate, "purpose": purpose, "income": income, "penjamin": guarantors,
            "agunan": [[c.kind, c.document_number, c.appraised_value] for c in collateral]}
    try:
        result = writer.run(body, act)
    except KspError as exc:
        fresh = isinstance(exc, IdempotencyKeyReused)
        field = {"UnknownMember": "member", "MemberNotActive": "member",
                 "TenorOutsideProduct": "tenor", "RateOutsideProduct": "rate",
                 "UnknownLoanProduct": "product"}.get(type(exc).__name__, "_form")
        return _apply_page(request, who, exc.status, values,
                           {field: (exc.render_id(), exc.render_en())},
                           None if fresh else key)
    return RedirectResponse(f"/staff/pinjaman/{result['id']}?selesai=ajukan",
                            status_code=303)

