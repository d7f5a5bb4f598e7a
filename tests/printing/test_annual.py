"""The year-end reports of the worked year 2025 (tests/shu/year.py) after its SHU is
distributed: perubahan ekuitas, arus kas (direct method), the SHU list, a member's annual
statement and the RAT's accountability report in one PDF, with the log seq and root."""

from __future__ import annotations

import io

import pypdf
import pytest

from ksp.auth.models import Role
from ksp.core import clock
from ksp.ledger import chart
from ksp.ledger.models import LogHead
from ksp.ledger.reports import trial_balance
from ksp.printing.render import read_csv
from tests.console.test_console import sign_in
from tests.prudential.terms import give_terms
from tests.shu.year import build_year, frozen, rat_approves
from tests.support.client import KspClient
from tests.support.rows import counts

COOP = "KSP Maju Bersama"


@pytest.fixture
def world(settings):
    frozen()
    client = KspClient(settings.model_copy(update={"coop_name": COOP}))
    n = build_year(client)
    give_terms(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    assert client.post("/api/v1/shu/2025/close", {}, ketua).status_code == 200
    proposed = client.post("/api/v1/shu/2025/proposal", {"settlement": "sukarela"}, ketua)
    rat_approves(client, proposed.json()["figures"], proposed.json()["figures_hash"])
    assert client.post("/api/v1/shu/2025/distribution", {}, bendahara).status_code == 201
    yield client, n, client.staff(Role.PENGAWAS)
    clock.freeze(None)


def _text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(p.extract_text() for p in pages).split())


def _csv(client, path, token):
    reply = client.http.get(path, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    return read_csv(reply.content.decode("utf-8"))


def test_cash_flow_reconciles_and_members_capital_is_financing(world):
    client, _n, pengawas = world
    rows = _csv(client, "/api/v1/reports/annual/2025/arus-kas.csv", pengawas)
    by = {(r[0], r[1]): int(r[4]) for r in rows[1:]}
    with client.app.state.sessionmaker() as session:
        balances = {r.code: r.balance for r in trial_balance(
            session, through=clock.today().replace(year=2025, month=12, day=31))}
    # Nothing before 2025; pokok 300.000 + wajib 700.000 are the only financing.
    assert by[("awal", "")] == 0
    assert by[("pendanaan", chart.SIMPANAN_POKOK)] == 300_000
    assert by[("pendanaan", chart.SIMPANAN_WAJIB)] == 700_000
    assert by[("pendanaan", "")] == 1_000_000
    assert by[("akhir", "")] == balances[chart.KAS] + balances[chart.BANK]
    assert by[("akhir", "")] == by[("operasi", "")] + by[("pendanaan", "")]


def test_equity_changes_and_the_shu_list(world):
    client, n, pengawas = world
    rows = _csv(client, "/api/v1/reports/annual/2025/perubahan-ekuitas.csv", pengawas)
    total = rows[-1]
    assert total[1] == "Jumlah ekuitas" and total[3] == "0"
    neraca = client.get("/api/v1/reports/neraca?date=2025-12-31", pengawas).json()
    assert int(total[5]) == neraca["ekuitas"]["total"] == int(total[4])
    shu = _csv(client, "/api/v1/reports/annual/2025/daftar-shu.csv", pengawas)
    assert [(int(r[0]), int(r[2])) for r in shu[1:-1]] == [
        (n["A"], 337_602), (n["B"], 23_214), (n["C"], 76_684)]
    assert shu[-1][2] == "437500"


def test_the_member_statement_and_the_accountability_report(world):
    client, n, pengawas = world
    reply = client.http.get(f"/api/v1/members/{n['A']}/annual-statement.pdf?year=2025",
                            headers={"Authorization": f"Bearer {pengawas}"})
    assert reply.status_code == 200, reply.text
    text = _text(reply.content)
    assert "SHU tahun 2025: Rp 337.602" in text and "Rp 600.000" in text  # pokok + wajib
    reply = client.http.get("/api/v1/reports/annual/2025/lpj.pdf",
                            headers={"Authorization": f"Bearer {pengawas}"})
    assert reply.status_code == 200, reply.text
    text = _text(reply.content)
    with client.app.state.sessionmaker() as session:
        seq = session.get(LogHead, 1).size
    assert COOP in text and f"seq: {seq}" in text and "0x" in text
    for part in ("1. Neraca", "2. Perhitungan Hasil Usaha", "3. Laporan Perubahan Ekuitas",
                 "4. Laporan Arus Kas", "5. Rasio Kehatian", "6. Daftar SHU Anggota"):
        assert part in text
    assert "Rp 337.602" in text and "Rp 1.250.000" in text  # A's SHU, the year's SHU


def test_a_year_before_the_cooperative_existed_is_refused(world):
    client, n, pengawas = world
    before = counts(client)
    for path in ("/api/v1/reports/annual/2024/lpj.pdf",
                 "/api/v1/reports/annual/2024/arus-kas.csv",
                 f"/api/v1/members/{n['A']}/annual-statement.pdf?year=2024"):
        reply = client.http.get(path, headers={"Authorization": f"Bearer {pengawas}"})
        assert (reply.status_code, reply.json()["code"]) == (422, "report_before_founding")
    assert counts(client) == before


def test_the_console_page_prints_every_year_end_report(world):
    client, n, _pengawas = world
    sign_in(client, Role.PENGAWAS, "bu.pengawas")
    http = client.http
    page = http.get("/staff/laporan-tahunan?tahun=2025")
    assert page.status_code == 200, page.text
    assert 'id="shu-total">Rp 437.500' in page.text
    assert 'href="/staff/laporan-tahunan/2025/lpj.pdf"' in page.text
    lpj = http.get("/staff/laporan-tahunan/2025/lpj.pdf")
    assert lpj.status_code == 200 and "6. Daftar SHU Anggota" in _text(lpj.content)
    for kind in ("perubahan-ekuitas", "arus-kas", "daftar-shu"):
        assert http.get(f"/staff/laporan-tahunan/2025/{kind}.pdf").status_code == 200
        assert http.get(f"/staff/laporan-tahunan/2025/{kind}.csv").status_code == 200
    own = http.get(f"/staff/laporan-tahunan/2025/pernyataan-anggota.pdf?anggota={n['A']}")
    assert own.status_code == 200 and "Rp 337.602" in _text(own.content)
    missing = http.get("/staff/laporan-tahunan/2025/pernyataan-anggota.pdf?anggota=999")
    assert missing.status_code == 404 and "Anggota 999 tidak ditemukan." in missing.text
    early = http.get("/staff/laporan-tahunan?tahun=2024")
    assert early.status_code == 422 and "sebelum koperasi berdiri" in early.text
    assert http.get("/staff/laporan-tahunan/2025/lain.pdf").status_code == 404
