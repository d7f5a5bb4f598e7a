"""Issue 9's story in one run, in Debian Chromium against the real app and a real Anvil,
with every request outside this server (and, for the phones, the chain's RPC) blocked:

- Bu Ketua (pengurus) signs in, registers Rosmawati, and links the wallet Rosmawati makes on
  her phone (a second browser context at 360x740) by the code the phone shows;
- she takes simpanan pokok and a sukarela deposit typed as people type them, prints the
  receipt (its PDF carries the signed QR), and a wrong deposit is reversed: proposed by
  her, approved by a second pengurus; she sees the wajib arrears list;
- after the outbox worker and an anchor, the phone shows the balances matching the chain,
  "check my entry" ✓ with the anchor's block, and the printed receipt verified;
- the pengawas opens every screen and every action is refused;
- the phone is lost: the new phone shows a code, the key is replaced by two pengurus, the
  tokens move to the new address and the old wallet can no longer sign in.
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
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from tests.browser.guard import guarded_context, staff_sign_in
from tests.browser.test_wallet_link import CODE
from tests.browser.test_wallet_page import PASSWORD, TIMEOUT_MS, browser, serve
from tests.support.client import KspClient
from tests.support.factories import anggota, nik

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
STAFF_PASSWORD = "rahasia-uji-cerita-9"  # test-only staff password, per test database
MATCH = "✓ Cocok dengan blockchain: saldo token sama dengan buku."


def teller(desk: Any, base: str, number: int, jenis: str, typed: str) -> str:
    """A deposit through the confirm step; the receipt's idempotency key (its URL)."""
    from playwright.sync_api import expect

    desk.goto(f"{base}/staff/teller?anggota={number}")
    desk.get_by_label(re.compile("Jenis simpanan")).select_option(jenis)
    desk.locator("input[name=amount]").fill(typed)
    desk.get_by_role("button", name=re.compile("Periksa")).click()
    expect(desk.locator("#balances-before")).to_be_visible()
    desk.get_by_role("button", name=re.compile("Konfirmasi")).click()
    expect(desk.locator("#receipt")).to_be_visible()
    return desk.url.rsplit("/", 1)[1]


def new_phone_wallet(phone: Any, base: str, number: int) -> tuple[str, str]:
    """Makes a wallet on a phone and its link code for `number`: (address, code)."""
    from playwright.sync_api import expect

    phone.goto(base + "/")
    phone.get_by_text("Buat dompet baru").click()
    form = phone.locator("#f-create")
    form.get_by_label("Kata sandi (min. 8 karakter)").fill(PASSWORD)
    form.get_by_label("Ulangi kata sandi").fill(PASSWORD)
    form.get_by_role("button", name="Buat dompet").click()
    phone.get_by_role("button", name="Sudah saya catat").click()
    address = phone.locator("#addr").inner_text()
    link = phone.locator("#link")
    link.get_by_label("Nomor anggota").fill(str(number))
    link.get_by_role("button", name="Buat kode").click()
    expect(phone.locator("#link-code-text")).to_have_text(CODE)
    return address, phone.locator("#link-code-text").inner_text()


