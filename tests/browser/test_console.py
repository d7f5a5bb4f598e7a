"""The staff console in a real Chromium against the real app (uvicorn), every request
outside this server blocked: a pengurus signs in, registers a member, takes simpanan
pokok and a sukarela deposit typed as people type it, and gets the printable receipt.
No Content-Security-Policy violation may occur (no inline script or style)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from tests.browser.guard import guarded_context
from tests.browser.test_wallet_page import browser, serve
from tests.support.factories import nik

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
PASSWORD = "rahasia-uji-konsol-7"  # test-only staff password, per test database
TIMEOUT_MS = 15_000


def deposit(page: Any, number: int, jenis: str, amount_typed: str) -> None:
    page.goto(page.url.split("/staff/")[0] + f"/staff/teller?anggota={number}")
    page.get_by_label(re.compile("Jenis simpanan")).select_option(jenis)
    page.locator("input[name=amount]").fill(amount_typed)
    page.get_by_role("button", name=re.compile("Periksa")).click()
    page.locator("#balances-before").wait_for()


def test_pengurus_registers_a_member_takes_pokok_and_sukarela_and_prints_the_receipt(
        browser: Any, settings: Settings) -> None:
    from playwright.sync_api import expect

    app = create_app(settings)
    with transaction(app.state.sessionmaker) as session:
        create_staff(session, username="bu.ketua", password=PASSWORD, role=Role.PENGURUS)
    with serve(app) as base:
        context, page, outside, violations = guarded_context(
            browser, (base,), viewport={"width": 1024, "height": 768})

        page.goto(base + "/staff/")
        page.locator("input[name=username]").fill("bu.ketua")
        page.locator("input[name=password]").fill(PASSWORD)
        page.screenshot(path=str(SCREENS / "console-masuk.png"))
        page.get_by_role("button", name=re.compile("Masuk")).click()
        expect(page.locator(".who")).to_contain_text("bu.ketua · pengurus")

        # Register: a NIK typed wrong first shows the bilingual error by the field.
        page.get_by_role("link", name=re.compile("Daftarkan anggota")).click()
        page.locator("input[name=nik]").fill("1217014507900")
        page.locator("input[name=name]").fill("Rosmawati Sinaga")
        page.locator("input[name=birth_date]").fill("1990-07-05")
        page.locator("input[name=address]").fill("Jl. Danau Toba 1, Pangururan")
        page.locator("input[name=phone]").fill("081234567801")
        page.locator("input[name=occupation]").fill("Petani")
        page.get_by_role("button", name=re.compile("Daftarkan")).click()
        expect(page.locator("#err-nik")).to_contain_text("NIK tidak valid")
        expect(page.locator("#err-nik")).to_contain_text("Invalid NIK")
        page.screenshot(path=str(SCREENS / "console-nik-salah.png"), full_page=True)
        page.locator("input[name=nik]").fill(nik(1))
        page.get_by_role("button", name=re.compile("Daftarkan")).click()
        expect(page.locator("#member-status")).to_have_text("Calon anggota")
        number = int(re.search(r"/staff/anggota/(\d+)", page.url).group(1))  # type: ignore[union-attr]

        # htmx live search finds her by NIK without a page load.
        page.get_by_role("link", name=re.compile("^Anggota")).click()
        page.get_by_role("searchbox").fill(nik(1))
        expect(page.locator("#member-rows")).to_contain_text("Rosmawati Sinaga")

        deposit(page, number, "pokok", "Rp 100.000")
        page.get_by_role("button", name=re.compile("Konfirmasi")).click()
        expect(page.locator("#receipt-amount")).to_have_text("Rp 100.000")

        deposit(page, number, "sukarela", "50.000")
        expect(page.locator("#movement")).to_contain_text("Rp 50.000")
        page.screenshot(path=str(SCREENS / "console-teller-periksa.png"), full_page=True)
        page.get_by_role("button", name=re.compile("Konfirmasi")).click()
        receipt = page.locator("#receipt")
        expect(receipt).to_contain_text("Rosmawati Sinaga")
        expect(page.locator("#receipt-amount")).to_have_text("Rp 50.000")
        expect(page.locator("#receipt-balance")).to_have_text("Rp 50.000")
        assert int(page.locator("#receipt-seq").inner_text()) > 0
        page.screenshot(path=str(SCREENS / "console-struk.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.get_by_role("button", name=re.compile("Cetak")).is_visible()
        receipt.screenshot(path=str(SCREENS / "console-struk-cetak.png"))
        page.emulate_media(media="screen")

        page.goto(f"{base}/staff/anggota/{number}")
        expect(page.locator("#member-status")).to_have_text("Anggota")
        expect(page.locator("#balances")).to_contain_text("Rp 150.000")
        page.screenshot(path=str(SCREENS / "console-profil.png"), full_page=True)
        context.close()
    assert outside == [], f"requests left this server: {outside}"
    assert violations == [], f"CSP violations: {violations}"
