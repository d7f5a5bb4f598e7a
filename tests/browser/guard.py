"""A browser context that reaches only the servers a test names, and records what a page
must never do: a request anywhere else, a Content-Security-Policy violation, an uncaught
script error. Shared by every browser test."""

from __future__ import annotations

import re
from typing import Any

TIMEOUT_MS = 15_000


def guarded_context(browser: Any, allowed: tuple[str, ...], **options: Any
                    ) -> tuple[Any, Any, list[str], list[str]]:
    """(context, page, blocked URLs, problems) for a context that reaches only `allowed`."""
    context = browser.new_context(locale="id-ID", **options)
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []
    problems: list[str] = []

    def only_ours(route: Any) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_ours)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return context, page, outside, problems


def staff_sign_in(page: Any, base: str, username: str, password: str) -> None:
    """Signs in on the staff console (starting from no session)."""
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(base + "/staff/masuk")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name=re.compile("Masuk")).click()
    expect(page.locator(".who")).to_contain_text(username)
