"""The console's system pages in a real Chromium against the real app, every request
outside this server blocked: a super admin reads the chain status and asks for the
reconciliation (htmx; the chain is down, so it says so), creates a staff account (a weak
password first, refused by the field), and filters the audit trail. No Content-Security-
Policy violation may occur."""

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
from tests.console.test_admin import add_chain_rows, add_events

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
PASSWORD = "rahasia-uji-konsol-7"  # test-only staff password, per test database
TIMEOUT_MS = 15_000


def test_super_admin_reads_the_chain_manages_staff_and_filters_the_audit_trail(
        browser: Any, settings: Settings) -> None:
    from playwright.sync_api import expect

    app = create_app(settings)
    factory = app.state.sessionmaker
    with transaction(factory) as session:
        create_staff(session, username="pak.it", password=PASSWORD, role=Role.SUPER_ADMIN)
        create_staff(session, username="kasir", password=PASSWORD, role=Role.ADMIN)
    add_chain_rows(factory)
    add_events(factory)
    with serve(app) as base:
        context, page, outside, violations = guarded_context(
            browser, (base,), viewport={"width": 1100, "height": 800})

        page.goto(base + "/staff/")
        page.locator("input[name=username]").fill("pak.it")
        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Masuk")).click()
        expect(page.locator(".who")).to_contain_text("pak.it · super_admin")

        # Rantai: the page, then the reconciliation through htmx (no page load).
        page.get_by_role("link", name=re.compile("^Rantai")).click()
        expect(page.locator("#chain-down")).to_contain_text("Rantai tidak terjangkau")
        expect(page.locator("#outbox-pending")).to_have_text("2")
        expect(page.locator("#backlog")).to_contain_text("3 belum final")
        page.evaluate("window.__same_page = true")
        page.locator("#reconcile").click()
        expect(page.locator("#rekon-problem")).to_contain_text("Chain unreachable")
        assert page.evaluate("window.__same_page") is True  # swapped in, not navigated
        page.screenshot(path=str(SCREENS / "console-rantai.png"), full_page=True)

        # Staf: a weak password is refused by the field; then the account is made.
        page.get_by_role("link", name=re.compile("^Staf")).click()
        page.locator("#staff-new input[name=username]").fill("teller.dua")
        page.locator("#staff-new select[name=role]").select_option("admin")
        page.locator("#staff-new input[name=password]").fill("password1")
        page.get_by_role("button", name=re.compile("Buat akun")).click()
        expect(page.locator("#err-password")).to_contain_text("Kata sandi ditolak")
        expect(page.locator("#err-password")).to_contain_text("Password refused")
        page.locator("#staff-new input[name=password]").fill("kerbau-sawah-merah-tujuh")
        page.get_by_role("button", name=re.compile("Buat akun")).click()
        expect(page.get_by_role("status")).to_contain_text("Akun dibuat.")
        expect(page.locator("#staff-teller\\.dua")).to_contain_text("Admin")
        page.screenshot(path=str(SCREENS / "console-staf.png"), full_page=True)

        # Jejak audit: the creation above is the newest event; then a filter by actor.
        page.get_by_role("link", name=re.compile("^Audit")).click()
        expect(page.locator("#audit-events tbody tr").first).to_contain_text("POST /staff/staf")
        page.locator("#audit-filter input[name=pelaku]").fill("kasir")
        page.locator("#audit-filter input[name=dari]").fill("02-11-2026")
        page.get_by_role("button", name=re.compile("Saring")).click()
        expect(page.locator("#audit-events tbody tr")).to_have_count(1)
        expect(page.locator("#audit-events")).to_contain_text("POST /staff/anggota/baru")
        page.screenshot(path=str(SCREENS / "console-audit.png"), full_page=True)
        context.close()
    assert outside == [], f"requests left this server: {outside}"
    assert violations == [], f"CSP violations: {violations}"
