"""In a real Chromium, every request outside this server blocked: the console receipt
shows the signed receipt's QR code (on a real Anvil), and a member whose key the board
replaced is told so in plain words on the wallet page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from eth_account import Account

from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.chain.runtime import ChainRuntime
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from tests.browser.guard import guarded_context
from tests.browser.test_console import deposit
from tests.browser.test_wallet_page import browser, import_key, open_page, serve
from tests.support.client import KspClient
from tests.support.factories import anggota

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
PASSWORD = "rahasia-uji-konsol-8"  # test-only staff password, per test database
TIMEOUT_MS = 15_000


def _only(base: str, outside: list[str]) -> Any:
    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    return only_this_server


def test_console_receipt_shows_the_signed_qr(browser: Any, chain_settings: Settings) -> None:
    from playwright.sync_api import expect

    ChainRuntime(chain_settings).deploy()
    client = KspClient(chain_settings)
    number = anggota(client, client.staff(Role.ADMIN), 1)
    app = client.app
    with transaction(app.state.sessionmaker) as session:
        create_staff(session, username="bu.kasir", password=PASSWORD, role=Role.PENGURUS)
    with serve(app) as base:
        context, page, outside, violations = guarded_context(
            browser, (base,), viewport={"width": 800, "height": 1000})
        page.goto(base + "/staff/")
        page.locator("input[name=username]").fill("bu.kasir")
        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Masuk")).click()
        expect(page.locator(".who")).to_contain_text("bu.kasir · pengurus")
        deposit(page, number, "sukarela", "75.000")
        page.get_by_role("button", name=re.compile("Konfirmasi")).click()
        expect(page.locator("#receipt-amount")).to_have_text("Rp 75.000")
        qr = page.locator("#receipt-qr img")
        expect(qr).to_be_visible()
        page.wait_for_function(
            "() => document.querySelector('#receipt-qr img').naturalWidth > 100")
        text = page.locator("#receipt-qr-text").inner_text()
        assert re.fullmatch(r"KSP-RECEIPT:1:\d+:1:75000:[0-9A-F]{64}:[0-9A-F]{130}", text)
        expect(page.locator("#receipt-pdf")).to_have_attribute(
            "href", re.compile(r"^/staff/struk/[A-Za-z0-9_-]+\.pdf$"))
        page.screenshot(path=str(SCREENS / "console-struk-qr.png"), full_page=True)
        context.close()
    assert outside == [], f"requests left this server: {outside}"
    assert violations == []


def test_wallet_page_explains_a_replaced_key(browser: Any, settings: Settings) -> None:
    from playwright.sync_api import expect

    client = KspClient(settings)
    old, new = Account.create(), Account.create()
    number = anggota(client, client.staff(Role.ADMIN), 1, wallet=old, tanggal=None)
    proposed = client.post(f"/api/v1/members/{number}/key-replacements",
                           {"wallet": client.wallet_proof(new), "alasan": "HP hilang"},
                           client.staff(Role.PENGURUS, "pengurus-satu"))
    assert proposed.status_code == 201, proposed.text
    approved = client.post(f"/api/v1/key-replacements/{proposed.json()['id']}/approve", {},
                           client.staff(Role.PENGURUS, "pengurus-dua"))
    assert approved.status_code == 200, approved.text
    outside: list[str] = []
    with serve(client.app) as base:
        context, page, crashes = open_page(browser, base)
        context.route("**/*", _only(base, outside))
        import_key(page, old.key.hex())
        page.get_by_role("button", name="Masuk", exact=True).click()
        expect(page.locator("#error")).to_have_text(
            "Kunci dompet ini sudah diganti oleh pengurus karena HP hilang. Gunakan dompet "
            "di HP baru Anda.")
        page.get_by_role("button", name="EN", exact=True).click()
        expect(page.locator("#error")).to_have_text(
            "This wallet's key was replaced by the board because a phone was lost. Use the "
            "wallet on your new phone.")
        assert crashes == []
        context.close()
    assert outside == [], f"requests left this server: {outside}"
