"""Linking a new wallet without a programmer, in two Chromium contexts against the real app
and Anvil: the member's phone (360x740) makes a wallet, types the member number and shows
a code and QR; the teller's console reads the QR from a photo (jsQR), checks the member
and confirms; the phone signs in by itself and shows the balances; the outbox worker then
admits the wallet on chain and mints the savings booked before it existed. Every request
outside this server (and the chain's RPC, which the phone reads) is blocked, and no
Content-Security-Policy violation may occur."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import segno

from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.members.link_requests import ALPHABET
from tests.browser.guard import guarded_context
from tests.browser.test_wallet_page import PASSWORD, browser, serve
from tests.support.client import KspClient
from tests.support.factories import POKOK, anggota, deposit

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
STAFF_PASSWORD = "rahasia-uji-dompet-9"  # test-only staff password, per test database
SUKARELA = 250_000
CODE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


def test_member_shows_a_code_teller_confirms_phone_signs_in_and_chain_admits(
        browser: Any, chain_settings: Settings) -> None:
    from playwright.sync_api import expect

    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    client = KspClient(chain_settings)
    admin = client.staff(Role.ADMIN)
    number = anggota(client, admin, 1, tanggal=None)  # no wallet yet; pokok paid
    deposit(client, admin, number, "sukarela", SUKARELA)
    app = create_app(chain_settings, runtime)
    with transaction(app.state.sessionmaker) as session:
        create_staff(session, username="pak.teller", password=STAFF_PASSWORD,
                     role=Role.PENGURUS)

    with serve(app) as base:
        allowed = (base, chain_settings.rpc_url)
        phone_context, phone, phone_outside, phone_problems = guarded_context(
            browser, allowed, viewport={"width": 360, "height": 740})
        phone.goto(base + "/")

        # The member makes a wallet on their phone; it is linked to nobody yet.
        phone.get_by_text("Buat dompet baru").click()
        form = phone.locator("#f-create")
        form.get_by_label("Kata sandi (min. 8 karakter)").fill(PASSWORD)
        form.get_by_label("Ulangi kata sandi").fill(PASSWORD)
        form.get_by_role("button", name="Buat dompet").click()
        phone.get_by_role("button", name="Sudah saya catat").click()
        address = phone.locator("#addr").inner_text()
        link = phone.locator("#link")
        expect(link.get_by_role("heading")).to_have_text("Hubungkan dompet ke keanggotaan")

        # A number that is not a number is refused on the phone.
        link.get_by_label("Nomor anggota").fill("dua belas")
        link.get_by_role("button", name="Buat kode").click()
        expect(phone.locator("#error")).to_have_text("Ketik nomor anggota Anda (angka saja).")
        link.get_by_label("Nomor anggota").fill(str(number))
        link.get_by_role("button", name="Buat kode").click()
        expect(phone.locator("#link-code-text")).to_have_text(CODE)
        expect(phone.locator(".show-teller")).to_be_visible()
        expect(phone.locator(".show-teller")).to_have_text("Tunjukkan kode ini ke teller")
        code = phone.locator("#link-code-text").inner_text()
        expect(phone.locator("#link-for")).to_contain_text(f"Untuk anggota no. {number}.")
        expect(phone.locator("#link-qr")).to_have_attribute(
            "alt", f"Kode QR untuk teller: {code}")
        qr_loaded = phone.locator("#link-qr").evaluate(
            "(img) => img.decode().then(() => img.naturalWidth)")
        assert qr_loaded > 0
        fits = phone.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        assert fits, "the page scrolls sideways at 360 px"
        phone.screenshot(path=str(SCREENS / "wallet-hubungkan.png"), full_page=True)

        # The teller reads the phone's QR (here a photo of it) and checks the member.
        desk_context, desk, desk_outside, desk_problems = guarded_context(
            browser, (base,), viewport={"width": 1024, "height": 768})
        desk.goto(base + "/staff/")
        desk.locator("input[name=username]").fill("pak.teller")
        desk.locator("input[name=password]").fill(STAFF_PASSWORD)
        desk.get_by_role("button", name=re.compile("Masuk")).click()
        desk.goto(f"{base}/staff/anggota/{number}")
        desk.get_by_role("link", name=re.compile("Hubungkan dompet")).click()
        photo = io.BytesIO()
        segno.make(f"KSP-LINK:1:{number}:{code.replace('-', '')}", error="m",
                   micro=False).save(photo, kind="png", scale=8, border=4)
        expect(desk.locator("#scan")).to_be_visible()  # the scanner script is ready
        desk.locator("#scan-file").set_input_files(
            {"name": "qr.png", "mimeType": "image/png", "buffer": photo.getvalue()})
        expect(desk.locator("#code")).to_have_value(code)
        expect(desk.locator("#scan-status")).to_contain_text("Kode terbaca")
        desk.get_by_role("button", name=re.compile("Periksa")).click()
        expect(desk.locator("#nik-masked")).to_have_text("••••••••••••0001")
        expect(desk.locator("#link-address")).to_have_text(address)
        desk.get_by_label(re.compile("Identitas sudah dicek")).check()
        desk.screenshot(path=str(SCREENS / "console-dompet.png"), full_page=True)
        desk.get_by_role("button", name=re.compile("Hubungkan dompet")).click()
        expect(desk.locator("#linked")).to_contain_text(f"Dompet terhubung ke anggota {number}.")

        # The phone notices, signs in by itself and shows the balances.
        expect(phone.locator("#signed-as")).to_have_text(
            f"Masuk sebagai anggota no. {number}", timeout=20_000)
        expect(phone.locator("#bal-pokok")).to_have_text("Rp 100.000")
        expect(phone.locator("#bal-sukarela")).to_have_text("Rp 250.000")
        expect(phone.locator("#link")).to_be_hidden()
        assert phone_outside == [] and desk_outside == []
        assert phone_problems == [] and desk_problems == []
        desk_context.close()
        phone_context.close()

    # The chain follows: the wallet is admitted and the earlier savings minted to it.
    worker = OutboxWorker(app.state.sessionmaker, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    report = worker.run_once()
    assert report.failed == 0, report
    roll = contract(runtime.connect(), runtime.deployment, "CoopMembers")
    assert roll.functions.isMember(address).call()
    assert roll.functions.accountOf(number).call() == address
    token = contract(runtime.connect(), runtime.deployment, "SavingsToken")
    assert [token.functions.balanceOf(address, i).call() for i in (1, 2, 3)] == [
        POKOK, 0, SUKARELA]


def test_an_expired_code_offers_a_new_one_and_a_wrong_number_is_said(
        browser: Any, settings: Settings) -> None:
    from playwright.sync_api import expect

    quick = settings.model_copy(update={"wallet_link_ttl_seconds": 10})
    client = KspClient(quick)
    number = anggota(client, client.staff(Role.ADMIN), 1, tanggal=None)
    with serve(create_app(quick)) as base:
        context, phone, outside, problems = guarded_context(
            browser, (base,), viewport={"width": 360, "height": 740})
        phone.goto(base + "/")
        phone.get_by_text("Buat dompet baru").click()
        form = phone.locator("#f-create")
        form.get_by_label("Kata sandi (min. 8 karakter)").fill(PASSWORD)
        form.get_by_label("Ulangi kata sandi").fill(PASSWORD)
        form.get_by_role("button", name="Buat dompet").click()
        phone.get_by_role("button", name="Sudah saya catat").click()
        link = phone.locator("#link")

        link.get_by_label("Nomor anggota").fill(str(number + 41))
        link.get_by_role("button", name="Buat kode").click()
        expect(phone.locator("#error")).to_have_text(f"Anggota {number + 41} tidak ditemukan.")

        link.get_by_label("Nomor anggota").fill(str(number))
        link.get_by_role("button", name="Buat kode").click()
        expect(phone.locator("#link-code-text")).to_have_text(CODE)
        first = phone.locator("#link-code-text").inner_text()
        again = link.get_by_role("button", name="Buat kode baru")
        expect(again).to_be_visible(timeout=20_000)
        expect(phone.locator("#link-code")).to_be_hidden()
        expect(link.locator(".note")).to_have_text(
            "Kode sudah kedaluwarsa. Buat kode baru bila Anda sudah di depan teller.")
        assert phone.request.get(f"{base}/api/v1/wallet/link-requests/{first}.svg").status == 404

        again.click()
        link.get_by_role("button", name="Buat kode").click()
        expect(phone.locator("#link-code-text")).not_to_have_text(first)
        expect(phone.locator("#link-code-text")).to_have_text(CODE)
        expect(phone.locator("#link-code")).to_be_visible()
        # The chain is not running here: only its RPC requests may have been blocked.
        assert all(u.startswith(quick.effective_rpc_url) for u in outside), outside
        assert problems == []
        context.close()
