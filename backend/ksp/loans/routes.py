"""Loan products and loans over HTTP: thin, every write through the Writer (Idempotency-Key),
every error listed. Who may do what: docs/LOAN_PROCESS.md."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ksp.api.deps import (
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
from ksp.api.types import (
    INT64_MAX,
    HumanText,
    Limit,
    Offset,
    OptionalText,
    QueryDate,
    Tanggal,
)
from ksp.auth.models import Role
from ksp.auth.service import APPROVE, READ_ALL, WRITE, Principal
from ksp.chain.runtime import ChainRuntime
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.errors import Forbidden, InvalidInput
from ksp.core.money import MAX_AMOUNT, format_rupiah
from ksp.ledger.dates import POSTING_DATE_ERRORS
from ksp.ledger.errors import PeriodClosed
from ksp.loans import service
from ksp.loans.errors import (
    AboveBmpp,
    AcceptanceDeadlineInvalid,
    AcceptanceSignerMismatch,
    AlreadyDecided,
    ApproverIsProposer,
    CollateralRequired,
    GuarantorAlreadyConsented,
    GuarantorConsentMissing,
    GuarantorSignerMismatch,
    InvalidLoanProduct,
    InvalidLoanState,
    LoanChainUnavailable,
    LoanClosed,
    LoanNotAcceptedOnChain,
    LoanProductUnchanged,
    NotTheBorrower,
    NotTheGuarantor,
    OfferExpired,
    Overpayment,
    PengawasNotNeeded,
    RateOutsideProduct,
    RelatedPartyCap,
    SavingsRequirementUnmet,
    TenorOutsideProduct,
    UnknownGuarantor,
    UnknownLoan,
    UnknownLoanProduct,
    WalletNotLinked,
)
from ksp.loans.models import Loan, LoanStatus
from ksp.loans.products import CODE_PATTERN, LoanProduct, products_at, set_product
from ksp.loans.quality import Kolektibilitas, classify
from ksp.members.errors import MemberNotActive, UnknownMember
from ksp.members.service import get_member
from ksp.printing import pdfs
from ksp.savings.errors import InsufficientBalance, InvalidAmount

router = APIRouter(prefix="/api/v1", tags=["pinjaman"])
Reader = Annotated[Principal, Depends(require_roles(*READ_ALL))]
BoardWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]
StaffWriter = Annotated[Writer, Depends(writer_for(*WRITE))]
# The one write a pengawas makes: approving a related-party loan (Permenkop 8/2023 Pasal 44).
ApproverWriter = Annotated[Writer, Depends(writer_for(Role.PENGURUS, Role.PENGAWAS))]
ApplicantWriter = Annotated[Writer, Depends(writer_for(*WRITE, Role.ANGGOTA))]
MemberWriter = Annotated[Writer, Depends(writer_for(Role.ANGGOTA))]
LoanId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor pinjaman (juga id di rantai)")]
ProductCode = Annotated[str, Path(pattern=CODE_PATTERN, description="Kode produk")]


# --- schemas --------------------------------------------------------------------------------


class ProductOut(BaseModel):
    code: str
    version: int
    rules: LoanProduct


class ProductVersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_date: Tanggal
    rules: dict[str, Any] = Field(description="LoanProduct (lihat skema ProductOut.rules)")


class ProductVersionOut(BaseModel):
    code: str
    version: int
    effective_date: dt.date
    seq: int


class CollateralBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: HumanText = Field(max_length=40, description="mis. BPKB, SHM")
    document_number: HumanText = Field(max_length=80)
    appraised_value: int = Field(strict=True, ge=0, le=MAX_AMOUNT)


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member: int = Field(ge=1, le=INT64_MAX)
    product: str = Field("umum", pattern=CODE_PATTERN)
    principal: int = Field(strict=True, gt=0, le=MAX_AMOUNT, description="Rupiah")
    tenor_months: int = Field(strict=True, ge=1, le=360)
    rate_bps: int | None = Field(None, ge=0, le=10_000,
                                 description="Jasa per tahun dalam bps; default terendah produk")
    purpose: HumanText = Field(max_length=200, description="Keperluan / purpose")
    declared_income: int | None = Field(None, strict=True, ge=0, le=MAX_AMOUNT,
                                        description="Penghasilan per bulan / monthly income")
    collateral: list[CollateralBody] = Field(default_factory=list, max_length=20)
    guarantors: list[Annotated[int, Field(ge=1, le=INT64_MAX)]] = Field(
        default_factory=list, max_length=10, description="Nomor anggota penjamin")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    catatan: OptionalText = Field(None, max_length=500, description="Catatan / note")


class DecisionOut(BaseModel):
    action: str
    actor: str
    role: str
    note: str | None
    decided_at: dt.datetime
    seq: int


class GuarantorOut(BaseModel):
    member: int = Field(description="Nomor anggota penjamin")
    consented_at: dt.datetime | None = Field(
        description="Saat penjamin menandatangani GuarantorConsent (null: belum)")
    released_on: dt.date | None


class LoanOut(BaseModel):
    id: int
    member: int
    product: str
    product_version: int
    principal: int
    principal_text: str
    rate_bps: int
    method: str
    tenor_months: int
    admin_fee: int
    purpose: str
    declared_income: int | None
    related_party: bool
    status: LoanStatus
    applied_on: dt.date
    applied_by: str
    first_due_date: dt.date | None
    terms_hash: str | None
    disbursed_on: dt.date | None
    closed_on: dt.date | None
    outstanding: int = Field(description="Sisa pokok menurut jadwal dan pembayaran")
    guarantors: list[GuarantorOut] = Field(description="Penjamin dan persetujuan mereka")
    decisions: list[DecisionOut]


class LoanList(BaseModel):
    loans: list[LoanOut]


class FactorOut(BaseModel):
    key: str
    points: int
    max_points: int
    reason: str
    reason_en: str


class AssessmentOut(BaseModel):
    loan_id: int
    total: int
    max_total: int
    band: str = Field(description="layak / perlu pertimbangan / berisiko — saran, bukan keputusan")
    factors: list[FactorOut]


class ApprovalOut(BaseModel):
    loan: LoanOut
    seq: int
    final: bool = Field(description="Semua persetujuan lengkap; penawaran didaftarkan di rantai")


class TermsOut(BaseModel):
    loan_id: int
    terms_hash: str
    terms: dict[str, Any] = Field(description="Tepat yang di-hash: keccak256(RFC 8785 JSON)")


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deadline: int = Field(strict=True, ge=0, le=2**64 - 1, description="Detik unix")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="Tanda tangan EIP-712")


class AcceptanceOut(BaseModel):
    loan_id: int
    status: LoanStatus
    typed_data: dict[str, Any] | None = Field(
        description="Data EIP-712 yang ditandatangani anggota (null bila bukan lagi tahap ini)")
    seq: int | None = None


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                           description="Tanda tangan EIP-712 GuarantorConsent")


class ConsentOut(BaseModel):
    loan_id: int
    guarantor: int
    status: LoanStatus
    consented_at: dt.datetime | None
    typed_data: dict[str, Any] | None = Field(
        description="GuarantorConsent yang ditandatangani penjamin (null bila tidak pada tahap "
                    "ini atau sudah ditandatangani)")
    seq: int | None = None


class DisbursementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ke: Literal["kas", "sukarela"] = Field("kas", description="Dibayar tunai atau ke sukarela")
    tanggal: Tanggal | None = None
    alasan: OptionalText = Field(None, max_length=200)


class DisbursementOut(BaseModel):
    loan: LoanOut
    seq: int
    paid_out: int = Field(description="Yang diterima anggota (pokok dikurangi provisi)")
    paid_out_text: str


class RepaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(strict=True, gt=0, le=MAX_AMOUNT)
    sumber: Literal["kas", "sukarela"] = "kas"
    tanggal: Tanggal | None = None
    alasan: OptionalText = Field(None, max_length=200)


class RepaymentOut(BaseModel):
    seq: int
    loan_id: int
    paid_on: dt.date
    amount: int
    amount_text: str
    denda: int
    jasa: int
    pokok: int
    channel: str


class RepaidOut(RepaymentOut):
    prepaid_pokok: int
    to_sukarela: int
    closed: bool
    status: LoanStatus


class InstalmentOut(BaseModel):
    number: int
    due_date: dt.date
    pokok: int
    jasa: int
    total: int
    paid_pokok: int
    paid_jasa: int
    state: str = Field(description="lunas / sebagian / terlambat / jatuh tempo / belum jatuh tempo")


class ScheduleOut(BaseModel):
    loan_id: int
    as_of: dt.date
    outstanding: int = Field(description="Sisa pokok / outstanding principal")
    outstanding_text: str
    due_jasa: int
    due_pokok: int
    denda_due: int
    days_past_due: int
    kolektibilitas: Kolektibilitas = Field(
        description="Kolektibilitas per tanggal ini menurut hari keterlambatan dan AD/ART")
    next_instalment: int | None = Field(description="Nomor angsuran berikutnya / next number")
    instalments: list[InstalmentOut]


class RepaymentList(BaseModel):
    loan_id: int
    repayments: list[RepaymentOut]


# --- helpers --------------------------------------------------------------------------------


def _loan_out(session: Any, loan: Loan) -> dict[str, Any]:
    outstanding = (service.position_of(session, loan, clock.today()).outstanding_pokok
                   if loan.disbursed_on else 0)
    return {
        "id": loan.id, "member": loan.member_number, "product": loan.product_code,
        "product_version": loan.product_version, "principal": loan.principal,
        "principal_text": format_rupiah(loan.principal), "rate_bps": loan.rate_bps,
        "method": loan.method, "tenor_months": loan.tenor_months, "admin_fee": loan.admin_fee,
        "purpose": loan.purpose, "declared_income": loan.declared_income,
        "related_party": loan.related_party, "status": loan.status.value,
        "applied_on": loan.applied_on.isoformat(), "applied_by": loan.applied_by,
        "first_due_date": loan.first_due_date.isoformat() if loan.first_due_date else None,
        "terms_hash": loan.terms_hash,
        "disbursed_on": loan.disbursed_on.isoformat() if loan.disbursed_on else None,
        "closed_on": loan.closed_on.isoformat() if loan.closed_on else None,
        "outstanding": outstanding,
        "guarantors": [{"member": g.member_number,
                        "consented_at": g.consented_at.isoformat() if g.consented_at else None,
                        "released_on": g.released_on.isoformat() if g.released_on else None}
                       for g in service.guarantors_of(session, loan.id)],
        "decisions": [{"action": d.action, "actor": d.actor, "role": d.role, "note": d.note,
                       "decided_at": d.decided_at.isoformat(), "seq": d.seq}
                      for d in service.decisions(session, loan.id)]}


def _readable(session: Any, principal: Principal, loan_id: int) -> Loan:
    """Staff read every loan; a member only their own (another's is a 404, not a hint)."""
    loan = service.get_loan(session, loan_id)
    if principal.role is Role.ANGGOTA and principal.member_number != loan.member_number:
        raise UnknownLoan(loan_id=loan_id)
    return loan


def loan_domain(chain: ChainRuntime) -> service.ChainDomain:
    """The chain id and LoanAgreements address of the current deployment."""
    try:
        chain_id = int(chain.connect().eth.chain_id)
        contract = chain.read_deployment().get("contracts", {}).get("LoanAgreements")
    except Exception as exc:  # any chain failure: the acceptance waits for the chain
        raise LoanChainUnavailable(reason_id="rantai tidak dapat dihubungi",
                                   reason_en="the chain cannot be reached") from exc
    if not contract:
        raise LoanChainUnavailable(reason_id="LoanAgreements belum di-deploy",
                                   reason_en="LoanAgreements is not deployed")
    return service.ChainDomain(chain_id, str(contract["address"]))


def _repayment(r: Any) -> dict[str, Any]:
    return {"seq": r.seq, "loan_id": r.loan_id, "paid_on": r.paid_on.isoformat(),
            "amount": r.amount, "amount_text": format_rupiah(r.amount), "denda": r.denda,
            "jasa": r.jasa, "pokok": r.pokok, "channel": r.channel}


# --- products -------------------------------------------------------------------------------


@router.get("/loan-products", response_model=list[ProductOut])
def list_products(_p: CurrentPrincipal, session: SessionDep, date: QueryDate = None) -> Any:
    """Produk pinjaman yang berlaku pada tanggal itu / loan products in force on the date."""
    found = products_at(session, date or clock.today())
    return [{"code": code, "version": version, "rules": rules.model_dump(mode="json")}
            for code, (version, rules) in found.items()]


@router.put("/loan-products/{code}", response_model=ProductVersionOut,
            responses=error_responses(InvalidLoanProduct, LoanProductUnchanged, PeriodClosed,
                                      *POSTING_DATE_ERRORS))
def put_product(code: ProductCode, body: ProductVersionIn, writer: BoardWriter) -> Any:
    """Versi baru produk pinjaman (pengurus), berlaku mulai tanggal, dicatat di log."""
    try:
        rules = LoanProduct.model_validate(body.rules)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidLoanProduct(
            reason_id=".".join(str(p) for p in first["loc"]) or "rules",
            reason_en=f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc

    def act(session: Any) -> tuple[int, Any, int]:
        row = set_product(session, code, body.effective_date, rules)
        return 200, {"code": code, "version": row.version,
                     "effective_date": row.effective_date.isoformat(), "seq": row.seq}, row.seq

    return writer.run(body.model_dump(mode="json") | {"code": code}, act)


# --- application and decisions --------------------------------------------------------------


APPLY_ERRORS = (UnknownMember, MemberNotActive, UnknownLoanProduct, TenorOutsideProduct,
                RateOutsideProduct, NotTheBorrower)


@router.post("/loans", status_code=201, response_model=LoanOut,
             responses=error_responses(*APPLY_ERRORS))
def apply(body: ApplyIn, writer: ApplicantWriter) -> Any:
    """Pengajuan pinjaman: oleh anggota sendiri atau oleh petugas atas nama anggota."""
    principal = writer.principal
    if principal.role is Role.ANGGOTA and principal.member_number != body.member:
        raise NotTheBorrower()

    def act(session: Any) -> tuple[int, Any, int]:
        loan = service.apply(session, service.Application(
            member=body.member, product_code=body.product, principal=body.principal,
            tenor_months=body.tenor_months, purpose=body.purpose, rate_bps=body.rate_bps,
            declared_income=body.declared_income,
            collateral=tuple(service.CollateralIn(c.kind, c.document_number, c.appraised_value)
                             for c in body.collateral),
            guarantors=tuple(body.guarantors)),
            actor=principal.actor, role=principal.role.value, on=clock.today())
        out = _loan_out(session, loan)
        return 201, out, out["decisions"][-1]["seq"]

    return writer.run(body.model_dump(mode="json"), act)


@router.get("/loans", response_model=LoanList)
def list_loans(_r: Reader, session: SessionDep,
               status: Annotated[LoanStatus | None, Query()] = None,
               limit: Limit = 100, offset: Offset = 0) -> Any:
    """Daftar pinjaman (petugas), terbaru dahulu, bisa disaring menurut status."""
    return {"loans": [_loan_out(session, x)
                      for x in service.loans(session, status=status, limit=limit, offset=offset)]}


@router.get("/loans/{loan_id}", response_model=LoanOut,
            responses=error_responses(UnknownLoan))
def get_loan(loan_id: LoanId, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _loan_out(session, _readable(session, principal, loan_id))


@router.get("/members/{number}/loans", response_model=LoanList,
            responses=error_responses(UnknownMember, Forbidden))
def member_loans(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep) -> Any:
    require_member_access(principal, number)
    get_member(session, number)
    return {"loans": [_loan_out(session, x)
                      for x in service.loans(session, member=number, limit=1000)]}


@router.get("/loans/{loan_id}/assessment", response_model=AssessmentOut,
            responses=error_responses(UnknownLoan))
def assessment(loan_id: LoanId, _r: Reader, session: SessionDep) -> Any:
    """Penilaian yang dapat dijelaskan: tiap faktor dengan poin dan alasannya. Saran saja."""
    loan = service.get_loan(session, loan_id)
    a = service.assessment(session, loan, as_of=clock.today())
    return {"loan_id": loan.id, "total": a.total, "max_total": a.max_total, "band": a.band,
            "factors": [{"key": f.key, "points": f.points, "max_points": f.max_points,
                         "reason": f.reason_id, "reason_en": f.reason_en} for f in a.factors]}


def _decide(loan_id: int, body: NoteIn, writer: Writer, step: Any) -> Any:
    """One decision on a loan (propose, refuse, cancel): the service's `step` under the
    writer's key; the answer is the loan, the log seq that of the decision just made."""
    p = writer.principal

    def act(session: Any) -> tuple[int, Any, int]:
        out = _loan_out(session, step(session, loan_id, actor=p.actor, role=p.role.value,
                                      note=body.catatan))
        seq: int = out["decisions"][-1]["seq"]
        return 200, out, seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


@router.post("/loans/{loan_id}/propose", response_model=LoanOut,
             responses=error_responses(UnknownLoan, InvalidLoanState))
def propose(loan_id: LoanId, body: NoteIn, writer: StaffWriter) -> Any:
    """Pengusulan oleh petugas pinjaman (maker)."""
    return _decide(loan_id, body, writer, service.propose)


APPROVE_ERRORS = (UnknownLoan, MemberNotActive, InvalidLoanState, ApproverIsProposer,
                  AlreadyDecided, PengawasNotNeeded, AboveBmpp, RelatedPartyCap,
                  SavingsRequirementUnmet, CollateralRequired, WalletNotLinked,
                  TenorOutsideProduct, RateOutsideProduct)


@router.post("/loans/{loan_id}/approve", response_model=ApprovalOut,
             responses=error_responses(*APPROVE_ERRORS))
def approve(loan_id: LoanId, body: NoteIn, writer: ApproverWriter) -> Any:
    """Persetujuan (checker): pengurus yang bukan pengusul; pinjaman pihak terkait juga
    pengawas. Persetujuan terakhir menetapkan syarat dan mendaftarkan penawaran di rantai."""
    p = writer.principal

    def act(session: Any) -> tuple[int, Any, int]:
        done = service.approve(session, loan_id, actor=p.actor, role=p.role, on=clock.today(),
                               note=body.catatan)
        return 200, {"loan": _loan_out(session, done.loan), "seq": done.seq,
                     "final": done.final}, done.seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


@router.post("/loans/{loan_id}/refuse", response_model=LoanOut,
             responses=error_responses(UnknownLoan, InvalidLoanState))
def refuse(loan_id: LoanId, body: NoteIn, writer: StaffWriter) -> Any:
    """Penolakan pengajuan (sebelum disetujui)."""
    return _decide(loan_id, body, writer, service.refuse)


@router.post("/loans/{loan_id}/cancel", response_model=LoanOut,
             responses=error_responses(UnknownLoan, InvalidLoanState))
def cancel(loan_id: LoanId, body: NoteIn, writer: StaffWriter) -> Any:
    """Pembatalan sebelum anggota menerima; penawaran yang terdaftar dibatalkan di rantai."""
    return _decide(loan_id, body, writer, service.cancel)


# --- the agreement --------------------------------------------------------------------------


def _terms(session: Any, principal: Principal, loan_id: int) -> tuple[Loan, dict[str, Any]]:
    loan = _readable(session, principal, loan_id)
    if loan.terms_json is None or loan.terms_hash is None:
        raise InvalidLoanState(loan_id=loan.id, status=loan.status.value, action="syarat")
    terms: dict[str, Any] = json.loads(loan.terms_json)
    return loan, terms


@router.get("/loans/{loan_id}/terms", response_model=TermsOut,
            responses=error_responses(UnknownLoan, InvalidLoanState))
def terms(loan_id: LoanId, principal: CurrentPrincipal, session: SessionDep) -> Any:
    """Syarat yang disetujui dan sidiknya: terms_hash = keccak256(RFC 8785 JSON dari terms)."""
    loan, body = _terms(session, principal, loan_id)
    return {"loan_id": loan.id, "terms_hash": loan.terms_hash, "terms": body}


@router.get("/loans/{loan_id}/terms.html", response_class=HTMLResponse,
            responses={**error_responses(UnknownLoan, InvalidLoanState),
                       200: {"description": "Perjanjian Pinjaman (HTML)",
                             "content": {"text/html": {"schema": {"type": "string"}}}}})
def terms_html(loan_id: LoanId, principal: CurrentPrincipal, session: SessionDep,
               settings: SettingsDep) -> Any:
    """Perjanjian Pinjaman (HTML)."""
    loan, body = _terms(session, principal, loan_id)
    assert loan.terms_hash is not None
    return HTMLResponse(pdfs.loan_agreement_html(session, settings.coop_name, body,
                                                 loan.terms_hash))


@router.get("/loans/{loan_id}/terms.pdf", response_class=Response,
            responses={**error_responses(UnknownLoan, InvalidLoanState),
                       200: {"description": "Perjanjian Pinjaman (PDF)",
                             "content": {"application/pdf": {
                                 "schema": {"type": "string", "format": "binary"}}}}})
def terms_pdf(loan_id: LoanId, principal: CurrentPrincipal, session: SessionDep,
              settings: SettingsDep) -> Response:
    """Perjanjian Pinjaman (PDF)."""
    loan, body = _terms(session, principal, loan_id)
    assert loan.terms_hash is not None
    pdf = pdfs.loan_agreement_pdf(session, settings.coop_name, body, loan.terms_hash)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="perjanjian-pinjaman-{loan.id}.pdf"'})


# --- acceptance, disbursement, repayments ----------------------------------------------------


@router.get("/loans/{loan_id}/acceptance", response_model=AcceptanceOut,
            responses=error_responses(UnknownLoan, LoanChainUnavailable))
def acceptance(loan_id: LoanId, principal: CurrentPrincipal, session: SessionDep,
               request: Request,
               deadline: Annotated[int | None, Query(ge=0, le=2**64 - 1)] = None) -> Any:
    """Data EIP-712 untuk ditandatangani anggota (saat disetujui), dengan batas waktu
    `deadline` (default: 7 hari lagi)."""
    loan = _readable(session, principal, loan_id)
    if loan.status is not LoanStatus.DISETUJUI:
        return {"loan_id": loan.id, "status": loan.status.value, "typed_data": None}
    domain = loan_domain(request.app.state.chain)
    until = deadline if deadline is not None else int(clock.now().timestamp()) + 7 * 86_400
    return {"loan_id": loan.id, "status": loan.status.value,
            "typed_data": service.acceptance_data(loan, domain, until)}


@router.post("/loans/{loan_id}/acceptance", response_model=AcceptanceOut,
             responses=error_responses(UnknownLoan, InvalidLoanState, NotTheBorrower,
                                       AcceptanceDeadlineInvalid, GuarantorConsentMissing,
                                       AcceptanceSignerMismatch, LoanChainUnavailable))
def accept(loan_id: LoanId, body: AcceptanceIn, writer: MemberWriter, request: Request) -> Any:
    """Anggota menerima pinjaman: tanda tangan EIP-712 diperiksa lalu diteruskan ke rantai."""
    member = writer.principal.member_number
    assert member is not None
    chain = request.app.state.chain

    def act(session: Any) -> tuple[int, Any, int]:
        loan, seq = service.accept(session, loan_id, member_number=member,
                                   deadline=body.deadline, signature=body.signature,
                                   domain=lambda: loan_domain(chain))
        return 200, {"loan_id": loan.id, "status": loan.status.value, "typed_data": None,
                     "seq": seq}, seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


GuarantorNumber = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor anggota penjamin")]


@router.get("/loans/{loan_id}/guarantors/{number}/consent", response_model=ConsentOut,
            responses=error_responses(UnknownLoan, UnknownGuarantor, LoanChainUnavailable))
def guarantor_consent(loan_id: LoanId, number: GuarantorNumber, principal: CurrentPrincipal,
                      session: SessionDep, request: Request) -> Any:
    """Persetujuan penjamin: data EIP-712 yang ditandatangani dompet penjamin (staf atau
    penjamin itu sendiri; bagi anggota lain pinjaman ini tidak ada)."""
    loan = service.get_loan(session, loan_id)
    if principal.role is Role.ANGGOTA and principal.member_number not in (
            number, loan.member_number):
        raise UnknownLoan(loan_id=loan_id)
    row = service.guarantor_of(session, loan, number)
    typed = None
    if loan.status is LoanStatus.DISETUJUI and row.consented_at is None:
        typed = service.consent_data(loan, number, loan_domain(request.app.state.chain))
    return {"loan_id": loan.id, "guarantor": number, "status": loan.status.value,
            "consented_at": row.consented_at, "typed_data": typed}


@router.post("/loans/{loan_id}/guarantors/{number}/consent", response_model=ConsentOut,
             responses=error_responses(UnknownLoan, UnknownGuarantor, NotTheGuarantor,
                                       InvalidLoanState, GuarantorAlreadyConsented,
                                       MemberNotActive, WalletNotLinked,
                                       GuarantorSignerMismatch, LoanChainUnavailable))
def give_guarantor_consent(loan_id: LoanId, number: GuarantorNumber, body: ConsentIn,
                           writer: MemberWriter, request: Request) -> Any:
    """Penjamin menyetujui: tanda tangan dompetnya atas syarat pinjaman yang terdaftar."""
    member = writer.principal.member_number
    assert member is not None
    chain = request.app.state.chain

    def act(session: Any) -> tuple[int, Any, int]:
        loan = service.get_loan(session, loan_id)
        if member not in (number, loan.member_number):
            raise UnknownLoan(loan_id=loan_id)
        row, seq = service.consent(session, loan_id, guarantor=number, member_number=member,
                                   signature=body.signature, domain=lambda: loan_domain(chain))
        return 200, {"loan_id": loan.id, "guarantor": number, "status": loan.status.value,
                     "consented_at": row.consented_at.isoformat() if row.consented_at else None,
                     "typed_data": None, "seq": seq}, seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id, "guarantor": number},
                      act)


@router.post("/loans/{loan_id}/disbursement", status_code=201, response_model=DisbursementOut,
             responses=error_responses(UnknownLoan, InvalidLoanState, LoanNotAcceptedOnChain,
                                       OfferExpired, MemberNotActive, PeriodClosed,
                                       *POSTING_DATE_ERRORS))
def disburse(loan_id: LoanId, body: DisbursementIn, writer: StaffWriter) -> Any:
    """Pencairan, hanya setelah penerimaan anggota tercatat di rantai."""
    def act(session: Any) -> tuple[int, Any, int]:
        loan, seq = service.disburse(session, loan_id, on=body.tanggal or clock.today(),
                                     to_sukarela=body.ke == "sukarela", reason=body.alasan)
        paid = loan.principal - loan.admin_fee
        return 201, {"loan": _loan_out(session, loan), "seq": seq, "paid_out": paid,
                     "paid_out_text": format_rupiah(paid)}, seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


@router.post("/loans/{loan_id}/repayments", status_code=201, response_model=RepaidOut,
             responses=error_responses(UnknownLoan, InvalidLoanState, LoanClosed, Overpayment,
                                       InsufficientBalance, InvalidAmount, InvalidInput,
                                       MemberNotActive, PeriodClosed, *POSTING_DATE_ERRORS))
def repay(loan_id: LoanId, body: RepaymentIn, writer: StaffWriter) -> Any:
    """Angsuran di teller (kas) atau dari simpanan sukarela atas perintah anggota."""
    def act(session: Any) -> tuple[int, Any, int]:
        done = service.repay(session, loan_id, amount=body.amount,
                             on=body.tanggal or clock.today(),
                             channel="teller" if body.sumber == "kas" else "sukarela",
                             from_sukarela=body.sumber == "sukarela", reason=body.alasan)
        return 201, {"seq": done.seq, "loan_id": done.loan.id,
                     "paid_on": (body.tanggal or clock.today()).isoformat(),
                     "amount": done.amount, "amount_text": format_rupiah(done.amount),
                     "denda": done.denda, "jasa": done.jasa, "pokok": done.pokok,
                     "channel": "teller" if body.sumber == "kas" else "sukarela",
                     "prepaid_pokok": done.prepaid_pokok, "to_sukarela": done.to_sukarela,
                     "closed": done.closed, "status": done.loan.status.value}, done.seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


@router.get("/loans/{loan_id}/repayments", response_model=RepaymentList,
            responses=error_responses(UnknownLoan))
def list_repayments(loan_id: LoanId, principal: CurrentPrincipal, session: SessionDep) -> Any:
    loan = _readable(session, principal, loan_id)
    return {"loan_id": loan.id,
            "repayments": [_repayment(r) for r in service.repayments(session, loan.id)]}


@router.get("/loans/{loan_id}/schedule", response_model=ScheduleOut,
            responses=error_responses(UnknownLoan))
def schedule(loan_id: LoanId, principal: CurrentPrincipal, session: SessionDep,
             date: QueryDate = None) -> Any:
    """Jadwal angsuran dengan yang sudah dibayar, yang jatuh tempo dan denda, per tanggal
    (default hari ini); sebelum disetujui: jadwal bila dicairkan pada hari pengajuan."""
    loan = _readable(session, principal, loan_id)
    day = date or clock.today()
    pos = service.position_of(session, loan, day)
    return {"loan_id": loan.id, "as_of": day.isoformat(),
            "outstanding": pos.outstanding_pokok,
            "outstanding_text": format_rupiah(pos.outstanding_pokok),
            "due_jasa": pos.due_jasa, "due_pokok": pos.due_pokok, "denda_due": pos.denda_due,
            "days_past_due": pos.days_past_due,
            "kolektibilitas": classify(pos.days_past_due,
                                       adart_at(session, day).loan_class_days).value,
            "next_instalment": pos.next_instalment.number if pos.next_instalment else None,
            "instalments": [{"number": i.number, "due_date": i.due_date.isoformat(),
                             "pokok": i.pokok, "jasa": i.jasa, "total": i.pokok + i.jasa,
                             "paid_pokok": i.paid_pokok, "paid_jasa": i.paid_jasa,
                             "state": i.state.value} for i in pos.instalments]}
