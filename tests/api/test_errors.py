"""Bad input gets a clear 4xx with a stable code and bilingual message, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from ksp.auth.models import Role
from tests.support.client import KspClient, new_wallet
from tests.support.factories import anggota, deposit, person, register
from tests.support.rows import counts

DEPOSITS = "/api/v1/members/{n}/deposits"


class Setup:
    def __init__(self, db_settings: Any) -> None:
        self.client = KspClient(db_settings)
        self.admin = self.client.staff(Role.ADMIN)
        self.wallet = new_wallet()
        self.n = anggota(self.client, self.admin, 1, wallet=self.wallet, tanggal="2025-01-10")
        deposit(self.client, self.admin, self.n, "wajib", 50_000, "2025-01-10")
        deposit(self.client, self.admin, self.n, "sukarela", 300_000, "2025-01-10")

    def rejected(self, send: Any, status: int, code: str) -> dict:
        """Sends once; asserts the error shape and that no row was written anywhere."""
        before = counts(self.client)
        reply = send()
        assert reply.status_code != 500, reply.text
        assert reply.status_code == status, reply.text
        body = reply.json()
        assert body["code"] == code, body
        assert isinstance(body["message"], str) and body["message"].strip()
        assert isinstance(body["message_en"], str) and body["message_en"].strip()
        assert isinstance(body.get("details"), dict)
        assert counts(self.client) == before, "a rejected request wrote rows"
        return body

    def post(self, path: str, body: Any, token: str | None = None, key: str | None = None):
        return lambda: self.client.post(path, body, token or self.admin, key)


@pytest.fixture
def s(db_settings):
    return Setup(db_settings)


@pytest.mark.parametrize("nik", [
    "1217013207900001",  # day 32
    "1217014513900001",  # month 13
    "121701450790001",  # 15 digits
    "12170145079000011",  # 17 digits
    "12170145079000AB",  # letters
    "9917014507900001",  # unknown province
])
def test_invalid_nik_is_rejected_without_writes(s, nik):
    body = s.rejected(s.post("/api/v1/members", person(5, nik=nik)), 422, "invalid_nik")
    assert nik not in str(body)  # the NIK is not echoed back


def test_nik_with_other_birth_date_is_rejected(s):
    s.rejected(s.post("/api/v1/members", person(5, birth_date="1990-07-06")), 422,
               "invalid_nik")
    s.rejected(s.post("/api/v1/members", person(5, birth_date="1991-07-05")), 422,
               "invalid_nik")
    s.rejected(s.post("/api/v1/members", person(5, birth_date="1990-08-05")), 422,
               "invalid_nik")


def test_duplicate_nik_is_rejected(s):
    body = s.rejected(s.post("/api/v1/members", person(1, name="Orang Lain", phone="0899999999")),
                      409, "duplicate_nik")
    assert body["details"]["number"] == s.n


@pytest.mark.parametrize("amount", [100000.5, 100000.0, "100000", -50_000, 0, 10**16, 10**30,
                                    True, None])
def test_bad_amount_is_rejected(s, amount):
    s.rejected(s.post(DEPOSITS.format(n=s.n), {"jenis": "sukarela", "amount": amount}),
               422, "invalid_input")


def test_bad_jenis_and_unknown_fields_are_rejected(s):
    s.rejected(s.post(DEPOSITS.format(n=s.n), {"jenis": "emas", "amount": 1000}),
               422, "invalid_input")
    s.rejected(s.post(DEPOSITS.format(n=s.n),
                      {"jenis": "sukarela", "amount": 1000, "member": 2}), 422, "invalid_input")


def test_withdrawal_above_balance_is_rejected(s):
    body = s.rejected(s.post(f"/api/v1/members/{s.n}/withdrawals",
                             {"jenis": "sukarela", "amount": 300_001}), 409,
                      "insufficient_balance")
    assert "300.000" in body["message"]


@pytest.mark.parametrize("jenis", ["pokok", "wajib"])
def test_active_member_cannot_withdraw_pokok_or_wajib(s, jenis):
    s.rejected(s.post(f"/api/v1/members/{s.n}/withdrawals", {"jenis": jenis, "amount": 10_000}),
               409, "withdrawal_not_allowed")


def test_posting_into_closed_period_is_refused(s):
    pengurus = s.client.staff(Role.PENGURUS)
    closed = s.client.post("/api/v1/periods/close", {"through": "2025-06-30"}, pengurus)
    assert closed.status_code == 200, closed.text
    s.rejected(s.post(DEPOSITS.format(n=s.n),
                      {"jenis": "sukarela", "amount": 1000, "tanggal": "2025-06-15"}),
               409, "period_closed")
    s.rejected(s.post(DEPOSITS.format(n=s.n),
                      {"jenis": "sukarela", "amount": 1000, "tanggal": "2025-06-30"}),
               409, "period_closed")
    s.rejected(s.post(f"/api/v1/members/{s.n}/exit", {"tanggal": "2025-06-01"}),
               409, "period_closed")
    # Re-closing an earlier or equal date is refused too; the next day is open.
    s.rejected(s.post("/api/v1/periods/close", {"through": "2025-05-31"}, pengurus),
               409, "period_closed")
    deposit(s.client, s.admin, s.n, "sukarela", 1000, "2025-07-01")


def test_unknown_member_is_404(s):
    s.rejected(s.post(DEPOSITS.format(n=999), {"jenis": "sukarela", "amount": 1000}),
               404, "unknown_member")
    s.rejected(s.post("/api/v1/members/999/withdrawals", {"jenis": "sukarela", "amount": 1}),
               404, "unknown_member")
    s.rejected(s.post("/api/v1/members/999/exit", {}), 404, "unknown_member")
    s.rejected(lambda: s.client.get("/api/v1/members/999", s.admin), 404, "unknown_member")
    s.rejected(lambda: s.client.get("/api/v1/members/999/savings", s.admin), 404,
               "unknown_member")


def test_wrong_role_is_403(s):
    pengawas = s.client.staff(Role.PENGAWAS)
    s.rejected(s.post(DEPOSITS.format(n=s.n), {"jenis": "sukarela", "amount": 1000}, pengawas),
               403, "forbidden")
    s.rejected(s.post("/api/v1/periods/close", {"through": "2025-06-30"}), 403, "forbidden")


def test_member_cannot_read_another_member(s):
    other = register(s.client, s.admin, 2)
    token = s.client.member_login(s.wallet)
    for path in ("", "/savings", "/statement", "/wajib-arrears"):
        s.rejected(lambda p=path: s.client.get(f"/api/v1/members/{other}{p}", token),
                   403, "forbidden")


def test_missing_or_bad_token_is_401(s):
    http = s.client.http
    s.rejected(lambda: http.post(DEPOSITS.format(n=s.n), json={"jenis": "sukarela",
               "amount": 1000}, headers={"Idempotency-Key": "x-1"}), 401, "unauthenticated")
    s.rejected(lambda: http.get(f"/api/v1/members/{s.n}/savings"), 401, "unauthenticated")
    s.rejected(lambda: http.get(f"/api/v1/members/{s.n}", headers={
        "Authorization": "Bearer " + s.admin[:-2] + "xx"}), 401, "unauthenticated")


def test_missing_idempotency_key_is_400(s):
    s.rejected(lambda: s.client.http.post(
        DEPOSITS.format(n=s.n), json={"jenis": "sukarela", "amount": 1000},
        headers={"Authorization": f"Bearer {s.admin}"}), 400, "idempotency_key_required")


def _no_raise(s):
    from fastapi.testclient import TestClient

    s.client.http = TestClient(s.client.app, raise_server_exceptions=False)


def test_member_number_beyond_bigint_is_not_500(s):
    _no_raise(s)
    big = 2**63
    s.rejected(lambda: s.client.get(f"/api/v1/members/{big}/savings", s.admin), 422,
               "invalid_input")
    s.rejected(s.post(DEPOSITS.format(n=big), {"jenis": "sukarela", "amount": 1}), 422,
               "invalid_input")


def test_arrears_far_future_is_not_500(s):
    _no_raise(s)
    reply = s.client.get(f"/api/v1/members/{s.n}/wajib-arrears?as_of=9999-12-31", s.admin)
    assert reply.status_code < 500, reply.text
