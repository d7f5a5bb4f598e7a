"""Potong gaji in the console, in a real Chromium with every outside request blocked: a
teller uploads the paymaster's XLSX, sees what posted and every refused line with its
reason in both languages, downloads the report for the paymaster, and uploading the same
file again posts nothing. A pengawas sees the imports but has no upload form."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.printing.render import read_csv
from ksp.savings import service as savings
from tests.browser.guard import guarded_context, staff_sign_in
from tests.browser.test_wallet_page import browser, serve
from tests.payroll.test_xlsx import workbook
from tests.support.factories import join

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
PASSWORD = "rahasia-uji-konsol-7"  # test-only staff password, per test database
JOINED = dt.date(2025, 1, 10)


def test_a_teller_imports_the_paymasters_xlsx_and_reads_the_refused_lines(
        browser: Any, settings: Settings, tmp_path: Any) -> None:
    from playwright.sync_api import expect

    app = create_app(settings)
    with transaction(app.state.sessionmaker) as session:
        for username, role in (("teller", Role.ADMIN), ("pak.pengawas", Role.PENGAWAS)):
            create_staff(session, username=username, password=PASSWORD, role=role)
        members = [join(session, app.state.cipher, i, on=JOINED).number for i in (1, 2)]
    sheet = tmp_path / "gaji-november.xlsx"
    sheet.write_bytes(workbook(["nomor_anggota", "nama", "wajib", "sukarela"],
                               [members[0], "Ani", 50000, 25000],
                               [members[1], "Budi", "Rp 50.000", None],
                               [999, "Tidak Ada", 50000, None],
                               [members[1], "Budi", 12500.5, None]))
    with serve(app) as base:
        context, page, outside, problems = guarded_context(
            browser, (base,), viewport={"width": 1100, "height": 800})
        staff_sign_in(page, base, "teller", PASSWORD)
        page.get_by_role("link", name=re.compile("Potong gaji")).click()
        page.get_by_role("button", name=re.compile("Impor")).click()  # no file chosen yet
        expect(page.locator("#err-berkas")).to_contain_text("Pilih berkas CSV atau XLSX")

        page.locator("#berkas").set_input_files(str(sheet))
        page.locator("#period").fill("2026-11")
        page.get_by_role("button", name=re.compile("Impor")).click()
        expect(page.locator("#summary")).to_contain_text("2 baris diposting")
        expect(page.locator("#amount")).to_have_text("Rp 125.000")
        expect(page.locator("#rejected")).to_have_text("2")
        rows = page.locator("#rejects tbody tr, #rejects tr:has(td)")
        expect(page.locator("#rejects")).to_contain_text("unknown_member")
        expect(page.locator("#rejects")).to_contain_text("tidak ditemukan")
        expect(page.locator("#rejects")).to_contain_text("not found")
        expect(page.locator("#rejects")).to_contain_text("amount_not_understood")
        assert rows.count() == 2
        page.screenshot(path=str(SCREENS / "console-potong-gaji.png"), full_page=True)
        with page.expect_download() as caught:
            page.locator("#rejects-csv").click()
        report = read_csv(open(caught.value.path(), encoding="utf-8-sig").read())
        assert [r[0] for r in report[1:]] == ["4", "5"]

        # The same file again (a new form): nothing new posts, and the page says so.
        page.get_by_role("link", name=re.compile("Kembali ke potong gaji")).click()
        page.locator("#berkas").set_input_files(str(sheet))
        page.locator("#period").fill("2026-11")
        page.get_by_role("button", name=re.compile("Impor")).click()
        expect(page.locator("#summary")).to_contain_text("0 baris diposting")
        expect(page.locator("#already")).to_have_text("2")

        # The pengawas sees both imports, and no form to upload with.
        staff_sign_in(page, base, "pak.pengawas", PASSWORD)
        page.goto(base + "/staff/potong-gaji")
        expect(page.locator("#imports tr:has(td a)")).to_have_count(2)
        expect(page.locator("#payroll-form")).to_have_count(0)
        assert outside == [] and problems == []
        context.close()
    with app.state.sessionmaker() as session:
        balances = [savings.balances(session, n) for n in members]
    assert [b[savings.Jenis.WAJIB] for b in balances] == [50_000, 50_000]
    assert balances[0][savings.Jenis.SUKARELA] == 25_000
