"""The loan portfolio over HTTP: the daily close (staff), the portfolio report, hapus buku
(proposal by staff; approvals by a pengurus and a pengawas: the one write a pengawas makes
here, as the law asks for both boards), recoveries and restructuring (proposal and take-over
by staff; the approval and the member's signature go the loan service's way)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from ksp.api.deps import SessionDep, Writer, require_roles, writer_for
from ksp.api.openapi import error_responses
from ksp.api.types import INT64_MAX, OptionalText, QueryDate, Tanggal
from ksp.auth.models import Role
from ksp.auth.service import READ_ALL, WRITE
from ksp.core import clock
from ksp.core.money import MAX_AMOUNT, format_rupiah
from ksp.ledger.dates import POSTING_DATE_ERRORS
from ksp.ledger.errors import PeriodClosed
from ksp.loans import portfolio, restructure, writeoff
from ksp.loans.close import close_day
from ksp.loans.errors import (
    ApproverIsProposer,
    InvalidLoanState,
    LoanNotAcceptedOnChain,
    UnknownLoan,
)
from ksp.loans.portfolio_errors import (
    CloseDateInFuture,
    NotWrittenOff,
    NoWriteOffProposal,
    RecoveryTooLarge,
    RestructureOutdated,
    WriteOffAlreadyApproved,
    WriteOffAlreadyProposed,
    WriteOffApproverRole,
    WriteOffNeedsMacet,
)
from ksp.loans.quality import KELAS_KOPERASI_LABEL, KOLEKTIBILITAS_LABEL

router = APIRouter(prefix="/api/v1/loans", tags=["pinjaman"])
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
StaffWriter = Annotated[Writer, Depends(writer_for(*WRITE))]
BoardsWriter = Annotated[Writer, Depends(writer_for(Role.PENGURUS, Role.PENGAWAS))]
LoanId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor pinjaman / loan id")]


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tanggal: Tanggal | None = Field(None, description="Tutup sampai tanggal ini; default "
                                                      "hari ini / close through this date")


class ClosedDayOut(BaseModel):
    tanggal: dt.date
    seq: int = Field(description="Entri log pinjaman.tutup_hari")
    pinjaman: int = Field(description="Pinjaman yang ditutup / loans closed")
    denda: int
    perubahan_kolektibilitas: int
    macet: list[int] = Field(description="Pinjaman yang menjadi macet / loans that defaulted")
    penyisihan: int = Field(description="Perubahan cadangan kerugian / allowance change")


class CloseOut(BaseModel):
    sampai: dt.date
    hari: list[ClosedDayOut]
    denda: int
    denda_text: str
    penyisihan_akhir: int = Field(description="Perubahan cadangan untuk tanggal itu sesudah "
                                              "hari-hari ditutup / allowance settled after")


class ClassAmount(BaseModel):
    kelas: str
    label: str
    label_en: str
    outstanding: int
    outstanding_text: str


class PortfolioOut(BaseModel):
    tanggal: dt.date
    pinjaman: int
    outstanding: int
    outstanding_text: str
    kolektibilitas_ojk: list[ClassAmount]
    kolektibilitas_koperasi: list[ClassAmount]
    npl_bps: int
    kesehatan: str = Field(description="Sehat / Cukup Sehat / Kurang Sehat / Tidak Sehat")
    penyisihan_wajib: int = Field(description="Cadangan kerugian yang diperlukan / required")
    penyisihan_tercatat: int = Field(description="Cadangan kerugian di buku / posted")
    pihak_terkait: int = Field(description="Outstanding pinjaman pihak terkait")
    batas_pihak_terkait: int = Field(description="Batas: persentase AD/ART x modal sendiri")
    pihak_terkait_dalam_batas: bool


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    catatan: OptionalText = Field(None, max_length=500)


class WriteOffOut(BaseModel):
    loan_id: int
    seq: int
    persetujuan: list[str] = Field(description="Peran yang sudah menyetujui / roles approved")
    dihapusbukukan: int = Field(description="0 sampai persetujuan kedua / 0 until the second")
    dari_cadangan: int
    seq_jurnal: int | None


class RecoveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(strict=True, gt=0, le=MAX_AMOUNT, description="Rupiah, bilangan bulat")


class RecoveryOut(BaseModel):
    loan_id: int
    seq: int
    amount: int
    amount_text: str
    dipulihkan: int
    sisa: int
    sisa_text: str


def _amounts(labels: Any, amounts: Any) -> list[dict[str, Any]]:
    return [{"kelas": kelas.value, "label": labels[kelas][0], "label_en": labels[kelas][1],
             "outstanding": amount, "outstanding_text": format_rupiah(amount)}
            for kelas, amount in amounts.items()]


@router.post("/close", response_model=CloseOut,
             responses=error_responses(CloseDateInFuture, PeriodClosed, *POSTING_DATE_ERRORS))
def close(body: CloseIn, writer: StaffWriter) -> Any:
    """Tutup hari pinjaman: denda, hari tunggakan, kolektibilitas, macet, penyisihan; each
    missed day first; a date already closed changes nothing. Needs an Idempotency-Key."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        report = close_day(session, body.tanggal or clock.today())
        days = [{"tanggal": d.date.isoformat(), "seq": d.seq, "pinjaman": d.loans,
                 "denda": sum(d.denda.values()), "perubahan_kolektibilitas": len(d.changes),
                 "macet": d.defaulted, "penyisihan": d.provision_delta} for d in report.days]
        out = {"sampai": report.through.isoformat(), "hari": days, "denda": report.denda_total,
               "denda_text": format_rupiah(report.denda_total),
               "penyisihan_akhir": report.provision_settled}
        return 200, out, report.days[-1].seq if report.days else None

    return writer.run(body.model_dump(mode="json"), act)


