"""The prudential figures on a worked date, to the rupiah and the basis point; the refusal of
a date before the cooperative's first record; the PDF and CSV of the same figures."""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.anchoring.models import AnchorRecord
from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger.models import LogHead
from ksp.loans.portfolio import post_provisions
from ksp.printing.render import CSV_BOM, read_csv
from ksp.prudential.rules import Ratio, percent_text, to_bps
from ksp.prudential.service import prudential_on, trend
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.console.test_console import sign_in
from tests.support.client import KspClient
from tests.support.factories import join
from tests.support.loan_rows import disbursed_loan
from tests.support.rows import counts

COOP = "KSP Sejahtera Bersama"
DAY = "2026-08-15"
OLD = "Input lama untuk pengujian"


@pytest.fixture
def client(settings):
    """Three members since 2025-01-10 (pokok Rp 100.000, wajib Rp 20.000.000 each; member 1
    Rp 80.000.000 sukarela). Loans: member 1 Rp 10.000.000 from 2026-01-15, never repaid
    (macet by 2026-08-15); member 2 Rp 3.000.000 related party and member 3 Rp 60.000.000
    (above the BMPP of Rp 50.000.000), both from 2026-08-01 (lancar). Provisions posted for
    2026-08-15: 100% of 10.000.000 + 1% of 63.000.000 = Rp 10.630.000."""
    clock.freeze(dt.datetime(2026, 8, 20, 5, tzinfo=dt.UTC))
    client = KspClient(settings.model_copy(update={"coop_name": COOP}))
    with transaction(client.app.state.sessionmaker) as session:
        members = [join(session, client.app.state.cipher, i, on=dt.date(2025, 1, 10))
                   for i in (1, 2, 3)]
        for m in members:
            savings.deposit(session, member_number=m.number, jenis=Jenis.WAJIB,
                            amount=20_000_000, on=dt.date(2025, 12, 31), reason=OLD)
        savings.deposit(session, member_number=members[0].number, jenis=Jenis.SUKARELA,
                        amount=80_000_000, on=dt.date(2026, 1, 5), reason=OLD)
        disbursed_loan(session, member=members[0].number, first_due=dt.date(2026, 2, 15),
                       disbursed_on=dt.date(2026, 1, 15))
        disbursed_loan(session, member=members[1].number, principal=3_000_000,
                       first_due=dt.date(2026, 9, 1), disbursed_on=dt.date(2026, 8, 1),
                       related_party=True)
        disbursed_loan(session, member=members[2].number, principal=60_000_000,
                       tenor_months=24, first_due=dt.date(2026, 9, 1),
                       disbursed_on=dt.date(2026, 8, 1))
        post_provisions(session, dt.date(2026, 8, 15))
    yield client
    clock.freeze(None)


def test_the_figures_of_a_worked_date(client):
    """Kas 300.000 + 60.000.000 + 80.000.000 - 73.000.000 = 67.300.000; assets 67.300.000 +
    73.000.000 - 10.630.000 = 129.670.000; liabilities (sukarela) 80.000.000; own capital
    129.670.000 - 80.000.000 = 49.670.000; savings 140.300.000."""
    reply = client.get(f"/api/v1/reports/prudential?date={DAY}", client.staff(Role.PENGAWAS))
    assert reply.status_code == 200, reply.text
    r = reply.json()
    assert r["saldo"] == {"kas": 67_300_000, "bank": 0, "kewajiban_jangka_pendek": 80_000_000,
                          "modal_sendiri": 49_670_000, "total_aset": 129_670_000,
                          "pinjaman": 73_000_000, "simpanan_anggota": 140_300_000}
    # 10.000.000 / 73.000.000 = 13,6986% -> 1370 bps: above 10%, at most 15%.
    assert (r["npl_bps"], r["npl_persen"], r["kesehatan"]) == (1370, "13,70%", "Kurang Sehat")
    # 67.300.000 / 80.000.000 = 84,125% exactly: the half bps rounds up.
    assert r["likuiditas"] == {"pembilang": 67_300_000, "penyebut": 80_000_000, "bps": 8413,
                               "persen": "84,13%"}
    assert r["modal_sendiri_per_aset"]["bps"] == 3830  # 38,3049%
    assert r["pinjaman_per_simpanan"]["bps"] == 5203  # 52,0313%
    assert r["pihak_terkait_per_modal"]["bps"] == 604  # 6,0398%
    assert (r["pihak_terkait"], r["batas_pihak_terkait"], r["pihak_terkait_dalam_batas"]) == (
        3_000_000, 4_967_000, True)
    assert (r["penyisihan_wajib"], r["penyisihan_tercatat"], r["penyisihan_kurang"]) == (
        10_630_000, 10_630_000, 0)
    assert r["melebihi_bmpp"] == [{"anggota": 3, "outstanding": 60_000_000,
                                   "bmpp": 50_000_000, "kelebihan": 10_000_000}]


def test_a_provision_not_yet_posted_shows_as_short(client):
    """On 2026-07-31 only member 1's loan is open, 166 days past due; the allowance was
    first posted for 2026-08-15, so the books of 2026-07-31 hold none of what is required."""
    r = client.get("/api/v1/reports/prudential?date=2026-07-31",
                   client.staff(Role.PENGURUS)).json()
    assert r["pinjaman_beredar"] == 10_000_000
    assert r["penyisihan_tercatat"] == 0
    assert r["penyisihan_kurang"] == r["penyisihan_wajib"] > 0
    assert r["melebihi_bmpp"] == []


