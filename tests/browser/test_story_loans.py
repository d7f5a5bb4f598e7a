"""Issue 11's loan story in one run, in Debian Chromium against the real app and a real Anvil,
with every request outside this server (and, for the phone, the chain's RPC) blocked:

- Bu Ketua, acting as loan officer, applies in the console for Rosmawati (Rp 10.000.000,
  12 months, 18% a year, annuity) and proposes it; her own approval is refused; Pak Bendahara
  (a second pengurus) approves it from the checker inbox; the offer is registered on chain;
- Rosmawati's phone (360x740) shows the terms in plain words, the schedule and the terms
  hash; she signs the EIP-712 Acceptance on the phone; the acceptance is relayed;
- the outbox worker relays each step to LoanAgreements; the console disburses once the
  acceptance is on chain; on the first due date the teller
  takes Rp 916.800 through the confirm step (jasa Rp 150.000, pokok Rp 766.800);
- the phone shows the instalment paid, the repayment by seq on chain (read by the phone),
  and the recompute check ✓.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from eth_account import Account

from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.loans.models import Loan
from tests.browser.guard import guarded_context, staff_sign_in
from tests.browser.test_wallet_page import TIMEOUT_MS, browser, import_key, serve
from tests.support.client import KspClient
from tests.support.factories import anggota

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
STAFF_PASSWORD = "rahasia-uji-cerita-11"  # test-only staff password, per test database


class Chain:
    """The outbox worker relaying to LoanAgreements, and what the contract stores."""

    def __init__(self, app: Any, runtime: ChainRuntime, settings: Settings) -> None:
        w3 = runtime.connect()
        self.loans = contract(w3, runtime.deployment, "LoanAgreements")
        self.worker = OutboxWorker(app.state.sessionmaker, w3, runtime.deployment,
                                   settings.operator_private_key())

    def relay(self) -> None:
        report = self.worker.run_once()
        assert report.failed == 0, report

    def stored(self, loan_id: int) -> Any:
        return self.loans.functions.loan(loan_id).call()


def csrf_of(page: Any) -> str:
    return page.locator("input[name=csrf]").first.get_attribute("value") or ""


def test_issue_11_story_a_loan_from_application_to_the_first_instalment(
        browser: Any, chain_settings: Settings) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    app = create_app(chain_settings, runtime)
    with transaction(app.state.sessionmaker) as session:
        for username, role in (("bu.ketua", Role.PENGURUS), ("pak.bendahara", Role.PENGURUS),
                               ("kasir", Role.ADMIN)):
            create_staff(session, username=username, password=STAFF_PASSWORD, role=role)
    client = KspClient(chain_settings)
    wallet = Account.create()
    number = anggota(client, client.staff(Role.ADMIN, "pendaftar"), 1, wallet=wallet)
    chain = Chain(app, runtime, chain_settings)

    try:
        with serve(app) as base:
            desk_context, desk, desk_outside, desk_problems = guarded_context(
                browser, (base,), viewport={"width": 1024, "height": 768})
            phone_context, phone, phone_outside, phone_problems = guarded_context(
                browser, (base, chain_settings.rpc_url), viewport={"width": 360, "height": 740})

            # Bu Ketua applies on Rosmawati's behalf, typed as people type amounts.
            staff_sign_in(desk, base, "bu.ketua", STAFF_PASSWORD)
            desk.get_by_role("link", name=re.compile("Pinjaman")).first.click()
            desk.get_by_role("link", name=re.compile("Ajukan untuk anggota")).click()
            form = desk.locator("#form-ajukan")
            for field, value in (("member", str(number)), ("principal", "10.000.000"),
                                 ("tenor", "12"), ("rate", "1800"),
                                 ("purpose", "Modal usaha tenun ulos"),
                                 ("income", "Rp 5.000.000")):
                form.locator(f"input[name={field}]").fill(value)
            form.get_by_role("button", name=re.compile("Ajukan")).click()
            expect(desk).to_have_url(re.compile(r"/staff/pinjaman/\d+\?selesai=ajukan"))
            loan = int(re.search(r"/staff/pinjaman/(\d+)", desk.url).group(1))  # type: ignore[union-attr]
            expect(desk.locator("#assessment tbody tr, #assessment tr")).not_to_have_count(0)
            expect(desk.locator("#assessment")).to_contain_text("Poin")
            desk.locator("#form-usulkan").get_by_role("button", name=re.compile("Usulkan")).click()
            expect(desk.locator("#loan-status")).to_contain_text("Diusulkan")
            expect(desk.locator("#own-proposal")).to_be_visible()
            desk.screenshot(path=str(SCREENS / "console-pinjaman.png"), full_page=True)
            # Her own approval, forced past the page that offers no button: refused.
            own = desk.request.post(f"{base}/staff/pinjaman/{loan}/setujui", form={
                "csrf": csrf_of(desk), "kunci": "setuju-sendiri"})
            assert own.status == 409
            assert "tidak boleh menyetujui usulannya sendiri" in own.text()

            # Pak Bendahara finds it in the checker inbox and approves.
            staff_sign_in(desk, base, "pak.bendahara", STAFF_PASSWORD)
            desk.goto(base + "/staff/pinjaman")
            desk.locator(f"#pinjaman-{loan} a").click()
            approve = desk.locator("#form-setujui")
            expect(approve).to_be_visible()
            desk.screenshot(path=str(SCREENS / "console-pinjaman-setujui.png"), full_page=True)
            approve.get_by_role("button", name=re.compile("Setujui")).click()
            expect(desk.locator("#loan-status")).to_contain_text("menunggu tanda tangan anggota")
            expect(desk.locator("#terms-pdf")).to_be_visible()
            pdf = desk.request.get(f"{base}/staff/pinjaman/{loan}/perjanjian.pdf")
            assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
            chain.relay()  # the offer is registered on chain
            with app.state.sessionmaker() as session:
                row = session.get(Loan, loan)
                assert row is not None and row.terms_hash and row.first_due_date
                terms_hash, first_due = row.terms_hash, row.first_due_date
            assert chain.stored(loan)[3] == 1  # Registered

            # Rosmawati opens the page, reads the offer and signs it on the phone.
            phone.goto(base + "/")
            expect(phone.locator("#loans-intro")).to_have_text("Masuk untuk melihat pinjaman Anda.")
            import_key(phone, wallet.key.hex().removeprefix("0x"))
            phone.get_by_role("button", name="Masuk", exact=True).click()
            expect(phone.locator("#signed-as")).to_have_text(f"Masuk sebagai anggota no. {number}")
            card = phone.locator(f"#loan-{loan}")
            expect(card.locator(f"#loan-status-{loan}")).to_have_text(
                "Disetujui: menunggu tanda tangan Anda.")
            offer = card.locator(f"#offer-{loan}")
            expect(offer).to_contain_text("Anda meminjam Rp 10.000.000 dengan jasa 18% per "
                                          "tahun, dibayar dalam 12 angsuran bulanan.")
            expect(offer).to_contain_text("Metode anuitas: angsuran (pokok + jasa) sama setiap")
            expect(offer).to_contain_text("Biaya provisi Rp 100.000 dipotong saat pencairan: "
                                          "Anda menerima Rp 9.900.000.")
            expect(offer).to_contain_text("Denda keterlambatan: 0,1% per hari")
            expect(offer.locator("tbody tr")).to_have_count(12)
            first_row = offer.locator("tbody tr").first
            expect(first_row).to_contain_text("Rp 766.800")
            expect(first_row).to_contain_text("Rp 150.000")
            expect(first_row).to_contain_text("Rp 916.800")
            expect(offer.locator(f"#terms-hash-{loan}")).to_have_text(terms_hash)
            phone.screenshot(path=str(SCREENS / "wallet-pinjaman.png"), full_page=True)
            offer.get_by_role("button", name="Tanda tangani dan terima").click()
            expect(phone.locator(f"#loan-waiting-{loan}")).to_contain_text(
                "Menunggu konfirmasi rantai")
            expect(phone.locator(f"#loan-status-{loan}")).to_have_text(
                "Anda sudah menerima; menunggu pencairan.")
            chain.relay()  # the member's acceptance, relayed
            assert chain.stored(loan)[3] == 2  # Active

            # The console disburses once the acceptance is on chain.
            desk.goto(f"{base}/staff/pinjaman/{loan}")
            expect(desk.locator("#accepted-on-chain")).to_be_visible()
            desk.locator("#form-cairkan").get_by_role("button", name=re.compile("Cairkan")).click()
            expect(desk.locator("#loan-status")).to_contain_text("Aktif")

            # The first due date: the teller takes the first instalment through the confirm.
            clock.freeze(dt.datetime(first_due.year, first_due.month, first_due.day, 3,
                                     tzinfo=dt.UTC))
            staff_sign_in(desk, base, "kasir", STAFF_PASSWORD)
            desk.goto(f"{base}/staff/pinjaman/{loan}")
            desk.locator("#form-angsuran input[name=amount]").fill("916.800")
            desk.locator("#form-angsuran").get_by_role("button", name=re.compile("Periksa")).click()
            allocation = desk.locator("#allocation")
            expect(allocation.locator("tr").nth(1)).to_contain_text("Rp 150.000")
            expect(allocation.locator("tr").nth(2)).to_contain_text("Rp 766.800")
            desk.get_by_role("button", name=re.compile("Konfirmasi")).click()
            expect(desk.locator("#receipt-amount")).to_have_text("Rp 916.800")
            seq = int(desk.locator("#receipt-seq").inner_text().removeprefix("seq "))
            chain.relay()  # the repayment, mirrored with its seq
            assert chain.stored(loan)[8] == 916_800  # repaid

            # The phone: its session ran out over the month; it signs in again and sees it all.
            phone.get_by_role("button", name="Periksa lagi").click()
            signin = phone.get_by_role("button", name="Masuk", exact=True)
            paid = phone.locator(f"#repayments-{loan} li[data-seq='{seq}']")
            expect(signin.or_(paid)).to_be_visible()
            if signin.is_visible():
                signin.click()
            expect(paid).to_contain_text("Rp 916.800")
            expect(paid).to_contain_text("✓ di blockchain")
            card = phone.locator(f"#loan-{loan}")
            expect(card.locator(f"#loan-status-{loan}")).to_have_text("Aktif: sedang diangsur.")
            expect(card.locator(f"#loan-outstanding-{loan}")).to_have_text("Rp 9.233.200")
            expect(card.locator("tr[data-n='1']")).to_contain_text("lunas")
            expect(card.locator(f"#loan-chain-{loan}")).to_contain_text(
                "Status: aktif · terbayar Rp 916.800 · 1 pembayaran")
            expect(card.locator(f"#loan-chain-{loan}")).to_contain_text(f"seq {seq}: Rp 916.800")
            card.get_by_role("button", name="Periksa perhitungan").click()
            expect(card.locator(f"#check-loan-{loan}")).to_have_text(
                "✓ Dihitung ulang di HP ini: 12 angsuran sama dengan syarat yang ditandatangani "
                "dan dengan buku; sidik syarat sama dengan blockchain.")
            card.scroll_into_view_if_needed()
            phone.screenshot(path=str(SCREENS / "wallet-pinjaman-cek.png"), full_page=True)

            assert desk_outside == [] and phone_outside == []
            assert (desk_problems, phone_problems) == ([], [])
            for context in (phone_context, desk_context):
                context.close()
    finally:
        clock.freeze(None)
