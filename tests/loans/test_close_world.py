"""The daily close on a loan made the whole way through the API (apply, propose, approve,
the member's signed acceptance, disbursement, repayments): it falls behind after its first
instalment, defaults at day 181 (Defaulted queued for the chain), then the member pays
everything off: the loan service closes it lunas (Repaid on chain, the only way out of
Defaulted) and the next close releases its allowance. No chain runs (tests/loans/world.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.chain.outbox import OutboxKind
from ksp.core import clock
from ksp.loans import service
from ksp.loans.portfolio import allowance_balance
from tests.loans.world import make_world


@pytest.fixture
def world(settings, monkeypatch):
    yield make_world(settings, monkeypatch)
    clock.freeze(None)


def _close(world, day):
    world.at(day)
    return world.ok(world.post("/api/v1/loans/close", {}, "petugas"))


def test_a_loan_from_the_api_defaults_then_is_paid_off_and_its_allowance_released(world):
    n = world.member(1)
    loan = world.approved(n)  # 14 January 2026: first instalment due 14 February
    world.accepted(loan, n)
    world.at("2026-01-15")
    world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {}, "petugas"), 201)
    world.at("2026-02-14")
    paid = world.ok(world.post(f"/api/v1/loans/{loan}/repayments", {"amount": 916_800},
                               "petugas"), 201)
    assert (paid["jasa"], paid["pokok"]) == (150_000, 766_800)

    closed = _close(world, "2026-03-15")  # the second instalment is 1 day late
    assert closed["hari"][0]["tanggal"] == "2026-01-15"
    with world.client.app.state.sessionmaker() as session:
        row = service.get_loan(session, loan)
        assert (row.kolektibilitas, row.days_past_due) == ("dpk", 1)
        # 1% of Rp 9.233.200 while lancar, 5% once late.
        assert allowance_balance(session, dt.date(2026, 3, 14)) == 92_332
        assert allowance_balance(session, dt.date(2026, 3, 15)) == 461_660

    closed = _close(world, "2026-09-11")  # 14 March + 181 days
    assert closed["hari"][-1]["macet"] == [loan]
    [(ref, seq, data)] = world.outbox(OutboxKind.SET_LOAN_STATUS)
    assert (ref, data) == (f"loan:{loan}:status:{seq}",
                           {"member": n, "loan_id": loan, "status": 4})
    with world.client.app.state.sessionmaker() as session:
        assert service.get_loan(session, loan).status.value == "macet"
        assert allowance_balance(session, dt.date(2026, 9, 11)) == 9_233_200

    world.at("2026-09-12")
    with world.client.app.state.sessionmaker() as session:
        owed = service.position_of(session, service.get_loan(session, loan),
                                   dt.date(2026, 9, 12))
        total = owed.denda_due + owed.due_jasa + owed.outstanding_pokok
        assert owed.denda_due > 0
    paid = world.ok(world.post(f"/api/v1/loans/{loan}/repayments", {"amount": total},
                               "petugas"), 201)
    assert paid["denda"] == owed.denda_due
    statuses = [data["status"] for _ref, _seq, data in world.outbox(
        OutboxKind.SET_LOAN_STATUS)]
    assert statuses == [4, 3]  # Defaulted, then Repaid
    closed = _close(world, "2026-09-12")
    assert closed["hari"] == []  # no open loan left to close
    assert closed["penyisihan_akhir"] == -9_233_200
    with world.client.app.state.sessionmaker() as session:
        assert service.get_loan(session, loan).status.value == "lunas"
        assert allowance_balance(session, dt.date(2026, 9, 12)) == 0
