"""Members made the way the cooperative makes them: registered, admitted by paying simpanan
pokok, with a wallet, saving. Through the HTTP API as staff (`registered`, `register`,
`deposit`, `anggota`) or straight through the services in an open session
(`registration`, `join`). Serial n gives the same person on either path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.members import service as members
from ksp.members.models import Member
from ksp.savings import service as savings
from ksp.savings.service import Jenis

BIRTH = "1990-07-05"  # female: day 05 + 40 = 45 in the NIK
POKOK = 100_000  # simpanan pokok in the default AD/ART
JOINED = "2025-01-10"
BACKDATED = "Input buku kas lama"  # the date rules ask a reason for any past date


def nik(serial: int) -> str:
    return f"121701450790{serial:04d}"


def person(serial: int = 1, **over: Any) -> dict[str, Any]:
    """The registration body the API takes, for person `serial`."""
    body = {"nik": nik(serial), "name": f"Rosmawati Sinaga {serial}", "birth_date": BIRTH,
            "address": f"Jl. Danau Toba {serial}, Pangururan",
            "phone": f"0812345678{serial:02d}", "occupation": "Petani"}
    body.update(over)
    return body


def registration(serial: int = 1, **over: Any) -> members.Registration:
    """The same person as `person(serial)`, as the service takes it."""
    body = person(serial, **over)
    return members.Registration(
        nik=body["nik"], name=body["name"], birth_date=dt.date.fromisoformat(body["birth_date"]),
        address=body["address"], phone=body["phone"], occupation=body["occupation"])


# Through the HTTP API

def registered(client: Any, token: str, serial: int = 1, wallet: Any = None,
               **over: Any) -> dict[str, Any]:
    """Registers a calon anggota (linking `wallet`, an eth account, if given); the reply."""
    body = person(serial, **over)
    if wallet is not None:
        body["wallet"] = client.wallet_proof(wallet)
    reply = client.post("/api/v1/members", body, token)
    assert reply.status_code == 201, reply.text
    member: dict[str, Any] = reply.json()
    return member


def register(client: Any, token: str, serial: int = 1, wallet: Any = None,
             **over: Any) -> int:
    return int(registered(client, token, serial, wallet, **over)["number"])


def deposit(client: Any, token: str, number: int, jenis: str, amount: int,
            tanggal: str | None = None) -> Any:
    body: dict[str, Any] = {"jenis": jenis, "amount": amount}
    if tanggal:
        body["tanggal"] = tanggal
        if dt.date.fromisoformat(tanggal) < clock.today():
            body["alasan"] = BACKDATED  # backdating needs a reason
    reply = client.post(f"/api/v1/members/{number}/deposits", body, token)
    assert reply.status_code == 201, reply.text
    return reply.json()


def anggota(client: Any, token: str, serial: int = 1, wallet: Any = None,
            tanggal: str | None = JOINED, **over: Any) -> int:
    """A member admitted by paying simpanan pokok on `tanggal` (None: today)."""
    number = register(client, token, serial, wallet, **over)
    deposit(client, token, number, "pokok", POKOK, tanggal)
    return number


# Through the services

def join(session: Session, cipher: PiiCipher, serial: int = 1, *, on: dt.date,
         wallet_address: str | None = None, **over: Any) -> Member:
    """Registers person `serial` and books their simpanan pokok on `on`."""
    member = members.register(session, cipher, registration(serial, **over),
                              wallet_address=wallet_address)
    savings.deposit(session, member_number=member.number, jenis=Jenis.POKOK, amount=POKOK,
                    on=on, reason=BACKDATED if on < clock.today() else None)
    return member