def test_a_date_before_the_first_record_is_refused_and_nothing_written(client):
    staff = client.staff(Role.PENGAWAS)
    before = counts(client)
    for path in ("", ".pdf", ".csv"):
        reply = client.get(f"/api/v1/reports/prudential{path}?date=2025-01-09", staff)
        assert reply.status_code == 422, reply.text
        body = reply.json()
        assert body["code"] == "report_before_founding"
        assert "2025-01-10" in body["message"] and "2025-01-10" in body["message_en"]
        assert "sebelum koperasi berdiri" in body["message"]
    assert counts(client) == before
    first = client.get("/api/v1/reports/prudential?date=2025-01-10", staff)
    assert first.status_code == 200, first.text


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_the_pdf_names_the_coop_the_seq_and_the_anchored_root(client):
    pengawas = client.staff(Role.PENGAWAS)
    with client.app.state.sessionmaker() as session:
        seq = session.get(LogHead, 1).size
    root = bytes(range(32))
    with transaction(client.app.state.sessionmaker) as session:
        session.add(AnchorRecord(tree_size=seq, root=root, chain_id=31337,
                                 registry_address="0x" + "11" * 20, anchor_index=0,
                                 tx_hash="0x" + "ab" * 32, block_number=7, status="confirmed",
                                 created_at=clock.now()))
    reply = client.get(f"/api/v1/reports/prudential.pdf?date={DAY}", pengawas)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/pdf"
    text = _pdf_text(reply.content)
    assert COOP in text and f"seq: {seq}" in text and DAY in text
    assert "0x" + root.hex() in "".join(text.split())
    assert "84,13%" in text and "13,70%" in text and "Rp 4.967.000" in text


def test_the_csv_has_the_same_figures(client):
    reply = client.get(f"/api/v1/reports/prudential.csv?date={DAY}", client.staff(Role.ADMIN))
    assert reply.status_code == 200, reply.text
    assert reply.content.startswith(CSV_BOM.encode())
    rows = {row[0]: row for row in read_csv(reply.content.decode("utf-8"))[1:]}
    assert rows["likuiditas"][2:] == ["84,13%", "67300000", "80000000", "8413"]
    assert rows["npl"][5] == "1370"
    assert rows["batas_pihak_terkait"][2] == "4967000"
    assert rows["melebihi_bmpp"][2] == "60000000"


def test_members_cannot_read_it(client):
    assert client.http.get(f"/api/v1/reports/prudential?date={DAY}").status_code == 401


def test_percent_text_and_an_undefined_ratio():
    assert (percent_text(8413), percent_text(-5), percent_text(0)) == ("84,13%", "-0,05%",
                                                                       "0,00%")
    assert Ratio(5, 0).bps is None and Ratio(5, 0).text == "—"


@given(st.integers(-10**15, 10**15), st.integers(1, 10**15))
def test_bps_is_the_exact_ratio_rounded_half_up(numerator, denominator):
    bps = to_bps(Fraction(numerator, denominator))
    exact = Fraction(numerator * 10_000, denominator)
    assert abs(exact - bps) <= Fraction(1, 2)
    if abs(exact - bps) == Fraction(1, 2):
        assert abs(bps) > abs(exact)  # a half goes away from zero


# --- the console page ---------------------------------------------------------------------


def test_the_console_page_shows_the_figures_the_charts_data_and_the_downloads(client):
    sign_in(client, Role.PENGAWAS)
    html = client.http.get(f"/staff/prudensial?tanggal={DAY}")
    assert html.status_code == 200, html.text
    text = html.text
    assert 'id="likuiditas">84,13%' in text and "Kurang Sehat" in text
    assert "/staff/aset/chart.umd.min.js" in text and "cdn" not in text.lower()
    assert 'id="chart-trend"' in text and 'id="chart-classes"' in text
    # The loans by class (macet Rp 10.000.000, lancar Rp 63.000.000) go to the bar chart.
    assert "&#34;rupiah&#34;: 63000000" in text and "&#34;rupiah&#34;: 10000000" in text
    assert client.http.get("/staff/aset/chart.umd.min.js").status_code == 200
    pdf = client.http.get(f"/staff/prudensial.pdf?tanggal={DAY}")
    assert pdf.status_code == 200 and "84,13%" in _pdf_text(pdf.content)
    csv = client.http.get(f"/staff/prudensial.csv?tanggal={DAY}")
    assert csv.status_code == 200 and "8413" in csv.text
    early = client.http.get("/staff/prudensial?tanggal=2024-12-31")
    assert early.status_code == 422
    assert "sebelum koperasi berdiri" in early.text
    assert client.http.get("/staff/prudensial.pdf?tanggal=2024-12-31").status_code == 422


def test_the_trend_in_one_pass_equals_the_report_of_each_month_end(client):
    with client.app.state.sessionmaker() as session:
        points = trend(session, dt.date.fromisoformat(DAY))
        assert [p.date for p in points][:2] == [dt.date(2025, 9, 30), dt.date(2025, 10, 31)]
        assert points[-1].date == dt.date.fromisoformat(DAY) and len(points) == 12
        for point in points:
            full = prudential_on(session, point.date)
            assert (point.npl_bps, point.liquidity_bps, point.capital_to_assets_bps,
                    point.loans_to_savings_bps) == (
                full.quality.npl_bps, full.liquidity.bps, full.capital_to_assets.bps,
                full.loans_to_savings.bps)
    assert points[-1].liquidity_bps == 8413
