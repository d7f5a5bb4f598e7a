"""A member with a loan that has not ended cannot leave: the exit is refused with
member_has_open_loan naming the loan and its outstanding pokok, and nothing is written. Once
the loan is lunas the exit goes through. (An application or an approved offer does not hold
up the exit; approval and disbursement refuse a member who left: test_routes_refusals.)"""

from __future__ import annotations

import pytest

from ksp.core import clock
from tests.loans.test_routes_refusals import refused
from tests.loans.world import make_world


@pytest.fixture
def world(db_settings, monkeypatch):
    w = make_world(db_settings, monkeypatch)
    w.n = w.member(1)
    w.at("2026-01-15")
    yield w
    clock.freeze(None)


def test_a_member_with_a_paid_out_loan_cannot_exit_until_it_is_lunas(world):
    n = world.n
    loan = world.approved(n)
    world.accepted(loan, n)
    world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {}, "petugas"), 201)
    world.at("2026-02-15")
    # Instalment 1 of the annuity table (docs/LOANS.md): pokok 766.800, jasa 150.000.
    world.ok(world.post(f"/api/v1/loans/{loan}/repayments", {"amount": 916_800}, "petugas"), 201)

    body = refused(world, lambda: world.post(f"/api/v1/members/{n}/exit", {}, "petugas"),
                   409, "member_has_open_loan")
    assert body["message"] == (
        f"Anggota {n} masih memiliki pinjaman {loan} (aktif, sisa pokok Rp 9.233.200); "
        "lunasi pinjaman itu sebelum keluar.")
    assert body["message_en"] == (
        f"Member {n} still has loan {loan} (aktif, outstanding pokok Rp 9.233.200); "
        "repay that loan before exiting.")

    world.at("2026-03-15")
    # The rest of the pokok with instalment 2's jasa (138.498) closes it.
    last = world.ok(world.post(f"/api/v1/loans/{loan}/repayments",
                               {"amount": 9_233_200 + 138_498}, "petugas"), 201)
    assert last["status"] == "lunas"
    left = world.ok(world.post(f"/api/v1/members/{n}/exit", {}, "petugas"))
    assert left["status"] == "keluar"
