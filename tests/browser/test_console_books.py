"""The console's books pages in a real Chromium, every request outside this server blocked
and no CSP violation allowed: a teller proposes reversing a wrong deposit from the member's
profile, a pengurus approves it; the wajib arrears list; collecting this month's wajib
from the members present; the neraca on screen."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.browser.guard import guarded_context, staff_sign_in
from tests.browser.test_wallet_page import browser, serve
from tests.support.factories import BACKDATED, join

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
PASSWORD = "rahasia-uji-konsol-7"  # test-only staff password, per test database
TIMEOUT_MS = 15_000
JOINED = dt.date(2025, 1, 10)


def test_teller_proposes_a_reversal_pengurus_approves_then_arrears_collection_and_reports(
        browser: Any, settings: Settings) -> None:
    from playwright.sync_api import expect

    app = create_app(settings)
    with transaction(app.state.sessionmaker) as session:
        for username, role in (("teller", Role.ADMIN), ("bu.ketua", Role.PENGURUS)):
            create_staff(session, username=username, password=PASSWORD, role=role)
        members = [join(session, app.state.cipher, i, on=JOINED).number for i in (1, 2, 3)]
        savings.deposit(session, member_number=members[1], jenis=Jenis.WAJIB,
                        amount=150_000, on=dt.date(2025, 2, 1), reason=BACKDATED)
        savings.deposit(session, member_number=members[0], jenis=Jenis.SUKARELA,
                        amount=50_000, on=clock.today())
        wrong = savings.deposit(session, member_number=members[0], jenis=Jenis.SUKARELA,
                                amount=500_000, on=clock.today()).seq
    with serve(app) as base:
        context, page, outside, violations = guarded_context(
            browser, (base,), viewport={"width": 1100, "height": 800})

        # The teller opens the wrong line's "Koreksi" link on the profile.
        staff_sign_in(page, base, "teller", PASSWORD)
        page.goto(f"{base}/staff/anggota/{members[0]}")
        expect(page.locator("#balances")).to_contain_text("Rp 650.000")
        page.locator(f'a[href="/staff/koreksi/usul?seq={wrong}"]').click()
        expect(page.locator("#entry")).to_contain_text("sukarela setor Rp 500.000")
        page.get_by_role("button", name=re.compile("Usulkan")).click()  # no reason yet
        expect(page.locator("#err-alasan")).to_contain_text("Alasan wajib diisi")
        expect(page.locator("#err-alasan")).to_contain_text("A reason is required")
        page.locator("input[name=alasan]").fill("Salah ketik: seharusnya Rp 50.000")
        page.get_by_role("button", name=re.compile("Usulkan")).click()
        expect(page.locator("#proposed")).to_contain_text("menunggu keputusan pengurus lain")

        # A pengurus approves: the balance is back to Rp 50.000 sukarela.
        staff_sign_in(page, base, "bu.ketua", PASSWORD)
        page.goto(base + "/staff/koreksi")
        expect(page.locator("#corrections")).to_contain_text("Salah ketik")
        page.screenshot(path=str(SCREENS / "console-koreksi.png"), full_page=True)
        page.get_by_role("button", name=re.compile("Setujui")).click()
        expect(page.locator("#decided")).to_contain_text("disetujui")
        page.goto(f"{base}/staff/anggota/{members[0]}")
        expect(page.locator("#balances")).to_contain_text("Rp 150.000")

        # Arrears as of 31-03-2025: 3 months × Rp 50.000 for members 1 and 3, member 2 paid.
        page.get_by_role("link", name=re.compile("Tunggakan")).click()
        page.locator("input[name=tanggal]").fill("2025-03-31")
        page.get_by_role("button", name=re.compile("Tampilkan")).click()
        expect(page.locator(f"#arrears-{members[0]}")).to_contain_text("Rp 150.000")
        expect(page.locator(f"#arrears-{members[1]}")).to_have_count(0)
        expect(page.locator("#arrears-total")).to_have_text("Rp 300.000")
        page.screenshot(path=str(SCREENS / "console-tunggakan.png"), full_page=True)

        # This month's wajib from the members present: members 1 and 3.
        page.get_by_role("link", name=re.compile("Kumpulkan wajib")).click()
        page.locator(f'input[name=anggota][value="{members[0]}"]').check()
        page.locator(f'input[name=anggota][value="{members[2]}"]').check()
        page.screenshot(path=str(SCREENS / "console-wajib-kolektif.png"), full_page=True)
        page.get_by_role("button", name=re.compile("Periksa")).click()
        expect(page.locator("#collect-total")).to_have_text("Rp 100.000")
        page.get_by_role("button", name=re.compile("Konfirmasi")).click()
        expect(page.locator("#collected-total")).to_have_text("Rp 100.000")
        page.goto(base + "/staff/wajib/kumpulkan")
        expect(page.locator(f"#collect-{members[0]}")).to_contain_text("Sudah bayar")
        expect(page.locator(f'input[name=anggota][value="{members[0]}"]')).to_have_count(0)

        # The neraca today balances: Kas = pokok + wajib + sukarela.
        page.get_by_role("link", name=re.compile("Laporan")).click()
        page.get_by_label(re.compile("^Laporan")).select_option("neraca")
        page.get_by_role("button", name=re.compile("Tampilkan")).click()
        expect(page.locator("#total-aset")).to_have_text("Rp 600.000")
        expect(page.locator("#total-passiva")).to_have_text("Rp 600.000")
        expect(page.locator("#balanced")).to_contain_text("Seimbang")
        page.screenshot(path=str(SCREENS / "console-laporan.png"), full_page=True)
        context.close()
    assert outside == [], f"requests left this server: {outside}"
    assert violations == [], f"CSP violations: {violations}"
