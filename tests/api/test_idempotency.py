"""A retried write posts once: concurrent twins, sequential retries, and reused keys."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from ksp.auth.models import Role
from tests.support.client import KspClient
from tests.support.factories import anggota
from tests.support.rows import counts

TWINS = 10


def _member(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    n = anggota(client, admin, tanggal="2025-01-10")
    return client, admin, n


def _balance(client, token, n):
    return client.get(f"/api/v1/members/{n}/savings", token).json()["balances"]["sukarela"]


def test_ten_concurrent_twins_post_exactly_once(db_settings):
    client, admin, n = _member(db_settings)
    before = counts(client)
    body = {"jenis": "sukarela", "amount": 250_000, "tanggal": "2025-02-01",
            "alasan": "Slip terlambat"}
    headers = {"Authorization": f"Bearer {admin}", "Idempotency-Key": "setor-twin-1"}
    start = threading.Barrier(TWINS)

    def send(_i):
        http = TestClient(client.app)  # one client per thread, like separate retries
        start.wait(timeout=30)
        return http.post(f"/api/v1/members/{n}/deposits", json=body, headers=headers)

    with ThreadPoolExecutor(TWINS) as pool:
        replies = list(pool.map(send, range(TWINS)))

    assert [r.status_code for r in replies] == [201] * TWINS, [r.text for r in replies]
    bodies = [r.json() for r in replies]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["balance"] == 250_000
    after = counts(client)
    assert after["journal_entries"] == before["journal_entries"] + 1
    assert after["log_entries"] == before["log_entries"] + 1
    assert after["journal_lines"] == before["journal_lines"] + 2
    assert after["idempotency_records"] == before["idempotency_records"] + 1
    assert after["audit_events"] == before["audit_events"] + 1
    assert _balance(client, admin, n) == 250_000
    statement = client.get(f"/api/v1/members/{n}/statement", admin).json()["lines"]
    assert [x["seq"] for x in statement if x["jenis"] == "sukarela"] == [bodies[0]["seq"]]


def test_sequential_retry_returns_first_result(db_settings):
    client, admin, n = _member(db_settings)
    body = {"jenis": "sukarela", "amount": 70_000, "tanggal": "2025-02-01",
            "alasan": "Slip terlambat"}
    first = client.post(f"/api/v1/members/{n}/deposits", body, admin, key="retry-1")
    assert first.status_code == 201, first.text
    before = counts(client)
    again = client.post(f"/api/v1/members/{n}/deposits", body, admin, key="retry-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert counts(client) == before
    assert _balance(client, admin, n) == 70_000
    # A different key is a different request and does post.
    other = client.post(f"/api/v1/members/{n}/deposits", body, admin, key="retry-2")
    assert other.status_code == 201 and other.json()["seq"] != first.json()["seq"]
    assert _balance(client, admin, n) == 140_000


def test_same_key_with_different_body_is_refused(db_settings):
    client, admin, n = _member(db_settings)
    path = f"/api/v1/members/{n}/deposits"
    first = client.post(path, {"jenis": "sukarela", "amount": 70_000}, admin, key="reuse-1")
    assert first.status_code == 201, first.text
    before = counts(client)
    for changed in ({"jenis": "sukarela", "amount": 70_001},
                    {"jenis": "wajib", "amount": 70_000}):
        reply = client.post(path, changed, admin, key="reuse-1")
        assert reply.status_code == 422, reply.text
        body = reply.json()
        assert body["code"] == "idempotency_key_reused"
        assert body["message"] and body["message_en"]
    # Same key on another endpoint is a different request too.
    reply = client.post(f"/api/v1/members/{n}/withdrawals",
                        {"jenis": "sukarela", "amount": 70_000}, admin, key="reuse-1")
    assert reply.status_code == 422 and reply.json()["code"] == "idempotency_key_reused"
    assert counts(client) == before
    assert _balance(client, admin, n) == 70_000
