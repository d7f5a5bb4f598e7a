"""Page truth and receipt checks on the member's wallet page (issue 9 items 11 and 12).

The page reads the ledger and the chain together and says "waiting for sync" only while the
member's entries are really on their way to the chain, with how far behind; then ✓ once the
outbox worker mirrored them; and no false "waiting" when the chain cannot be reached. A
signed receipt pasted, linked or photographed is verified on the phone: ✓ signature, then
"not anchored yet", then the anchor's block; a tampered receipt is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import segno
from eth_account import Account

from ksp.anchoring.job import AnchorJob
from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxWorker
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.receipts.service import signed_receipt
from ksp.savings import service as savings
from tests.browser.test_wallet_page import (
    TIMEOUT_MS,
    browser,  # noqa: F401 - the module's Chromium, a fixture
    enrol_member,
    import_key,
    serve,
    teller_deposit,
)
from tests.support.client import KspClient
from tests.support.factories import anggota, deposit

pytestmark = pytest.mark.browser

SCREENS = PROJECT_ROOT / "docs/screens"
MATCH = "✓ Cocok dengan blockchain: saldo token sama dengan buku."
CHAIN_DOWN = ("Blockchain tidak dapat dihubungi saat ini. Saldo buku besar di atas tetap "
              "berlaku.")


def open_page(browser: Any, base: str, path: str = "/",  # noqa: F811 - fixture
              clock: bool = False) -> tuple[Any, Any, list[str]]:
    """Like test_wallet_page.open_page, with the page's clock under the test's hand."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    crashes: list[str] = []
    page.on("pageerror", lambda exc: crashes.append(str(exc)))
    if clock:
        page.clock.install()  # time still flows; fast_forward jumps over the 30 s wait
    page.goto(base + path)
    return context, page, crashes


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """Sign-in, refreshes and chain reads on a busy test machine can take longer than
    expect's default 5 s; the figures awaited are still exact."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=5_000)


def loaded(page: Any) -> list[str]:
    return page.evaluate("""() => performance.getEntriesByType('resource')
        .map((r) => new URL(r.name).pathname)""")


def sign_in(page: Any, key: str) -> None:
    import_key(page, key)
    page.get_by_role("button", name="Masuk", exact=True).click()


def test_waiting_for_sync_only_while_the_chain_lags_then_matches(
        browser: Any, chain_settings: Settings) -> None:  # noqa: F811 - fixture
    from playwright.sync_api import expect

    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    account, number = enrol_member(chain_settings)  # pokok 100.000, sukarela 250.000
    app = create_app(chain_settings, runtime)
    worker = OutboxWorker(app.state.sessionmaker, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    assert worker.run_once().failed == 0

    with serve(app) as base:
        context, page, crashes = open_page(browser, base, clock=True)
        sign_in(page, account.key.hex())
        expect(page.locator("#bal-sukarela")).to_have_text("Rp 250.000")
        expect(page.locator("#sync")).to_have_text(MATCH)
        expect(page.locator("#chain-sukarela")).to_have_text("Token Rp 250.000 ✓")

        # A deposit at the teller; the page's 30-second refresh reads both sides again.
        teller_deposit(chain_settings, number, "sukarela", 50_000)
        page.clock.fast_forward(31_000)
        expect(page.locator("#bal-sukarela")).to_have_text("Rp 300.000")
        expect(page.locator("#sync")).to_have_text(
            "Menunggu sinkron: blockchain tertinggal Rp 50.000 pada Simpanan sukarela; "
            "1 entri belum tercatat di blockchain.")
        expect(page.locator("#chain-sukarela")).to_have_text(
            "Token Rp 250.000 · menunggu sinkronisasi (kurang Rp 50.000)")
        expect(page.locator("#chain-pokok")).to_have_text("Token Rp 100.000 ✓")
        expect(page.locator("#bal-total")).to_have_text("Rp 400.000")
        page.screenshot(path=str(SCREENS / "wallet-sinkron.png"), full_page=True)

        # Until the worker runs, a refresh still says the same.
        page.get_by_role("button", name="Periksa lagi").click()
        expect(page.locator("#sync")).to_contain_text("1 entri belum tercatat")
        page.get_by_role("button", name="EN", exact=True).click()
        expect(page.locator("#sync")).to_have_text(
            "Waiting for sync: the chain is behind by Rp 50.000 in Voluntary savings (sukarela); "
            "1 entry not on the chain yet.")
        page.get_by_role("button", name="ID", exact=True).click()

        # The worker mirrors it; coming back to the tab reads both again: ✓.
        assert worker.run_once().failed == 0
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(page.locator("#sync")).to_have_text(MATCH)
        expect(page.locator("#chain-sukarela")).to_have_text("Token Rp 300.000 ✓")

        # The chain unreachable: said so, the ledger figures stay, and no false "waiting".
        teller_deposit(chain_settings, number, "sukarela", 10_000)
        rpc = chain_settings.rpc_url
        page.route(lambda url: url.startswith(rpc), lambda route: route.abort())
        page.get_by_role("button", name="Periksa lagi").click()
        expect(page.locator("#chain-status")).to_have_text(CHAIN_DOWN)
        expect(page.locator("#bal-sukarela")).to_have_text("Rp 310.000")
        expect(page.locator("#sync")).to_be_hidden()
        assert "menunggu" not in page.locator("#savings").inner_text().lower()
        assert crashes == []
        context.close()


def test_a_signed_receipt_verifies_then_shows_its_anchor_and_a_tampered_one_fails(
        browser: Any, chain_settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    runtime = ChainRuntime(chain_settings)
    deployment = runtime.deploy()
    registry = deployment["contracts"]["AnchorRegistry"]
    account, number = enrol_member(chain_settings)
    app = create_app(chain_settings, runtime)
    teller_deposit(chain_settings, number, "sukarela", 50_000)
    client = KspClient(chain_settings)
    admin = client.staff(Role.ADMIN, "kasir-lain")
    other = anggota(client, admin, 2, wallet=Account.create(), tanggal=None)
    with app.state.sessionmaker() as session:
        seq = savings.statement(session, member_number=number)[-1].seq
        text = signed_receipt(session, runtime, seq, number).qr_text
        other_seq = savings.statement(session, member_number=other)[-1].seq
        other_text = signed_receipt(session, runtime, other_seq, other).qr_text
    assert f":{seq}:{number}:50000:" in text
    minutes = chain_settings.anchor_every_minutes

    with serve(app) as base:
        context, page, crashes = open_page(browser, base)
        result = page.locator("#struk-result")
        check = page.get_by_role("button", name="Periksa struk")
        expect(page.locator("html")).to_have_attribute("data-ready", "1")
        # Neither ethers, jsQR nor the receipt check's own code at page load.
        assert [p for p in loaded(page) if p.startswith("/vendor/") or "struk" in p
                or "receipt" in p] == []

        # Not signed in: the signature is checked, the entry waits for a sign-in.
        page.get_by_label("Teks struk (KSP-RECEIPT:…)").fill(text)
        check.click()
        expect(result).to_contain_text("✓ Tanda tangan server sah.")
        expect(result).to_contain_text(f"Entri #{seq} · anggota no. {number} · Rp 50.000")
        expect(result).to_contain_text("Masuk untuk memeriksa entrinya")

        # Signed in: the entry's leaf matches, not anchored yet.
        sign_in(page, account.key.hex())
        expect(result).to_contain_text(
            f"Ditandatangani server, belum di-anchor; diperkirakan dalam {minutes} menit.")

        # After an anchor: the root read from the AnchorRegistry by the page itself.
        job = AnchorJob(app.state.sessionmaker, runtime.connect(), registry["address"],
                        chain_settings, from_block=registry["block"])
        anchored = job.anchor_now()
        assert anchored.block is not None and anchored.tx_hash, anchored.message
        check.click()
        tx = anchored.tx_hash.lower().removeprefix("0x")
        expect(result).to_contain_text(
            f"✓ Tercatat di akar yang di-anchor (blok {anchored.block}, "
            f"transaksi 0x{tx[:8]}…{tx[-6:]}).")
        page.locator("#struk").screenshot(path=str(SCREENS / "wallet-struk-ok.png"))

        # One rupiah more on the receipt: the signature no longer matches.
        tampered = text.replace(f":{number}:50000:", f":{number}:50001:")
        page.get_by_label("Teks struk (KSP-RECEIPT:…)").fill(tampered)
        check.click()
        expect(result).to_contain_text(
            "✗ Tanda tangan tidak cocok: struk ini diubah atau bukan dari koperasi.")
        expect(result).not_to_contain_text("✓")

        # Another member's receipt: genuine, but not this member's; their entry stays theirs.
        page.get_by_label("Teks struk (KSP-RECEIPT:…)").fill(other_text)
        check.click()
        expect(result).to_contain_text(
            f"⚠ Struk ini untuk anggota no. {other}, bukan Anda (no. {number}).")
        expect(result).to_contain_text(
            "Entri ini bukan entri Anda, jadi tidak bisa diperiksa dari dompet ini.")
        expect(result).to_contain_text("✓ Tanda tangan server sah.")

        # Not a receipt at all.
        page.get_by_label("Teks struk (KSP-RECEIPT:…)").fill("KSP-RECEIPT:1:halo")
        check.click()
        expect(result).to_have_text("✗ Ini bukan teks struk KSP (KSP-RECEIPT:1:…).")

        # A photo of the printed QR code, decoded on the phone.
        photo = tmp_path / "struk.png"
        segno.make(text, error="m", micro=False).save(str(photo), scale=6, border=4)
        page.set_input_files("#s-photo", str(photo))
        expect(page.locator("#s-text")).to_have_value(text)
        expect(result).to_contain_text(f"blok {anchored.block}")
        assert "/vendor/jsQR.js" in loaded(page)

        page.get_by_role("button", name="EN", exact=True).click()
        expect(result).to_contain_text("✓ The server's signature is valid.")
        expect(result).to_contain_text(f"✓ Recorded under an anchored root (block {anchored.block}")
        assert crashes == []
        context.close()

        # The link a receipt can carry opens the page and checks it at once (signed out).
        context, page, crashes = open_page(browser, base, "/wallet#struk=" + quote(text))
        result = page.locator("#struk-result")
        expect(result).to_contain_text("✓ Tanda tangan server sah.")
        expect(page.locator("#s-text")).to_have_value(text)
        assert re.search(r"Masuk untuk memeriksa", result.inner_text())
        assert crashes == []
        context.close()


def test_a_backdated_deposit_sits_at_its_date_in_the_statement(
        browser: Any, settings: Settings) -> None:  # noqa: F811 - fixture
    from playwright.sync_api import expect

    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    account = Account.create()
    number = anggota(client, admin, 1, wallet=account)  # pokok 100.000 on 2025-01-10
    deposit(client, admin, number, "sukarela", 30_000)  # today
    deposit(client, admin, number, "sukarela", 50_000, "2025-03-01")  # typed last
    with serve(create_app(settings)) as base:
        context, page, crashes = open_page(browser, base)
        sign_in(page, account.key.hex())
        lines = page.locator("#lines li")
        expect(lines).to_have_count(3)
        expect(lines.nth(0)).to_contain_text("+Rp 30.000")  # newest date first
        expect(lines.nth(0)).to_contain_text("Saldo Rp 80.000")
        expect(lines.nth(1).locator(".date")).to_have_text("01/03/2025")
        expect(lines.nth(1)).to_contain_text("+Rp 50.000")
        expect(lines.nth(1)).to_contain_text("Saldo Rp 50.000")
        expect(lines.nth(2).locator(".date")).to_have_text("10/01/2025")
        expect(lines.nth(2)).to_contain_text("+Rp 100.000")
        assert crashes == []
        context.close()
