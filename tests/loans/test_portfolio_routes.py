"""The portfolio over HTTP: staff run the close, read the portfolio, propose a write-off that
a pengurus and a pengawas approve, and record recoveries; refusals write nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.db import transaction
from tests.support.client import KspClient
from tests.support.factories import JOINED, join
from tests.support.loan_rows import disbursed_loan
from tests.support.rows import counts

TODAY = dt.date(2026, 8, 20)


@pytest.fixture
def world(settings):
    clock.freeze(dt.datetime.combine(TODAY, dt.time(5, 0), tzinfo=dt.UTC))
    client = KspClient(settings)
    with transaction(client.app.state.sessionmaker) as session:
        member = join(session, client.app.state.cipher, 1, on=dt.date.fromisoformat(JOINED))
        loan_id = disbursed_loan(session, member=member.number, first_due=dt.date(2026, 2, 15),
                                 disbursed_on=dt.date(2026, 1, 15)).id
    yield client, loan_id
    clock.freeze(None)


def test_close_portfolio_write_off_and_recovery(world):
    client, loan_id = world
    admin, pengurus = client.staff(Role.ADMIN), client.staff(Role.PENGURUS)
    pengawas = client.staff(Role.PENGAWAS)

    refused = client.post("/api/v1/loans/close", {"tanggal": "2026-08-15"}, pengawas)
    assert refused.status_code == 403
    reply = client.post("/api/v1/loans/close", {"tanggal": "2026-08-15"}, admin)
    assert reply.status_code == 200, reply.text
    closed = reply.json()
    assert closed["sampai"] == "2026-08-15"
    assert len(closed["hari"]) == (dt.date(2026, 8, 15) - dt.date(2026, 1, 15)).days + 1
    assert closed["hari"][-1]["macet"] == [loan_id]
    assert closed["hari"][-1]["penyisihan"] == 5_000_000
    future = client.post("/api/v1/loans/close", {"tanggal": "2026-08-21"}, admin)
    assert (future.status_code, future.json()["code"]) == (422, "close_date_in_future")

    reply = client.get("/api/v1/loans/portfolio?date=2026-08-15", pengawas)
    assert reply.status_code == 200, reply.text
    portfolio = reply.json()
    assert portfolio["outstanding_text"] == "Rp 10.000.000"
    assert {c["kelas"]: c["outstanding"] for c in portfolio["kolektibilitas_ojk"]} == {
        "lancar": 0, "dpk": 0, "kurang_lancar": 0, "diragukan": 0, "macet": 10_000_000}
    assert (portfolio["npl_bps"], portfolio["kesehatan"]) == (10_000, "Tidak Sehat")
    assert portfolio["penyisihan_wajib"] == portfolio["penyisihan_tercatat"] == 10_000_000
    assert len(portfolio["kolektibilitas_koperasi"]) == 4

    path = f"/api/v1/loans/{loan_id}/write-off"
    assert client.post(path, {"catatan": "Tidak tertagih"}, admin).status_code == 201
    own = client.post(f"{path}/approvals", {}, admin)
    assert own.status_code == 403  # an admin is neither board
    first = client.post(f"{path}/approvals", {}, pengurus)
    assert first.status_code == 201, first.text
    assert first.json()["dihapusbukukan"] == 0
    second = client.post(f"{path}/approvals", {}, pengawas)
    assert second.status_code == 201, second.text
    assert (second.json()["dihapusbukukan"], second.json()["dari_cadangan"]) == (
        10_000_000, 10_000_000)

    before = counts(client)
    too_much = client.post(f"/api/v1/loans/{loan_id}/recoveries", {"amount": 10_000_001}, admin)
    assert too_much.status_code == 422
    body = too_much.json()
    assert body["code"] == "recovery_too_large"
    assert "Rp 10.000.000" in body["message"] and "Rp 10.000.000" in body["message_en"]
    assert counts(client) == before
    reply = client.post(f"/api/v1/loans/{loan_id}/recoveries", {"amount": 1_000_000}, admin)
    assert reply.status_code == 201, reply.text
    assert (reply.json()["dipulihkan"], reply.json()["sisa_text"]) == (1_000_000, "Rp 9.000.000")


def test_the_proposer_cannot_approve_and_unknown_loans_are_404(world):
    client, loan_id = world
    pengurus = client.staff(Role.PENGURUS)
    client.post("/api/v1/loans/close", {"tanggal": "2026-08-15"}, pengurus)
    path = f"/api/v1/loans/{loan_id}/write-off"
    assert client.post(path, {}, pengurus).status_code == 201
    before = counts(client)
    own = client.post(f"{path}/approvals", {}, pengurus)
    assert (own.status_code, own.json()["code"]) == (409, "approver_is_proposer")
    assert counts(client) == before
    missing = client.post("/api/v1/loans/999/write-off", {}, pengurus)
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_loan")


def test_restructuring_is_proposed_over_http_and_not_taken_over_before_it_is_signed(world):
    """The approval and the signature are the loan service's (tests/loans/test_restructure.py
    takes a signed one over)."""
    client, loan_id = world
    admin = client.staff(Role.ADMIN)
    reply = client.post(f"/api/v1/loans/{loan_id}/restructuring", {"tenor_months": 24}, admin)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["loan_id"], body["principal_text"], body["status_lama"], body["status_baru"]) \
        == (loan_id, "Rp 10.000.000", "aktif", "diusulkan")
    before = counts(client)
    for target in (body["new_loan_id"], loan_id):
        early = client.post(f"/api/v1/loans/{target}/take-over", {}, admin)
        assert (early.status_code, early.json()["code"]) == (409, "invalid_loan_state")
    assert counts(client) == before
