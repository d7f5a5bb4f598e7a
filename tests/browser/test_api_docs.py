"""/docs in a real Chromium with every request outside this server blocked: Swagger UI
comes from our own node_modules copy, renders the operations, and Authorize offers the
bearer scheme. The Content-Security-Policy is in force and reports nothing."""

from __future__ import annotations

from typing import Any

import pytest

from ksp.api.app import create_app
from ksp.core.settings import PROJECT_ROOT
from tests.browser.test_wallet_page import TIMEOUT_MS, browser, serve

pytestmark = pytest.mark.browser
SCREENSHOT = PROJECT_ROOT / "docs/screens/api-docs.png"
__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the wallet tests


def test_docs_render_offline_with_operations_and_authorize(browser: Any, settings) -> None:
    from playwright.sync_api import expect

    outside: list[str] = []
    violations: list[str] = []
    with serve(create_app(settings)) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)

        def only_this_server(route: Any) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_server)
        page = context.new_page()
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        page.goto(base + "/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("KSP")
        expect(page.locator(".opblock-summary-path",
                            has_text="/api/v1/members/{number}/deposits").first).to_be_visible()
        assert page.locator(".opblock").count() >= 20
        page.get_by_role("button", name="Authorize").first.click()
        expect(page.locator(".modal-ux")).to_contain_text("bearer")
        page.keyboard.press("Escape")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)
        context.close()
    assert outside == [], f"the docs page tried to reach outside: {outside}"
    assert violations == [], violations
