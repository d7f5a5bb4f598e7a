"""A flat loan of Rp 10.000.000 / 12 months / 18%, paid out into the member's sukarela, its
first instalment paid 45 days late with the denda the product's rule accrues (0,1% a day of
what is overdue after 3 grace days; allocation denda → jasa → pokok), the third from sukarela
on the member's instruction, then the rest prepaid with an overpayment kept as sukarela.

The daily close accrues the denda (`ksp.loans.close.close_day`, run through 31 March). No
chain runs: the ACCEPT_LOAN row is marked INCLUDED for the worker (tests/loans/world.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ksp.chain.outbox import OutboxKind
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger import chart
from ksp.ledger.reports import member_balances, trial_balance
from ksp.loans.close import close_day
from ksp.loans.models import LoanDendaAccrual
from tests.loans.world import make_world


@pytest.fixture
def world(settings, monkeypatch):
    yield make_world(settings, monkeypatch)
    clock.freeze(None)


def _close_through(world, loan_id, last):
    """Runs the daily close through `last` (every missed day, in order) and returns the
    denda it accrued on the loan."""
    world.at(last.isoformat())
    with transaction(world.client.app.state.sessionmaker) as session:
        close_day(session, last)
        return sum(session.scalars(select(LoanDendaAccrual.amount)
                                   .where(LoanDendaAccrual.loan_id == loan_id)))


def test_late_instalment_denda_sukarela_and_overpayment_kept(world):
    n = world.member(1, sukarela=500_000)
    world.ok(world.put("/api/v1/loan-products/flat", {
        "effective_date": "2026-01-01",
        "rules": {"name": "Pinjaman flat", "method": "flat", "rate_min_bps": 1800,
                  "rate_max_bps": 1800, "tenor_min": 12, "tenor_max": 12,
                  "overpayment": "simpan_sukarela"}}, "ketua"))
    world.at("2026-01-15")
    loan = world.approved(n, product="flat")
    world.accepted(loan, n)
    out = world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {"ke": "sukarela"},
                              "petugas"), 201)
    assert out["paid_out"] == 9_900_000
    [(_ref, seq, mirror)] = [m for m in world.outbox(OutboxKind.MIRROR_SAVINGS)
                             if m[1] == out["seq"]]
    assert mirror["delta"] == 9_900_000 and mirror["token_id"] == 3
    sukarela = world.ok(world.get(f"/api/v1/members/{n}/savings", "petugas"))["balances"]
    assert sukarela["sukarela"] == 500_000 + 9_900_000

    # Instalment 1 (Rp 983.333, due 15 Feb) is not paid; instalment 2 falls due on 15 March.
    # 16–18 Feb: grace. 19 Feb – 15 Mar: 25 days × Rp 983 (983.333 × 0,1% rounded) = 24.575
    # (on 15 March instalment 2 is due, not yet late). 16–31 Mar: both instalments, 16 days ×
    # Rp 1.967 (1.966.666 × 0,1%) = 31.472. Together Rp 56.047.
    assert _close_through(world, loan, dt.date(2026, 3, 31)) == 56_047
    world.at("2026-04-01")  # 45 days after 15 February
    owed = world.ok(world.get(f"/api/v1/loans/{loan}/schedule", f"anggota:{n}"))
    assert (owed["denda_due"], owed["due_jasa"], owed["due_pokok"], owed["days_past_due"],
            owed["next_instalment"]) == (56_047, 300_000, 1_666_666, 45, 1)
    assert [i["state"] for i in owed["instalments"][:3]] == [
        "terlambat", "terlambat", "belum jatuh tempo"]
    late = world.ok(world.post(f"/api/v1/loans/{loan}/repayments",
                               {"amount": 56_047 + 2 * 983_333}, "petugas"), 201)
    assert (late["denda"], late["jasa"], late["pokok"]) == (56_047, 300_000, 1_666_666)

    world.at("2026-04-15")
    from_savings = world.ok(world.post(f"/api/v1/loans/{loan}/repayments",
                                       {"amount": 983_333, "sumber": "sukarela"}, "petugas"),
                            201)
    assert (from_savings["channel"], from_savings["jasa"], from_savings["pokok"]) == (
        "sukarela", 150_000, 833_333)
    [(_ref, _seq, mirror)] = [m for m in world.outbox(OutboxKind.MIRROR_SAVINGS)
                              if m[1] == from_savings["seq"]]
    assert mirror["delta"] == -983_333

    world.at("2026-05-15")
    outstanding = 10_000_000 - 3 * 833_333  # 7.500.001
    last = world.ok(world.post(f"/api/v1/loans/{loan}/repayments",
                               {"amount": 150_000 + outstanding + 9_999}, "petugas"), 201)
    assert (last["jasa"], last["pokok"], last["prepaid_pokok"], last["to_sukarela"],
            last["amount"], last["status"]) == (150_000, outstanding, outstanding - 833_333,
                                                9_999, 150_000 + outstanding, "lunas")
    with world.client.app.state.sessionmaker() as session:
        rows = {r.code: r for r in trial_balance(session, through=dt.date(2026, 5, 15))}
        assert sum(r.debit for r in rows.values()) == sum(r.credit for r in rows.values())
        assert rows[chart.PENDAPATAN_DENDA].balance == 56_047
        assert rows[chart.PENDAPATAN_JASA_PINJAMAN].balance == 4 * 150_000
        assert member_balances(session, member=n).get(chart.PIUTANG_PINJAMAN, 0) == 0
    balances = world.ok(world.get(f"/api/v1/members/{n}/savings", "petugas"))["balances"]
    assert balances["sukarela"] == 500_000 + 9_900_000 - 983_333 + 9_999
