"""The worked year (tests/shu/year.py): close, simulate, propose, the RAT approves,
distribute; every figure in exact rupiah, two members' shares by hand from DOMAIN.md."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pytest

from ksp.auth.models import Role
from ksp.core import clock
from ksp.ledger import chart
from ksp.ledger.reports import member_balances, trial_balance
from ksp.printing.render import read_csv
from tests.shu.year import SHU, SPLIT, TODAY, build_year, rat_approves
from tests.support.client import KspClient
from tests.support.rows import counts


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(TODAY)
    yield
    clock.freeze(None)


def _balances(client, through):
    with client.app.state.sessionmaker() as session:
        return {row.code: row.balance for row in trial_balance(session, through=through)}


def test_the_worked_year_from_closing_to_the_members_sukarela(db_settings):
    client = KspClient(db_settings)
    n = build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")

    # 1. Closing: income and expense into SHU tahun berjalan, the books closed.
    closed = client.post("/api/v1/shu/2025/close", {}, ketua)
    assert closed.status_code == 200, closed.text
    assert closed.json()["shu"] == SHU and closed.json()["shu_text"] == "Rp 1.250.000"
    year_end = dt.date(2025, 12, 31)
    books = _balances(client, year_end)
    assert books[chart.SHU_TAHUN_BERJALAN] == SHU
    assert all(books[code] == 0 for code in (chart.PENDAPATAN_JASA_PINJAMAN,
                                             chart.PENDAPATAN_PROVISI, chart.BEBAN_GAJI,
                                             chart.BEBAN_PENYISIHAN_PIUTANG))
    periods = client.get("/api/v1/periods", ketua).json()
    assert periods["closed_through"] == "2025-12-31"
    # The PHU of the closed year still reads the year; the neraca shows the SHU once.
    phu = client.get("/api/v1/reports/phu?date=2025-12-31", ketua).json()
    assert (phu["pendapatan"]["total"], phu["beban"]["total"], phu["shu"]) == (
        1_650_000, 400_000, SHU)
    neraca = client.get("/api/v1/reports/neraca?date=2025-12-31", ketua).json()
    assert neraca["balanced"]
    assert [x["balance"] for x in neraca["ekuitas"]["extra"]] == [0]

    # 2. Simulation with the AD/ART split.
    sim = client.get("/api/v1/shu/2025/simulation", ketua).json()
    assert {p["name"]: p["amount"] for p in sim["pools"]} == {
        "cadangan": 500_000, "jasa_anggota": 437_500, "pengurus": 62_500, "karyawan": 62_500,
        "pendidikan": 62_500, "sosial": 62_500, "pembangunan_daerah": 62_500}
    assert (sim["jasa_usaha"], sim["jasa_modal"]) == (306_250, 131_250)
    assert (sim["vuk"], sim["tms"]) == (1_500_000, 310_400_000)
    shares = {m["member"]: m for m in sim["members"]}
    assert shares[n["A"]]["savings_base"] == 600_000 * 365
    assert shares[n["B"]]["savings_base"] == 300_000 * 183
    assert shares[n["B"]]["savings_average"] == 300_000 * 183 // 365
    assert shares[n["B"]]["reasons"] == []  # a share, though no loan interest

    # By hand, DOMAIN.md: SHU_a = (Va/VUK)·JUA + (Sa/TMS)·JMA.
    exact_a = Fraction(1_200_000, 1_500_000) * 306_250 + Fraction(219_000_000,
                                                                 310_400_000) * 131_250
    exact_b = Fraction(0, 1_500_000) * 306_250 + Fraction(54_900_000, 310_400_000) * 131_250
    assert (math.floor(exact_a), math.floor(exact_b)) == (337_602, 23_213)
    # Floors 337,602 + 23,213 + 76,683 = 437,498: the 2 rupiah left go to the largest
    # fractions, B (.998) and C (.715), not A (.287).
    assert shares[n["A"]]["share"] == math.floor(exact_a) == 337_602
    assert shares[n["B"]]["share"] == math.floor(exact_b) + 1 == 23_214
    assert shares[n["C"]]["share"] == 76_684
    assert sum(m["share"] for m in sim["members"]) == 437_500 and sim["remainder"] == 0

    csv = read_csv(client.http.get("/api/v1/shu/2025/simulation.csv",
                                   headers={"Authorization": f"Bearer {ketua}"}).text)
    assert csv[0][0] == "anggota" and [row[5] for row in csv[1:]] == ["337602", "23214",
                                                                       "76684"]

    # 3. The proposal (ketua is the calculator); its hash is what the RAT item carries.
    proposed = client.post("/api/v1/shu/2025/proposal", {"settlement": "sukarela"}, ketua)
    assert proposed.status_code == 201, proposed.text
    figures, digest = proposed.json()["figures"], proposed.json()["figures_hash"]
    assert figures["split"] == SPLIT and figures["shu"] == SHU

    # 4. Before the RAT: refused, nothing written.
    before = counts(client)
    early = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert early.status_code == 409 and early.json()["code"] == "shu_not_approved"
    assert counts(client) == before

    # 5. The RAT's result in the log but not yet anchored: refused too.
    unanchored = rat_approves(client, figures, digest, anchor=False)
    early = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert early.status_code == 409 and early.json()["code"] == "shu_approval_not_anchored"
    assert early.json()["details"]["seq"] == unanchored

    rat_seq = rat_approves(client, figures, digest)

    # 6. The calculator cannot approve his own figures.
    own = client.post("/api/v1/shu/2025/distribution", {}, ketua)
    assert own.status_code == 403 and own.json()["code"] == "shu_needs_other_pengurus"

    # 7. The distribution by another pengurus.
    done = client.post("/api/v1/shu/2025/distribution", {}, bendahara, key="bagi-2025")
    assert done.status_code == 201, done.text
    assert done.json()["rat_seq"] == rat_seq and done.json()["members_total"] == 437_500
    assert done.json()["lines"] == 3 and done.json()["remainder"] == 0
    books = _balances(client, TODAY.date())
    assert books[chart.SHU_TAHUN_BERJALAN] == 0
    assert books[chart.CADANGAN] == 500_000
    assert all(books[code] == 62_500 for code in (
        chart.DANA_PENGURUS, chart.DANA_KARYAWAN, chart.DANA_PENDIDIKAN, chart.DANA_SOSIAL,
        chart.DANA_PEMBANGUNAN_DAERAH))
    assert books[chart.UTANG_SHU_ANGGOTA] == 0  # all settled to sukarela
    with client.app.state.sessionmaker() as session:
        sukarela = {who: member_balances(session, member=number).get(chart.SIMPANAN_SUKARELA)
                    for who, number in n.items()}
    assert sukarela == {"A": 337_602, "B": 23_214, "C": 76_684}
    assert sum(sukarela.values()) == 437_500

    # 8. Idempotent: the same key answers the same; a new one is refused, nothing written.
    again = client.post("/api/v1/shu/2025/distribution", {}, bendahara, key="bagi-2025")
    assert again.status_code == 201 and again.json() == done.json()
    before = counts(client)
    second = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert second.status_code == 409 and second.json()["code"] == "shu_already_distributed"
    assert counts(client) == before

    # 9. The member's SHU line with its inputs, recomputed from them.
    token = client.staff(Role.ADMIN)
    line = client.get(f"/api/v1/members/{n['A']}/shu?year=2025", token).json()
    assert line["amount"] == 337_602 and line["amount_text"] == "Rp 337.602"
    assert line["inputs"]["savings_base"] == 219_000_000
    assert line["inputs"]["interest_paid"] == 1_200_000
    assert line["inputs"]["rat_seq"] == rat_seq and line["inputs"]["split"] == SPLIT
    assert line["recomputed"] == "337602.29"
