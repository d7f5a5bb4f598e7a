"""Issue 13 in Debian Chromium against the real app and a real Anvil, every request outside
this server (and, for the phone, the chain's RPC) blocked:

- the worked year 2025 (tests/shu/year.py) is closed, proposed, approved by the RAT (its
  result anchored for real) and distributed to sukarela; the log is anchored again;
- member A's phone shows her SHU of 2025 with its inputs, recomputes the formula in the
  browser (BigInt) to the sen with ✓, and checks the SHU entry against the chain ✓;
- the pengawas opens the prudential page (figures and the two charts) and prints its PDF,
  which names the log seq and the anchored root.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from ksp.anchoring.job import AnchorJob
from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.chain.runtime import ChainRuntime
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.ledger.models import LogHead
from tests.browser.guard import guarded_context, staff_sign_in
from tests.browser.test_wallet_page import TIMEOUT_MS, browser, import_key, serve
from tests.prudential.terms import give_terms
from tests.shu.year import build_year, frozen, rat_approves
from tests.support.client import KspClient, new_wallet

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
STAFF_PASSWORD = "rahasia-uji-cerita-13"  # test-only staff password, per test database


def test_a_member_sees_her_shu_checked_and_the_pengawas_prints_the_prudential_report(
        browser: Any, chain_settings: Settings) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    frozen()  # 2026-02-16: the year 2025 has ended
    try:
        runtime = ChainRuntime(chain_settings)
        deployment = runtime.deploy()
        app = create_app(chain_settings, runtime)
        with transaction(app.state.sessionmaker) as session:
            create_staff(session, username="bu.pengawas", password=STAFF_PASSWORD,
                         role=Role.PENGAWAS)
        registry = deployment["contracts"]["AnchorRegistry"]
        job = AnchorJob(app.state.sessionmaker, runtime.connect(), registry["address"],
                        chain_settings, from_block=registry["block"])

        client = KspClient(chain_settings)
        wallet = new_wallet()
        n = build_year(client, wallet_a=wallet)
        give_terms(client)
        ketua = client.staff(Role.PENGURUS, "ketua")
        bendahara = client.staff(Role.PENGURUS, "bendahara")
        assert client.post("/api/v1/shu/2025/close", {}, ketua).status_code == 200
        proposed = client.post("/api/v1/shu/2025/proposal", {"settlement": "sukarela"}, ketua)
        assert proposed.status_code == 201, proposed.text
        rat_approves(client, proposed.json()["figures"], proposed.json()["figures_hash"],
                     anchor=False)
        assert job.anchor_now().block is not None  # the RAT's result, anchored for real
        done = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
        assert done.status_code == 201, done.text
        anchored = job.anchor_now()  # and the members' SHU lines
        assert anchored.block is not None, anchored.message

        with serve(app) as base:
            phone_context, phone, phone_outside, phone_problems = guarded_context(
                browser, (base, chain_settings.rpc_url), viewport={"width": 360, "height": 740})
            desk_context, desk, desk_outside, desk_problems = guarded_context(
                browser, (base,), viewport={"width": 1024, "height": 900})

            # Member A: Rp 337.602 (tests/shu/test_worked_year.py works it out by hand).
            phone.goto(base + "/")
            expect(phone.locator("#shu")).to_be_hidden()  # not signed in
            import_key(phone, wallet.key.hex().removeprefix("0x"))
            phone.get_by_role("button", name="Masuk", exact=True).click()
            expect(phone.locator("#signed-as")).to_have_text(
                f"Masuk sebagai anggota no. {n['A']}")
            shu = phone.locator("#shu")
            expect(shu).to_be_visible()
            shu.get_by_label("Tahun buku").fill("2025")
            shu.get_by_role("button", name="Lihat SHU").click()
            expect(phone.locator("#shu-amount")).to_have_text("SHU tahun 2025: Rp 337.602")
            inputs = phone.locator("#shu-inputs")
            # Jasa modal on the average daily balance: Sa and TMS in rupiah-days.
            for text in ("Rp 219.000.000·hari", "Rp 310.400.000·hari", "Rp 1.200.000",
                         "Rp 1.500.000", "Rp 306.250", "Rp 131.250"):
                expect(inputs).to_contain_text(text)
            # 1.200.000/1.500.000 x 306.250 + 219.000.000/310.400.000 x 131.250 = 337.602,287…
            expect(phone.locator("#shu-recomputed")).to_have_text(
                "✓ Dihitung ulang di HP ini: Rp 337.602,29, cocok dengan SHU yang dibukukan.")
            shu.get_by_role("button", name="Periksa entri saya").click()
            expect(phone.locator("#shu-check-result")).to_contain_text(
                "✓ Entri ini tercatat di blockchain", timeout=30_000)
            expect(phone.locator("#shu-check-result")).to_contain_text(str(anchored.block))
            shu.scroll_into_view_if_needed()
            shu.screenshot(path=str(SCREENS / "wallet-shu.png"))
            phone.locator("button[data-lang=en]").click()
            expect(phone.locator("#shu-recomputed")).to_have_text(
                "✓ Recomputed on this phone: Rp 337.602,29, matches the SHU posted.")

            # The pengawas: the prudential figures on screen, the charts drawn, the PDF.
            staff_sign_in(desk, base, "bu.pengawas", STAFF_PASSWORD)
            desk.goto(base + "/staff/laporan")
            desk.get_by_role("link", name=re.compile("Rasio kehatian")).click()
            desk.locator("input[name=tanggal]").fill("2025-12-31")
            desk.get_by_role("button", name=re.compile("Tampilkan")).click()
            # The screen shows what the API computes for the same date.
            reply = client.get("/api/v1/reports/prudential?date=2025-12-31",
                               client.staff(Role.PENGAWAS))
            assert reply.status_code == 200, reply.text
            figures = reply.json()
            expect(desk.locator("#npl")).to_contain_text(figures["npl_persen"])
            expect(desk.locator("#band")).to_have_text(figures["kesehatan"])
            expect(desk.locator("#likuiditas")).to_have_text(figures["likuiditas"]["persen"])
            expect(desk.locator("#pinjaman_per_simpanan")).to_have_text(
                figures["pinjaman_per_simpanan"]["persen"])
            for chart in ("#chart-trend", "#chart-classes"):
                desk.wait_for_function(
                    "id => { const c = document.querySelector(id);"
                    " return c && window.Chart && window.Chart.getChart(c) !== undefined; }",
                    arg=chart)
            with app.state.sessionmaker() as session:
                seq = session.get(LogHead, 1).size
            with desk.expect_download() as download:
                desk.locator("#pdf").click()
            pdf = download.value
            assert pdf.suggested_filename == "prudensial-2025-12-31.pdf"
            text = " ".join("".join(p.extract_text() for p in PdfReader(
                io.BytesIO(open(pdf.path(), "rb").read())).pages).split())
            assert "Laporan Rasio Kehatian" in text and f"seq: {seq}" in text
            assert "belum di-anchor" not in text and figures["npl_persen"] in text
            desk.screenshot(path=str(SCREENS / "console-prudensial.png"), full_page=True)

            for outside, problems in ((phone_outside, phone_problems),
                                      (desk_outside, desk_problems)):
                assert outside == [] and problems == []
            phone_context.close()
            desk_context.close()
    finally:
        clock.freeze(None)