def test_issue_9_story_from_registration_to_a_lost_phone(
        browser: Any, chain_settings: Settings) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    runtime = ChainRuntime(chain_settings)
    deployment = runtime.deploy()
    app = create_app(chain_settings, runtime)
    with transaction(app.state.sessionmaker) as session:
        for username, role in (("bu.ketua", Role.PENGURUS), ("pak.wakil", Role.PENGURUS),
                               ("bu.pengawas", Role.PENGAWAS)):
            create_staff(session, username=username, password=STAFF_PASSWORD, role=role)
    # A member who joined long ago and paid no wajib since: the arrears list has a line.
    client = KspClient(chain_settings)
    behind = anggota(client, client.staff(Role.ADMIN, "kasir-lama"), 2)
    worker = OutboxWorker(app.state.sessionmaker, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    token = contract(runtime.connect(), runtime.deployment, "SavingsToken")

    def tokens(address: str) -> list[int]:
        return [token.functions.balanceOf(address, i).call() for i in (1, 2, 3)]

    with serve(app) as base:
        rpc = chain_settings.rpc_url
        desk_context, desk, desk_outside, desk_problems = guarded_context(
            browser, (base,), viewport={"width": 1024, "height": 768})
        phone_context, phone, phone_outside, phone_problems = guarded_context(
            browser, (base, rpc), viewport={"width": 360, "height": 740})

        # Bu Ketua registers Rosmawati.
        staff_sign_in(desk, base, "bu.ketua", STAFF_PASSWORD)
        desk.goto(base + "/staff/anggota/baru")
        for field, value in (("nik", nik(1)), ("name", "Rosmawati Sinaga"),
                             ("birth_date", "1990-07-05"),
                             ("address", "Jl. Danau Toba 1, Pangururan"),
                             ("phone", "081234567801"), ("occupation", "Petani")):
            desk.locator(f"input[name={field}]").fill(value)
        desk.get_by_role("button", name=re.compile("Daftarkan")).click()
        expect(desk.locator("#member-status")).to_have_text("Calon anggota")
        number = int(re.search(r"/staff/anggota/(\d+)", desk.url).group(1))  # type: ignore[union-attr]

        # Her phone makes a wallet and shows a code; the teller types it and confirms.
        address, code = new_phone_wallet(phone, base, number)
        desk.get_by_role("link", name=re.compile("Hubungkan dompet")).click()
        desk.locator("#code").fill(code.lower().replace("-", " "))
        desk.get_by_role("button", name=re.compile("Periksa")).click()
        expect(desk.locator("#link-address")).to_have_text(address)
        desk.get_by_label(re.compile("Identitas sudah dicek")).check()
        desk.get_by_role("button", name=re.compile("Hubungkan dompet")).click()
        expect(desk.locator("#linked")).to_contain_text(f"Dompet terhubung ke anggota {number}.")
        expect(phone.locator("#signed-as")).to_have_text(
            f"Masuk sebagai anggota no. {number}", timeout=30_000)

        # Pokok and sukarela, typed as people type them; the receipt and its PDF.
        teller(desk, base, number, "pokok", "Rp 100.000")
        key = teller(desk, base, number, "sukarela", "250.000")
        expect(desk.locator("#receipt-amount")).to_have_text("Rp 250.000")
        receipt_text = desk.locator("#receipt-qr-text").inner_text()
        seq = int(desk.locator("#receipt-seq").inner_text())
        assert receipt_text.startswith(f"KSP-RECEIPT:1:{seq}:{number}:250000:")
        pdf = desk.request.get(f"{base}/staff/struk/{key}.pdf")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
        assert "Rp 250.000" in pdf_text
        assert re.sub(r"\s", "", receipt_text) in re.sub(r"\s", "", pdf_text)

        # A wrong deposit (Rp 500.000 for Rp 50.000) is reversed by two pengurus.
        teller(desk, base, number, "sukarela", "500.000")
        wrong = int(desk.locator("#receipt-seq").inner_text())
        desk.goto(f"{base}/staff/anggota/{number}")
        desk.locator(f'a[href="/staff/koreksi/usul?seq={wrong}"]').click()
        desk.locator("input[name=alasan]").fill("Salah ketik: seharusnya Rp 50.000")
        desk.get_by_role("button", name=re.compile("Usulkan")).click()
        expect(desk.locator("#proposed")).to_contain_text("menunggu keputusan pengurus lain")
        staff_sign_in(desk, base, "pak.wakil", STAFF_PASSWORD)
        desk.goto(base + "/staff/koreksi")
        desk.get_by_role("button", name=re.compile("Setujui")).click()
        expect(desk.locator("#decided")).to_contain_text("disetujui")
        desk.goto(f"{base}/staff/anggota/{number}")
        expect(desk.locator("#balances")).to_contain_text("Rp 350.000")  # 100.000 + 250.000

        # The arrears list: the member who stopped paying wajib long ago, and Rosmawati, who
        # joined this month and owes this month's Rp 50.000.
        desk.goto(base + "/staff/wajib/tunggakan")
        expect(desk.locator(f"#arrears-{behind}")).to_be_visible()
        expect(desk.locator(f"#arrears-{number}")).to_contain_text("Rp 50.000")
        desk.screenshot(path=str(SCREENS / "cerita-tunggakan.png"), full_page=True)

        # The chain follows, and the log is anchored.
        assert worker.run_once().failed == 0
        registry = deployment["contracts"]["AnchorRegistry"]
        job = AnchorJob(app.state.sessionmaker, runtime.connect(), registry["address"],
                        chain_settings, from_block=registry["block"])
        anchored = job.anchor_now()
        assert anchored.block is not None, anchored.message
        assert tokens(address) == [100_000, 0, 250_000]

        # The member's page: balances that match the chain, her entry anchored, the
        # receipt verified, all checked on the phone.
        phone.get_by_role("button", name="Periksa lagi").click()
        expect(phone.locator("#bal-pokok")).to_have_text("Rp 100.000")
        expect(phone.locator("#bal-sukarela")).to_have_text("Rp 250.000")
        expect(phone.locator("#sync")).to_have_text(MATCH)
        expect(phone.locator("#lines li").first).to_contain_text(
            "Koreksi (pembalikan) · Simpanan sukarela")
        line = phone.locator("#lines li").filter(has_text="+Rp 250.000")
        line.get_by_role("button", name="Periksa entri saya").click()
        expect(line.locator(".check-result")).to_contain_text(
            "✓ Entri ini tercatat di blockchain", timeout=30_000)
        expect(line.locator(".check-result")).to_contain_text(str(anchored.block))
        phone.get_by_label("Teks struk (KSP-RECEIPT:…)").fill(receipt_text)
        phone.get_by_role("button", name="Periksa struk").click()
        result = phone.locator("#struk-result")
        expect(result).to_contain_text("✓ Tanda tangan server sah.")
        expect(result).to_contain_text(
            f"✓ Tercatat di akar yang di-anchor (blok {anchored.block}")
        phone.screenshot(path=str(SCREENS / "cerita-anggota.png"), full_page=True)

        # The pengawas opens every screen of the nav and can change nothing.
        staff_sign_in(desk, base, "bu.pengawas", STAFF_PASSWORD)
        screens = desk.locator("header nav a").evaluate_all("(links) => links.map(a => a.href)")
        assert len(screens) >= 8
        for url in [*screens, f"{base}/staff/anggota/{number}",
                    f"{base}/staff/anggota/{number}/kunci"]:
            reply = desk.goto(url)
            assert reply is not None and reply.status == 200, url
            if "/sandi" not in url:
                expect(desk.locator("#read-only")).to_be_visible()
        desk.goto(f"{base}/staff/teller?anggota={number}")
        expect(desk.get_by_role("button", name=re.compile("Periksa"))).to_have_count(0)
        refused = desk.request.post(f"{base}/staff/teller/simpan", form={
            "csrf": desk.locator("input[name=csrf]").first.get_attribute("value") or "",
            "kunci": "pengawas-coba", "member": str(number), "arah": "setor",
            "jenis": "sukarela", "amount": "10.000"})
        assert refused.status == 403 and "hanya boleh melihat" in refused.text()

        # The phone is lost. The new phone shows a code; two pengurus replace the key.
        new_context, new_phone, new_outside, new_problems = guarded_context(
            browser, (base, rpc), viewport={"width": 360, "height": 740})
        new_address, new_code = new_phone_wallet(new_phone, base, number)
        staff_sign_in(desk, base, "bu.ketua", STAFF_PASSWORD)
        desk.goto(f"{base}/staff/anggota/{number}/kunci")
        desk.locator("#code").fill(new_code)
        desk.locator("input[name=alasan]").fill("HP hilang; KTP diperiksa di kantor")
        desk.get_by_label(re.compile("Identitas sudah dicek")).check()
        desk.get_by_role("button", name=re.compile("Usulkan ganti kunci")).click()
        expect(desk).to_have_url(re.compile(r"/staff/kunci\?diusulkan=\d+"))
        staff_sign_in(desk, base, "pak.wakil", STAFF_PASSWORD)
        desk.goto(base + "/staff/kunci")
        desk.get_by_role("button", name=re.compile("Setujui")).click()
        expect(desk).to_have_url(re.compile(r"/staff/kunci\?disetujui=\d+"))
        desk.screenshot(path=str(SCREENS / "console-kunci.png"), full_page=True)

        assert worker.run_once().failed == 0
        assert tokens(new_address) == [100_000, 0, 250_000]
        assert tokens(address) == [0, 0, 0]
        # The new phone signs in by itself; the old one is told why it cannot.
        expect(new_phone.locator("#signed-as")).to_have_text(
            f"Masuk sebagai anggota no. {number}", timeout=30_000)
        expect(new_phone.locator("#bal-sukarela")).to_have_text("Rp 250.000")
        again = phone.get_by_role("button", name="Periksa lagi")
        if again.is_visible():  # its own 30 s refresh may have found out already
            again.click()
        expect(phone.locator("#error")).to_have_text(
            "Kunci dompet ini sudah diganti oleh pengurus karena HP hilang. Gunakan dompet "
            "di HP baru Anda.")
        phone.locator("#error").evaluate("(e) => { e.textContent = ''; }")
        phone.get_by_role("button", name="Masuk", exact=True).click()  # a fresh sign-in
        expect(phone.locator("#error")).to_contain_text("sudah diganti oleh pengurus")
        expect(phone.locator("#signed-as")).to_be_hidden()

        assert desk_outside == [] and phone_outside == [] and new_outside == []
        assert (desk_problems, phone_problems, new_problems) == ([], [], [])
        for context in (new_context, phone_context, desk_context):
            context.close()
    expect.set_options(timeout=5_000)
