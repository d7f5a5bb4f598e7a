"""/docs in a real Chromium with every request outside this server blocked: Swagger UI
comes from our own node_modules copy, renders the operations, and Authorize offers the
bearer scheme, and a request tried from the page carries the token. The
Content-Security-Policy is in force and reports nothing."""

from __future__ import annotations

from typing import Any

import pytest

from ksp.auth.models import Role
from ksp.core.settings import PROJECT_ROOT
from tests.browser.guard import guarded_context
from tests.browser.test_wallet_page import browser, serve
from tests.support.client import KspClient

pytestmark = pytest.mark.browser
SCREENSHOT = PROJECT_ROOT / "docs/screens/api-docs.png"
__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the wallet tests


def test_docs_render_offline_with_operations_and_authorize(browser: Any, settings) -> None:
    from playwright.sync_api import expect

    client = KspClient(settings)
    token = client.staff(Role.PENGURUS)
    with serve(client.app) as base:
        context, page, outside, violations = guarded_context(
            browser, (base,), viewport={"width": 1280, "height": 900})
        page.goto(base + "/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("KSP")
        expect(page.locator(".opblock-summary-path",
                            has_text="/api/v1/members/{number}/deposits").first).to_be_visible()
        assert page.locator(".opblock").count() >= 20
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)

        # Authorize with a staff token, then "Try it out" on /auth/me sends it.
        page.locator(".auth-wrapper .authorize").click()
        modal = page.locator(".modal-ux")
        expect(modal).to_contain_text("bearer")
        modal.locator("input").first.fill(token)
        modal.locator("button.modal-btn.authorize").click()
        expect(modal.get_by_role("heading", name="Authorized")).to_be_visible()
        modal.get_by_role("button", name="Close").click()
        me = page.locator(".opblock", has=page.locator(".opblock-summary-path",
                                                       has_text="/api/v1/auth/me"))
        me.locator(".opblock-summary").click()
        me.get_by_role("button", name="Try it out").click()
        me.get_by_role("button", name="Execute").click()
        expect(me.locator(".live-responses-table tbody .response-col_status").first
               ).to_have_text("200")
        expect(me.locator(".live-responses-table .microlight").first
               ).to_contain_text('"role": "pengurus"')
        context.close()
    assert outside == [], f"the docs page tried to reach outside: {outside}"
    assert violations == [], violations
