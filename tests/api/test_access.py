"""The role matrix: pengawas reads everything and writes nothing; a member reads only
their own data; wallet sign-in needs a fresh nonce signed by the address owner."""

from __future__ import annotations

import pytest
from eth_account.messages import encode_defunct

from ksp.auth.models import Role
from tests.support.client import KspClient, new_wallet
from tests.support.factories import anggota, deposit, person
from tests.support.rows import counts


@pytest.fixture
def world(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    wallets = [new_wallet(), new_wallet()]
    numbers = [anggota(client, admin, i + 1, wallet=w, tanggal="2025-01-10")
               for i, w in enumerate(wallets)]
    for n in numbers:
        deposit(client, admin, n, "sukarela", 40_000, "2025-01-11")
    return client, admin, wallets, numbers


def _forbidden(reply):
    assert reply.status_code == 403, reply.text
    assert reply.json()["code"] == "forbidden"


def test_pengawas_reads_everything_but_every_write_is_403(world):
    client, _admin, _wallets, (n, _m) = world
    pengawas = client.staff(Role.PENGAWAS)
    for path in ("/api/v1/reports/trial-balance?date=2025-12-31",
                 "/api/v1/reports/neraca?date=2025-12-31", "/api/v1/reports/phu?date=2025-12-31",
                 "/api/v1/members", f"/api/v1/members/{n}", f"/api/v1/members/{n}/savings",
                 f"/api/v1/members/{n}/statement", f"/api/v1/members/{n}/wajib-arrears",
                 "/api/v1/adart"):
        reply = client.get(path, pengawas)
        assert reply.status_code == 200, (path, reply.text)
    assert client.get("/api/v1/reports/neraca?date=2025-12-31",
                      pengawas).json()["aset"]["total"] == 280_000
    before = counts(client)
    writes = [("/api/v1/members", person(9)),
              (f"/api/v1/members/{n}/deposits", {"jenis": "sukarela", "amount": 1000}),
              (f"/api/v1/members/{n}/withdrawals", {"jenis": "sukarela", "amount": 1000}),
              (f"/api/v1/members/{n}/exit", {}),
              (f"/api/v1/members/{n}/wallet", client.wallet_proof(new_wallet())),
              ("/api/v1/periods/close", {"through": "2025-06-30"}),
              ("/api/v1/adart", {"effective_date": "2026-01-01",
                                 "changes": {"simpanan_wajib": 60_000}})]
    for path, body in writes:
        _forbidden(client.post(path, body, pengawas))
    assert counts(client) == before


def test_only_pengurus_closes_periods_and_changes_adart(world):
    client, admin, _wallets, _numbers = world
    _forbidden(client.post("/api/v1/periods/close", {"through": "2025-06-30"}, admin))
    _forbidden(client.post("/api/v1/adart", {"effective_date": "2026-01-01",
                                             "changes": {"simpanan_wajib": 60_000}}, admin))
    pengurus = client.staff(Role.PENGURUS)
    assert client.post("/api/v1/periods/close", {"through": "2025-06-30"},
                       pengurus).status_code == 200


def test_member_reads_own_data_only(world):
    client, _admin, (w1, _w2), (n, m) = world
    token = client.member_login(w1)
    me = client.get("/api/v1/auth/me", token).json()
    assert (me["role"], me["member"]) == ("anggota", n)
    profile = client.get(f"/api/v1/members/{n}", token)
    assert profile.status_code == 200 and profile.json()["nik"] == "1217014507900001"
    savings = client.get(f"/api/v1/members/{n}/savings", token)
    assert savings.status_code == 200
    assert savings.json()["balances"] == {"pokok": 100_000, "wajib": 0, "sukarela": 40_000}
    statement = client.get(f"/api/v1/members/{n}/statement", token)
    assert statement.status_code == 200 and len(statement.json()["lines"]) == 2
    for path in (f"/api/v1/members/{m}", f"/api/v1/members/{m}/savings",
                 f"/api/v1/members/{m}/statement", f"/api/v1/members/{m}/wajib-arrears",
                 "/api/v1/members", "/api/v1/reports/trial-balance",
                 "/api/v1/reports/neraca"):
        _forbidden(client.get(path, token))
    before = counts(client)
    _forbidden(client.post(f"/api/v1/members/{n}/deposits",
                           {"jenis": "sukarela", "amount": 1000}, token))
    _forbidden(client.post(f"/api/v1/members/{n}/withdrawals",
                           {"jenis": "sukarela", "amount": 1000}, token))
    assert counts(client) == before


def _wallet_login(client, proof):
    reply = client.http.post("/api/v1/auth/wallet", json=proof)
    assert reply.status_code != 500, reply.text
    return reply


def test_replayed_wallet_login_nonce_is_401(world):
    client, _admin, (w1, _w2), _numbers = world
    proof = client.wallet_proof(w1, "login")
    assert _wallet_login(client, proof).status_code == 200
    again = _wallet_login(client, proof)
    assert again.status_code == 401, again.text
    assert again.json()["code"] == "wallet_proof_invalid"
    assert again.json()["message"] and again.json()["message_en"]


def test_wallet_login_signed_by_another_key_is_401(world):
    client, _admin, (w1, w2), _numbers = world
    proof = client.wallet_proof(w1, "login")  # challenge for w1's address...
    forged = w2.sign_message(encode_defunct(text=proof["message"]))  # ...signed by w2
    reply = _wallet_login(client, {"message": proof["message"],
                                   "signature": "0x" + forged.signature.hex().removeprefix("0x")})
    assert reply.status_code == 401 and reply.json()["code"] == "wallet_proof_invalid"
    # The nonce was not burned by the forgery: the owner can still use it.
    assert _wallet_login(client, proof).status_code == 200


def test_wallet_login_with_link_challenge_or_unknown_wallet_is_401(world):
    client, _admin, (w1, _w2), _numbers = world
    link_proof = client.wallet_proof(w1, "link")
    reply = _wallet_login(client, link_proof)
    assert reply.status_code == 401 and reply.json()["code"] == "wallet_proof_invalid"
    stranger = new_wallet()
    reply = _wallet_login(client, client.wallet_proof(stranger, "login"))
    assert reply.status_code == 401 and reply.json()["code"] == "wallet_proof_invalid"
    garbage = dict(client.wallet_proof(w1, "login"), signature="0x1234")
    reply = _wallet_login(client, garbage)
    assert reply.status_code == 401 and reply.json()["code"] == "wallet_proof_invalid"


def test_exited_member_cannot_sign_in(world):
    client, admin, (w1, _w2), (n, _m) = world
    exit_body = {"tanggal": "2025-02-01", "alasan": "Surat keluar bulan lalu"}
    assert client.post(f"/api/v1/members/{n}/exit", exit_body, admin).status_code == 200
    reply = _wallet_login(client, client.wallet_proof(w1, "login"))
    assert reply.status_code == 401 and reply.json()["code"] == "wallet_proof_invalid"


def test_pengawas_writes_nothing_on_loans_but_the_boards_approvals(world):
    """The writes a pengawas makes on loans: approving a related-party loan (Permenkop 8/2023
    Pasal 44(1)) and approving a write-off (hapus buku needs both boards); on any other loan
    the loan approval is refused, and every other loan write is 403
    (tests/loans/test_routes_refusals.py approves a related-party loan as pengawas,
    tests/loans/test_portfolio_routes.py a write-off)."""
    client, admin, _wallets, (n, _m) = world
    pengawas = client.staff(Role.PENGAWAS)
    applied = client.post("/api/v1/loans", {"member": n, "principal": 1_000_000,
                                             "tenor_months": 12, "purpose": "Modal"}, admin)
    assert applied.status_code == 201, applied.text
    loan = applied.json()["id"]
    before = counts(client)
    for path, body in (("/api/v1/loans", {"member": n, "principal": 1_000_000,
                                          "tenor_months": 12, "purpose": "Modal"}),
                       (f"/api/v1/loans/{loan}/propose", {}),
                       (f"/api/v1/loans/{loan}/refuse", {}),
                       (f"/api/v1/loans/{loan}/cancel", {}),
                       (f"/api/v1/loans/{loan}/disbursement", {}),
                       (f"/api/v1/loans/{loan}/repayments", {"amount": 1000}),
                       ("/api/v1/loans/close", {}),
                       (f"/api/v1/loans/{loan}/write-off", {}),
                       (f"/api/v1/loans/{loan}/recoveries", {"amount": 1000}),
                       (f"/api/v1/loans/{loan}/restructuring", {"tenor_months": 12}),
                       (f"/api/v1/loans/{loan}/take-over", {})):
        _forbidden(client.post(path, body, pengawas))
    reply = client.http.put("/api/v1/loan-products/umum", json={
        "effective_date": "2026-01-01", "rules": {}}, headers=client.headers(pengawas))
    _forbidden(reply)
    assert client.post(f"/api/v1/loans/{loan}/propose", {}, admin).status_code == 200
    after_propose = counts(client)
    refused = client.post(f"/api/v1/loans/{loan}/approve", {}, pengawas)
    assert refused.status_code == 409 and refused.json()["code"] == "pengawas_not_needed"
    assert counts(client) == after_propose
    assert after_propose["log_entries"] == before["log_entries"] + 1
