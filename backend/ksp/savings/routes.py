from __future__ import annotations

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
from ksp.auth.service import WRITE
from ksp.core import clock
from ksp.core.money import MAX_AMOUNT, format_rupiah
from ksp.ledger.dates import KspDate
from ksp.members.service import get_member
from ksp.savings import service
from ksp.savings.service import Jenis, Movement

router = APIRouter(prefix="/api/v1", tags=["simpanan"])
TellerWriter = Annotated[Writer, Depends(writer_for(*WRITE))]


class MovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jenis: Jenis
    amount: int = Field(strict=True, gt=0, le=MAX_AMOUNT, description="Rupiah, bilangan bulat")
    tanggal: KspDate | None = Field(None, description="Tanggal buku; default hari ini")
    alasan: str | None = Field(None, max_length=200,
                               description="Alasan, wajib bila tanggal sebelum hari ini")


def _movement(m: Movement) -> dict[str, Any]:
    return {"seq": m.seq, "member": m.member, "jenis": m.jenis.value, "amount": m.amount,
            "amount_text": format_rupiah(m.amount), "balance": m.balance,
            "balance_text": format_rupiah(m.balance), "tanggal": m.date.isoformat()}


@router.post("/members/{number}/deposits", status_code=201)
def deposit(number: MemberNumber, body: MovementIn, writer: TellerWriter) -> Any:
    """Setoran simpanan (pokok, wajib, sukarela). Needs an Idempotency-Key header."""
    def act(session: Any) -> tuple[int, Any, int]:
        m = service.deposit(session, member_number=number, jenis=body.jenis, amount=body.amount,
                            on=body.tanggal or clock.today(), reason=body.alasan)
        return 201, _movement(m), m.seq

    return writer.run(body.model_dump(mode="json") | {"member": number}, act)


@router.post("/members/{number}/withdrawals", status_code=201)
def withdraw(number: MemberNumber, body: MovementIn, writer: TellerWriter) -> Any:
    """Penarikan simpanan sukarela. Needs an Idempotency-Key header."""
    def act(session: Any) -> tuple[int, Any, int]:
        m = service.withdraw(session, member_number=number, jenis=body.jenis,
                             amount=body.amount, on=body.tanggal or clock.today(),
                             reason=body.alasan)
        return 201, _movement(m), m.seq

    return writer.run(body.model_dump(mode="json") | {"member": number}, act)


@router.get("/members/{number}/savings")
def savings(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep) -> Any:
    require_member_access(principal, number)
    get_member(session, number)  # an unknown member is a 404, not empty balances
    balances = service.balances(session, number)
    return {"member": number,
            "balances": {j.value: b for j, b in balances.items()},
            "balances_text": {j.value: format_rupiah(b) for j, b in balances.items()},
            "total": sum(balances.values())}


@router.get("/members/{number}/statement")
def statement(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep) -> Any:
    require_member_access(principal, number)
    lines = service.statement(session, member_number=number)
    return {"member": number, "lines": [
        {"seq": x.seq, "tanggal": x.date.isoformat(), "jenis": x.jenis.value, "kind": x.kind,
         "setor": x.deposit, "tarik": x.withdrawal, "saldo": x.balance} for x in lines]}


@router.get("/members/{number}/wajib-arrears")
def arrears(number: MemberNumber, principal: CurrentPrincipal, session: SessionDep,
            as_of: KspDate | None = None) -> Any:
    require_member_access(principal, number)
    a = service.wajib_arrears(session, member_number=number, as_of=as_of or clock.today())
    return {"member": number, "months_due": a.months_due, "amount_due": a.amount_due,
            "paid": a.paid, "arrears": a.arrears, "arrears_text": format_rupiah(a.arrears)}
