"""Backdated movements must not make any balance negative on any date."""

from __future__ import annotations

from ksp.auth.models import Role
from tests.support.client import KspClient
from tests.support.factories import anggota, deposit
from tests.support.rows import counts


def test_withdrawal_dated_before_the_deposit_is_refused(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    n = anggota(client, admin, tanggal="2025-01-10")
    deposit(client, admin, n, "sukarela", 50_000, "2025-03-01")
    before = counts(client)
    reply = client.post(f"/api/v1/members/{n}/withdrawals",
                        {"jenis": "sukarela", "amount": 50_000, "tanggal": "2025-02-01"}, admin)
    sheet = client.get("/api/v1/reports/neraca?date=2025-02-15", admin).json()
    assert sheet["kewajiban"]["total"] >= 0, "sukarela went negative on 2025-02-15"
    assert reply.status_code == 409 and reply.json()["code"] == "insufficient_balance"
    assert counts(client) == before


def test_exit_dated_before_joining_is_refused(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    n = anggota(client, admin, tanggal="2025-05-10")
    reply = client.post(f"/api/v1/members/{n}/exit", {"tanggal": "2025-01-01"}, admin)
    kas = client.get("/api/v1/reports/neraca?date=2025-01-31", admin).json()["aset"]["total"]
    assert kas >= 0, "Kas negative on 2025-01-31"
    assert reply.status_code in (409, 422), reply.text
