from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ksp.api.deps import (
    CurrentPrincipal,
    MemberNumber,
    SessionDep,
    Writer,
    require_member_access,
    writer_for,
)
from ksp.api.openapi import error_responses
from ksp.api.types import OptionalText, QueryDate, Tanggal
from ksp.auth.service import WRITE
from ksp.core import clock
from ksp.core.errors import Forbidden
from ksp.core.money import MAX_AMOUNT, format_rupiah
from ksp.ledger.dates import POSTING_DATE_ERRORS
from ksp.ledger.errors import PeriodClosed
from ksp.members.errors import MemberNotActive, UnknownMember
from ksp.members.service import get_member
from ksp.savings import service
from ksp.savings.errors import (
    InsufficientBalance,
    InvalidAmount,
    PokokAlreadyPaid,
    PokokAmountMismatch,
    WithdrawalNotAllowed,
)
from ksp.savings.service import Jenis, Movement
from ksp.savings.sync import chain_sync

router = APIRouter(prefix="/api/v1", tags=["simpanan"])
TellerWriter = Annotated[Writer, Depends(writer_for(*WRITE))]


class MovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jenis: Jenis
    amount: int = Field(strict=True, gt=0, le=MAX_AMOUNT, description="Rupiah, bilangan bulat")
    tanggal: Tanggal | None = Field(None, description="Tanggal buku; default hari ini")
    alasan: OptionalText = Field(None, max_length=200,
                                     description="Alasan, wajib bila tanggal sebelum hari ini")


class MovementOut(BaseModel):
    seq: int = Field(description="Nomor urut entri log")
    member: int
    jenis: Jenis
    amount: int
    amount_text: str = Field(description="mis. Rp 1.250.000")
    balance: int = Field(description="Saldo jenis ini sesudahnya / balance afterwards")
    balance_text: str
    tanggal: dt.date


class Balances(BaseModel):
    member: int
    balances: dict[str, int]
    balances_text: dict[str, str]
    total: int
    chain_synced_through_seq: int | None = Field(
        description="Entri simpanan anggota ini sampai seq ini sudah di rantai / the member's "
                    "savings entries through this seq are on chain (null: none yet)")
    pending_on_chain: int = Field(
        description="Jumlah entri simpanan yang belum di rantai / savings entries not yet on "
                    "chain (outbox pending or sent)")
    pending_on_chain_amounts: dict[str, int] = Field(
        description="Per jenis: saldo buku dikurangi saldo token yang diharapkan / per jenis, "
                    "what the chain still lacks in rupiah")


class StatementLineOut(BaseModel):
    seq: int
    tanggal: dt.date
    jenis: Jenis
    kind: str
    setor: int
    tarik: int
    saldo: int


class Statement(BaseModel):
    member: int
    lines: list[StatementLineOut]


class Arrears(BaseModel):
    member: int
    months_due: int
    amount_due: int
    paid: int
    arrears: int
    arrears_text: str


MOVEMENT_ERRORS = (UnknownMember, MemberNotActive, InvalidAmount, PeriodClosed,
                   *POSTING_DATE_ERRORS)


def _movement(m: Movement) -> dict[str, Any]:
    return {"seq": m.seq, "member": m.member, "jenis": m.jenis.value, "amount": m.amount,
            "amount_text": format_rupiah(m.amount), "balance": m.balance,
            "balance_text": format_rupiah(m.balance), "tanggal": m.date.isoformat()}


@router.post("/members/{number}/deposits", status_code=201, response_model=MovementOut,
             responses=error_responses(*MOVEMENT_ERRORS, PokokAlreadyPaid,
                                       PokokAmountMismatch))
def deposit(number: MemberNumber, body: MovementIn, writer: TellerWriter) -> Any:
    """Setoran simpanan (pokok, wajib, sukarela). Needs an Idempotency-Key header."""
    def act(session: Any) -> tuple[int, Any, int]:
        m = service.deposit(session, member_number=number, jenis=body.jenis, amount=body.amount,
                            on=body.tanggal or clock.today(), reason=body.alasan)
        return 201, _movement(m), m.seq

    return writer.run(body.model_dump(mode="json") | {"member": number}, act)


@router.post("/members/{number}/withdrawals", status_code=201, response_model=MovementOut,
             responses=error_responses(*MOVEMENT_ERRORS, WithdrawalNotAllowed,
                                       InsufficientBalance))
def withdraw(number: MemberNumber, body: MovementIn, writer: TellerWriter) -> Any:
    """Penarikan simpanan sukarela. Needs an Idempotency-Key header."""
    def act(session: Any) -> tuple[int, Any, int]:
        m = service.withdraw(session, member_number=number, jenis=body.jenis,
                             amount=body.amount, on=body.tanggal or clock.today(),
                             reason=body.alasan)
        return 201, _movement(m), m.seq

    return writer.run(body.model_dump(mode="json") | {"member": number}, act)


@router.get("/members/{number}/savings", response_model=Balances,
            responses=error_responses(UnknownMember, Forbidden))
def savings(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep) -> Any:
    require_member_access(principal, number)
    get_member(session, number)  # an unknown member is a 404, not empty balances
    balances = service.balances(session, number)
    behind = chain_sync(session, member_number=number, balances=balances)
    return {"member": number,
            "balances": {j.value: b for j, b in balances.items()},
            "balances_text": {j.value: format_rupiah(b) for j, b in balances.items()},
            "total": sum(balances.values()),
            "chain_synced_through_seq": behind.synced_through_seq,
            "pending_on_chain": len(behind.pending_seqs),
            "pending_on_chain_amounts": {j.value: a for j, a in behind.pending_amounts.items()}}


@router.get("/members/{number}/statement", response_model=Statement,
            responses=error_responses(UnknownMember, Forbidden))
def statement(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep) -> Any:
    require_member_access(principal, number)
    lines = service.statement(session, member_number=number)
    return {"member": number, "lines": [
        {"seq": x.seq, "tanggal": x.date.isoformat(), "jenis": x.jenis.value, "kind": x.kind,
         "setor": x.deposit, "tarik": x.withdrawal, "saldo": x.balance} for x in lines]}


@router.get("/members/{number}/wajib-arrears", response_model=Arrears,
            responses=error_responses(UnknownMember, Forbidden))
def arrears(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep,
            as_of: QueryDate = None) -> Any:
    require_member_access(principal, number)
    a = service.wajib_arrears(session, member_number=number, as_of=as_of or clock.today())
    return {"member": number, "months_due": a.months_due, "amount_due": a.amount_due,
            "paid": a.paid, "arrears": a.arrears, "arrears_text": format_rupiah(a.arrears)}
