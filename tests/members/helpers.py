"""Shared helpers for the ledger/members/api acceptance tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ksp.audit.models import AuditEvent
from ksp.core.idempotency import IdempotencyRecord
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry
from ksp.members.models import Member

BIRTH = "1990-07-05"  # female: day 05 + 40 = 45 in the NIK


def nik(serial: int) -> str:
    return f"121701450790{serial:04d}"


def person(serial: int = 1, **over: Any) -> dict[str, Any]:
    body = {"nik": nik(serial), "name": f"Rosmawati Sinaga {serial}", "birth_date": BIRTH,
            "address": f"Jl. Danau Toba {serial}, Pangururan",
            "phone": f"0812345678{serial:02d}", "occupation": "Petani"}
    body.update(over)
    return body


def register(client: Any, token: str, serial: int = 1, wallet: Any = None,
             **over: Any) -> int:
    body = person(serial, **over)
    if wallet is not None:
        body["wallet"] = client.wallet_proof(wallet)
    reply = client.post("/api/v1/members", body, token)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["number"])


def deposit(client: Any, token: str, number: int, jenis: str, amount: int,
            tanggal: str | None = None) -> Any:
    body: dict[str, Any] = {"jenis": jenis, "amount": amount}
    if tanggal:
        body["tanggal"] = tanggal
        body["alasan"] = "Input buku kas lama"  # backdating needs a reason
    reply = client.post(f"/api/v1/members/{number}/deposits", body, token)
    assert reply.status_code == 201, reply.text
    return reply.json()


COUNTED = {"log_entries": LogEntry, "journal_entries": JournalEntry,
           "journal_lines": JournalLine, "members": Member,
           "idempotency_records": IdempotencyRecord, "audit_events": AuditEvent}


def counts(client: Any) -> dict[str, int]:
    with client.app.state.sessionmaker() as session:
        return {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in COUNTED.items()}