@router.get("/portfolio", response_model=PortfolioOut)
def portfolio_report(session: SessionDep, _staff: Reader, date: QueryDate = None) -> Any:
    """Portofolio pinjaman: outstanding per kolektibilitas (OJK 5 dan koperasi 4), NPL,
    kesehatan, penyisihan wajib vs tercatat, pihak terkait vs batas."""
    p = portfolio.portfolio_on(session, date or clock.today())
    return {
        "tanggal": p.date, "pinjaman": p.loans, "outstanding": p.outstanding,
        "outstanding_text": format_rupiah(p.outstanding),
        "kolektibilitas_ojk": _amounts(KOLEKTIBILITAS_LABEL, p.by_class),
        "kolektibilitas_koperasi": _amounts(KELAS_KOPERASI_LABEL, p.by_health_class),
        "npl_bps": p.npl_bps, "kesehatan": p.health_band,
        "penyisihan_wajib": p.provision_required, "penyisihan_tercatat": p.provision_posted,
        "pihak_terkait": p.related_party_outstanding, "batas_pihak_terkait": p.related_party_cap,
        "pihak_terkait_dalam_batas": p.related_party_within_cap,
    }


def _step(step: writeoff.WriteOffStep) -> dict[str, Any]:
    return {"loan_id": step.loan_id, "seq": step.seq, "persetujuan": list(step.approvals),
            "dihapusbukukan": step.written_off, "dari_cadangan": step.from_allowance,
            "seq_jurnal": step.entry_seq}


@router.post("/{loan_id}/write-off", status_code=201, response_model=WriteOffOut,
             responses=error_responses(UnknownLoan, WriteOffNeedsMacet,
                                       WriteOffAlreadyProposed))
