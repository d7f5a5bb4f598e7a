"""Worked stories (hordak style), one per method: Rp 10.000.000 over 12 months at 18% p.a.
Applied and approved on 2026-01-15 (first instalment 2026-02-15, the tables of docs/LOANS.md),
signed by the member's wallet, paid out, two instalments paid on their days, then the rest
prepaid with instalment 3: the loan closes LUNAS, Repaid is queued for the chain, the books
balance and the member owes nothing.

No chain runs here: after the member's signature is relayed the test marks the ACCEPT_LOAN
outbox row INCLUDED, standing for the chain worker (tests/loans/world.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import rfc8785
from sqlalchemy import select

from ksp.anchoring.merkle import keccak256
from ksp.chain.outbox import OutboxKind
from ksp.core import clock
from ksp.ledger import chart
from ksp.ledger.models import JournalEntry, JournalLine
from ksp.ledger.reports import member_balances, trial_balance
from ksp.loans.service import unix_day
from tests.loans.world import make_world


@pytest.fixture
def world(db_settings, monkeypatch):
    yield make_world(db_settings, monkeypatch)
    clock.freeze(None)


# method -> (instalments 1..3 as (pokok, jasa)), from docs/LOANS.md
TABLES = {
    "flat": [(833_333, 150_000), (833_333, 150_000), (833_333, 150_000)],
    "declining": [(833_333, 150_000), (833_333, 137_500), (833_333, 125_000)],
    "annuity": [(766_800, 150_000), (778_302, 138_498), (789_977, 126_823)],
}
METHOD_CODE = {"flat": 0, "declining": 1, "annuity": 2}


def _legs(world, seq):
    with world.client.app.state.sessionmaker() as session:
        entry = session.scalars(select(JournalEntry).where(JournalEntry.seq == seq)).one()
        return sorted((line.account_code, str(line.side), line.amount, line.member_number)
                      for line in session.scalars(select(JournalLine)
                                                  .where(JournalLine.entry_id == entry.id)))


@pytest.mark.parametrize("method", ["flat", "declining", "annuity"])
def test_a_loan_from_application_to_lunas(world, method):
    n = world.member(1)
    product = "umum"
    if method != "annuity":  # "umum" is annuity; the other methods are products of their own
        product = f"uji-{method}"
        world.ok(world.put(f"/api/v1/loan-products/{product}", {
            "effective_date": "2026-01-01",
            "rules": {"name": f"Pinjaman {method}", "method": method, "rate_min_bps": 1200,
                      "rate_max_bps": 2400, "tenor_min": 1, "tenor_max": 36}}, "ketua"))

    world.at("2026-01-15")
    loan = world.apply(n, product=product)
    # The score: wajib 650.000 of 650.000 due (25/25); savings 2.750.000 >= 20% of the loan
    # (20/20); no loan history (half of 25 = 13); 12 of 24 months a member (5/10); instalments
    # under 30% of the income 5.000.000 (20/20).
    score = world.ok(world.get(f"/api/v1/loans/{loan}/assessment", "petugas"))
    assert [(f["key"], f["points"], f["max_points"]) for f in score["factors"]] == [
        ("wajib", 25, 25), ("simpanan", 20, 20), ("riwayat", 13, 25), ("keanggotaan", 5, 10),
        ("dsr", 20, 20)]
    assert (score["total"], score["max_total"], score["band"]) == (83, 100, "layak")

    world.ok(world.post(f"/api/v1/loans/{loan}/propose", {"catatan": "lengkap"}, "petugas"))
    approval = world.ok(world.post(f"/api/v1/loans/{loan}/approve", {}, "ketua"))
    assert approval["final"] and approval["loan"]["status"] == "disetujui"
    assert [(d["action"], d["actor"]) for d in approval["loan"]["decisions"]] == [
        ("ajukan", f"anggota:{n}"), ("usulkan", "petugas"), ("setujui", "ketua")]

    body = world.ok(world.get(f"/api/v1/loans/{loan}/terms", f"anggota:{n}"))
    terms = body["terms"]
    assert body["terms_hash"] == "0x" + keccak256(rfc8785.dumps(terms)).hex()
    assert (terms["principal"], terms["rate_bps"], terms["tenor_months"], terms["admin_fee"],
            terms["first_due_date"]) == (10_000_000, 1800, 12, 100_000, "2026-02-15")
    assert [(r["pokok"], r["jasa"]) for r in terms["schedule"][:3]] == TABLES[method]
    assert sum(r["pokok"] for r in terms["schedule"]) == 10_000_000
    assert world.outbox(OutboxKind.REGISTER_LOAN) == [(f"loan:{loan}:register", approval["seq"], {
        "member": n, "loan_id": loan, "borrower": world.wallets[n].address,
        "principal": 10_000_000, "rate_bps": 1800, "method": METHOD_CODE[method],
        "tenor_months": 12, "first_due_date": unix_day(dt.date(2026, 2, 15)),
        "terms_hash": body["terms_hash"]})]

    world.accepted(loan, n)
    [(ref, _seq, data)] = world.outbox(OutboxKind.ACCEPT_LOAN)
    assert ref == f"loan:{loan}:accept" and data["loan_id"] == loan and data["member"] == n

    paid_out = world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {}, "petugas"), 201)
    assert (paid_out["paid_out"], paid_out["paid_out_text"]) == (9_900_000, "Rp 9.900.000")
    assert _legs(world, paid_out["seq"]) == [
        (chart.KAS, "C", 9_900_000, None), (chart.PIUTANG_PINJAMAN, "D", 10_000_000, n),
        (chart.PENDAPATAN_PROVISI, "C", 100_000, None)]

    for day, (pokok, jasa) in zip(("2026-02-15", "2026-03-15"), TABLES[method][:2],
                                  strict=True):
        world.at(day)
        paid = world.ok(world.post(f"/api/v1/loans/{loan}/repayments",
                                   {"amount": pokok + jasa}, "petugas"), 201)
        assert (paid["denda"], paid["jasa"], paid["pokok"], paid["closed"]) == (
            0, jasa, pokok, False)
        assert _legs(world, paid["seq"]) == [
            (chart.KAS, "D", pokok + jasa, None), (chart.PIUTANG_PINJAMAN, "C", pokok, n),
            (chart.PENDAPATAN_JASA_PINJAMAN, "C", jasa, None)]

    world.at("2026-04-15")
    outstanding = 10_000_000 - sum(p for p, _ in TABLES[method][:2])
    assert world.ok(world.get(f"/api/v1/loans/{loan}", "petugas"))["outstanding"] == outstanding
    jasa3 = TABLES[method][2][1]
    over = world.post(f"/api/v1/loans/{loan}/repayments",
                      {"amount": outstanding + jasa3 + 1}, "petugas")
    assert over.status_code == 422 and over.json()["code"] == "overpayment"
    last = world.ok(world.post(f"/api/v1/loans/{loan}/repayments",
                               {"amount": outstanding + jasa3}, "petugas"), 201)
    assert (last["jasa"], last["pokok"], last["prepaid_pokok"], last["closed"],
            last["status"]) == (jasa3, outstanding, outstanding - TABLES[method][2][0], True,
                                "lunas")

    repaid = world.outbox(OutboxKind.RECORD_REPAYMENT)
    assert [(seq, data["amount"]) for _ref, seq, data in repaid] == [
        (seq, amount) for seq, amount in zip(
            [r["seq"] for r in world.ok(world.get(f"/api/v1/loans/{loan}/repayments",
                                                  "petugas"))["repayments"]],
            [p + j for p, j in TABLES[method][:2]] + [outstanding + jasa3], strict=True)]
    [(ref, seq, data)] = world.outbox(OutboxKind.SET_LOAN_STATUS)
    assert ref == f"loan:{loan}:status:{seq}" and data == {
        "member": n, "loan_id": loan, "status": 3}

    with world.client.app.state.sessionmaker() as session:
        rows = trial_balance(session, through=dt.date(2026, 4, 15))
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
        assert member_balances(session, member=n).get(chart.PIUTANG_PINJAMAN, 0) == 0
        income = {r.code: r.balance for r in rows}
        assert income[chart.PENDAPATAN_JASA_PINJAMAN] == sum(j for _, j in TABLES[method])
    mine = world.ok(world.get(f"/api/v1/members/{n}/loans", f"anggota:{n}"))["loans"]
    assert [(x["id"], x["status"], x["outstanding"], x["closed_on"]) for x in mine] == [
        (loan, "lunas", 0, "2026-04-15")]
    json.dumps(mine)  # plain JSON for the member page
