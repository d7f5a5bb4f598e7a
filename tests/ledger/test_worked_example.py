"""A year of one member's savings, told through the HTTP API with explicit book dates,
checked against numbers worked out by hand."""

from __future__ import annotations

from ksp.auth.models import Role
from tests.support.client import KspClient
from tests.support.factories import deposit, register

KAS = "1101"
POKOK, WAJIB, SUKARELA = "3101", "3102", "2101"
WAJIB_MONTHS = [m for m in range(1, 13) if m != 6]  # June is skipped


def _account(report: dict, code: str) -> dict:
    return next((a for a in report if a["code"] == code),
                {"code": code, "debit": 0, "credit": 0, "balance": 0})


def test_worked_year_of_savings_then_exit(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    n = register(client, admin)

    pokok = deposit(client, admin, n, "pokok", 100_000, "2025-01-10")
    assert (pokok["balance"], pokok["tanggal"]) == (100_000, "2025-01-10")
    profile = client.get(f"/api/v1/members/{n}", admin).json()
    assert (profile["status"], profile["joined_on"]) == ("anggota", "2025-01-10")

    # Wajib every month but June; sukarela in, then partly out, in date order.
    expected_lines = [("2025-01-10", "pokok", 100_000, 0, 100_000)]
    wajib_saldo = 0
    for month in WAJIB_MONTHS:
        tanggal = f"2025-{month:02d}-15"
        wajib_saldo += 50_000
        deposit(client, admin, n, "wajib", 50_000, tanggal)
        expected_lines.append((tanggal, "wajib", 50_000, 0, wajib_saldo))
        if month == 3:
            deposit(client, admin, n, "sukarela", 500_000, "2025-03-20")
            expected_lines.append(("2025-03-20", "sukarela", 500_000, 0, 500_000))
        if month == 8:
            out = client.post(f"/api/v1/members/{n}/withdrawals",
                              {"jenis": "sukarela", "amount": 200_000,
                               "tanggal": "2025-08-20", "alasan": "Buku kas 2025"}, admin)
            assert out.status_code == 201, out.text
            assert out.json()["balance"] == 300_000
            expected_lines.append(("2025-08-20", "sukarela", 0, 200_000, 300_000))

    arrears = client.get(f"/api/v1/members/{n}/wajib-arrears?as_of=2025-12-31", admin).json()
    assert arrears["months_due"] == 12
    assert arrears["amount_due"] == 600_000
    assert arrears["paid"] == 550_000
    assert arrears["arrears"] == 50_000
    assert arrears["arrears_text"] == "Rp 50.000"

    lines = client.get(f"/api/v1/members/{n}/statement", admin).json()["lines"]
    got = [(x["tanggal"], x["jenis"], x["setor"], x["tarik"], x["saldo"]) for x in lines]
    assert got == expected_lines
    seqs = [x["seq"] for x in lines]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    savings = client.get(f"/api/v1/members/{n}/savings", admin).json()
    assert savings["balances"] == {"pokok": 100_000, "wajib": 550_000, "sukarela": 300_000}
    assert savings["total"] == 950_000

    tb = client.get("/api/v1/reports/trial-balance?date=2025-12-31", admin).json()
    # Kas D 1.150.000 + Sukarela D 200.000 (withdrawal) = every credit.
    assert tb["total_debit"] == tb["total_credit"] == 1_350_000
    kas = _account(tb["accounts"], KAS)
    assert (kas["debit"], kas["credit"], kas["balance"]) == (1_150_000, 200_000, 950_000)
    assert _account(tb["accounts"], POKOK)["balance"] == 100_000
    assert _account(tb["accounts"], WAJIB)["balance"] == 550_000
    assert _account(tb["accounts"], SUKARELA)["balance"] == 300_000

    neraca = client.get("/api/v1/reports/neraca?date=2025-12-31", admin).json()
    assert neraca["balanced"] is True
    assert neraca["aset"]["total"] == 950_000
    assert [(x["code"], x["balance"]) for x in neraca["aset"]["lines"]] == [(KAS, 950_000)]
    assert neraca["kewajiban"]["total"] == 300_000
    assert [(x["code"], x["balance"]) for x in neraca["kewajiban"]["lines"]] == [
        (SUKARELA, 300_000)]
    assert neraca["ekuitas"]["total"] == 650_000
    assert {x["code"]: x["balance"] for x in neraca["ekuitas"]["lines"]} == {
        POKOK: 100_000, WAJIB: 550_000}
    assert sum(x["balance"] for x in neraca["ekuitas"]["extra"]) == 0  # no SHU yet

    # A mid-year neraca only counts what was booked by then (June 30: 5 wajib, 500k sukarela).
    mid = client.get("/api/v1/reports/neraca?date=2025-06-30", admin).json()
    assert mid["aset"]["total"] == 100_000 + 5 * 50_000 + 500_000
    assert mid["balanced"] is True

    leaving = client.post(f"/api/v1/members/{n}/exit", {"tanggal": "2026-01-15",
                                                         "alasan": "Buku kas 2026"}, admin)
    assert leaving.status_code == 200, leaving.text
    body = leaving.json()
    assert body["paid_out"] == {"pokok": 100_000, "wajib": 550_000, "sukarela": 300_000}
    assert body["paid_out_total"] == 950_000
    assert (body["status"], body["exited_on"]) == ("keluar", "2026-01-15")

    profile = client.get(f"/api/v1/members/{n}", admin).json()
    assert profile["status"] == "keluar"
    assert profile["savings"] == {"pokok": 0, "wajib": 0, "sukarela": 0}
    savings = client.get(f"/api/v1/members/{n}/savings", admin).json()
    assert savings["balances"] == {"pokok": 0, "wajib": 0, "sukarela": 0}

    tb = client.get("/api/v1/reports/trial-balance?date=2026-01-31", admin).json()
    assert tb["total_debit"] == tb["total_credit"] == 1_350_000 + 950_000
    assert _account(tb["accounts"], KAS)["balance"] == 0
    neraca = client.get("/api/v1/reports/neraca?date=2026-01-31", admin).json()
    assert neraca["balanced"] is True
    assert neraca["aset"]["total"] == neraca["kewajiban"]["total"] == 0
    assert neraca["ekuitas"]["total"] == 0
    # The year-end view is history: it does not change after the exit.
    assert client.get("/api/v1/reports/neraca?date=2025-12-31",
                      admin).json()["aset"]["total"] == 950_000