def propose_write_off(loan_id: LoanId, body: NoteIn, writer: StaffWriter) -> Any:
    """Usulan hapus buku pinjaman macet (staf). Needs an Idempotency-Key."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        step = writeoff.propose_write_off(session, loan_id=loan_id,
                                          actor=writer.principal.actor,
                                          role=writer.principal.role.value, note=body.catatan)
        return 201, _step(step), step.seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


@router.post("/{loan_id}/write-off/approvals", status_code=201, response_model=WriteOffOut,
             responses=error_responses(UnknownLoan, WriteOffNeedsMacet, NoWriteOffProposal,
                                       ApproverIsProposer, WriteOffApproverRole,
                                       WriteOffAlreadyApproved, PeriodClosed,
                                       *POSTING_DATE_ERRORS))
def approve_write_off(loan_id: LoanId, body: NoteIn, writer: BoardsWriter) -> Any:
    """Persetujuan hapus buku oleh pengurus atau pengawas (bukan pengusul); persetujuan
    kedua (peran yang lain) membukukannya. Needs an Idempotency-Key."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        step = writeoff.approve_write_off(session, loan_id=loan_id,
                                          actor=writer.principal.actor,
                                          role=writer.principal.role.value, note=body.catatan)
        return 201, _step(step), step.seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


@router.post("/{loan_id}/recoveries", status_code=201, response_model=RecoveryOut,
             responses=error_responses(UnknownLoan, NotWrittenOff, RecoveryTooLarge,
                                       PeriodClosed, *POSTING_DATE_ERRORS))
def record_recovery(loan_id: LoanId, body: RecoveryIn, writer: StaffWriter) -> Any:
    """Pemulihan pinjaman hapus buku, paling banyak sisa yang dihapusbukukan. Needs an
    Idempotency-Key."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        r = writeoff.record_recovery(session, loan_id=loan_id, amount=body.amount)
        return 201, {"loan_id": r.loan_id, "seq": r.seq, "amount": r.amount,
                     "amount_text": format_rupiah(r.amount), "dipulihkan": r.recovered,
                     "sisa": r.remaining, "sisa_text": format_rupiah(r.remaining)}, r.seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


class RestructureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenor_months: int = Field(strict=True, ge=1, le=360, description="Jangka waktu baru")
    rate_bps: int | None = Field(None, strict=True, ge=0, le=10_000,
                                 description="Jasa per tahun (bps); default yang lama")
    catatan: OptionalText = Field(None, max_length=500)


class RestructuredOut(BaseModel):
    loan_id: int = Field(description="Pinjaman lama / the old loan")
    new_loan_id: int
    seq: int
    principal: int
    principal_text: str
    status_lama: str
    status_baru: str


def _restructured(r: restructure.Restructured) -> dict[str, Any]:
    return {"loan_id": r.old.id, "new_loan_id": r.new.id, "seq": r.seq,
            "principal": r.new.principal, "principal_text": format_rupiah(r.new.principal),
            "status_lama": r.old.status.value, "status_baru": r.new.status.value}


@router.post("/{loan_id}/restructuring", status_code=201, response_model=RestructuredOut,
             responses=error_responses(UnknownLoan, InvalidLoanState))
def propose_restructuring(loan_id: LoanId, body: RestructureIn, writer: StaffWriter) -> Any:
    """Usulan restrukturisasi: pinjaman baru untuk sisa pokok, disetujui dan ditandatangani
    lagi seperti pinjaman lain. Needs an Idempotency-Key."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        r = restructure.propose_restructuring(
            session, loan_id=loan_id, tenor_months=body.tenor_months, rate_bps=body.rate_bps,
            actor=writer.principal.actor, role=writer.principal.role.value, on=clock.today(),
            note=body.catatan)
        return 201, _restructured(r), r.seq

    return writer.run(body.model_dump(mode="json") | {"loan": loan_id}, act)


@router.post("/{loan_id}/take-over", response_model=RestructuredOut,
             responses=error_responses(UnknownLoan, InvalidLoanState, LoanNotAcceptedOnChain,
                                       RestructureOutdated))
def take_over(loan_id: LoanId, writer: StaffWriter) -> Any:
    """Pinjaman restrukturisasi yang sudah ditandatangani menggantikan yang lama (tanpa uang
    keluar). `loan_id` is the new loan. Needs an Idempotency-Key."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        r = restructure.take_over(session, loan_id=loan_id, actor=writer.principal.actor,
                                  role=writer.principal.role.value, on=clock.today())
        return 200, _restructured(r), r.seq

    return writer.run({"loan": loan_id}, act)
