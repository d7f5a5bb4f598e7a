"""Potong gaji for loans: the paymaster's file carries an `angsuran` column (and, optionally,
the loan in `pinjaman`; empty: the member's oldest running loan). Each instalment is
allocated and posted like a teller repayment, into the bank; a line that cannot pay is a
reject; the same file again posts nothing.

No chain runs: ACCEPT_LOAN rows are marked INCLUDED for the worker (tests/loans/world.py)."""

from __future__ import annotations

import pytest

from ksp.chain.outbox import OutboxKind
from ksp.core import clock
from ksp.ledger import chart
from ksp.ledger.reports import trial_balance
from ksp.printing.render import read_csv
from tests.loans.world import make_world

PATH = "/api/v1/payroll-imports"


@pytest.fixture
def world(settings, monkeypatch):
    yield make_world(settings, monkeypatch)
    clock.freeze(None)


def _running(world, number, **over):
    loan = world.approved(number, **over)
    world.accepted(loan, number)
    world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {}, "petugas"), 201)
    return loan


def _upload(world, data: bytes):
    headers = world.client.headers(world.token("ketua")) | {"Content-Type": "text/csv"}
    return world.client.http.post(f"{PATH}?period=2026-02", content=data, headers=headers)


def test_angsuran_deducted_from_pay(world):
    a, b, c, d = (world.member(i) for i in (1, 2, 3, 4))
    world.at("2026-01-15")
    loan_a = _running(world, a)
    loan_c = _running(world, c, principal=1_000_000, tenor_months=1)
    world.at("2026-02-15")
    rows = ["nomor_anggota;nama;wajib;angsuran;pinjaman",
            f"{a};Ani;50.000;916.800;",  # 2: wajib and the instalment of her one loan
            f"{b};Budi;50.000;100.000;",  # 3: no running loan
            f"{a};Ani;;1.000;",  # 4: a second angsuran line for Ani
            f"{d};Dodi;;100.000;{loan_a}",  # 5: Ani's loan, not Dodi's
            f"{c};Cici;;2.000.000;",  # 6: more than everything Cici owes (refused)
            f"{b};Budi;;100.000;abc"]  # 7: not a loan number
    data = ("\r\n".join(rows) + "\r\n").encode()
    reply = _upload(world, data)
    assert reply.status_code == 201, reply.text
    result = reply.json()
    assert (result["posted_lines"], result["postings"], result["posted_amount"],
            result["rejected"]) == (1, 2, 50_000 + 916_800, 5)

    paid = world.ok(world.get(f"/api/v1/loans/{loan_a}/repayments", "petugas"))["repayments"]
    assert [(r["channel"], r["jasa"], r["pokok"], r["amount"]) for r in paid] == [
        ("payroll", 150_000, 766_800, 916_800)]
    [(_ref, seq, data_row)] = world.outbox(OutboxKind.RECORD_REPAYMENT)
    assert seq == paid[0]["seq"] and data_row == {"member": a, "loan_id": loan_a,
                                                  "amount": 916_800}
    report = read_csv(world.get(f"{PATH}/{result['id']}/rejects.csv", "ketua").text)
    assert {int(r[0]): r[2] for r in report[1:]} == {
        3: "payroll_no_active_loan", 4: "payroll_duplicate_line",
        5: "payroll_loan_not_running", 6: "overpayment", 7: "payroll_loan_invalid"}
    assert world.ok(world.get(f"/api/v1/loans/{loan_c}", "petugas"))["outstanding"] == 1_000_000

    again = _upload(world, data).json()
    assert (again["posted_lines"], again["postings"], again["already_imported"]) == (0, 0, 1)
    assert len(world.ok(world.get(f"/api/v1/loans/{loan_a}/repayments",
                                  "petugas"))["repayments"]) == 1
    with world.client.app.state.sessionmaker() as session:
        rows_tb = {r.code: r for r in trial_balance(session, through=clock.today())}
        assert sum(r.debit for r in rows_tb.values()) == sum(r.credit for r in rows_tb.values())
        assert rows_tb[chart.BANK].balance == 50_000 + 916_800
