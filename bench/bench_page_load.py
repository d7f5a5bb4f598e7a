"""Benchmark of the member's wallet page load on a cheap phone (issue 9 acceptance).

Debian Chromium at 360x740, a simulated slow mobile network (the throttling Lighthouse
applies for mobile: 562.5 ms request latency, ~1.33 Mbit/s down) and a 4x CPU slowdown via
CDP. "Usable" is the page's own `ksp-usable` performance mark: the sign-in screen is drawn
and its buttons answer. Each run is a cold first visit (new context, empty cache).

Variants in the same run: `lazy_ethers` is the page as served, end to end. `eager_ethers`
puts the old `<script src=ethers>` back into the page (as it was before ethers was loaded on
demand); it is rewritten by the harness, and a page the harness fulfils skips the emulated
network for that one request, so it is compared with `lazy_ethers_via_harness` (the page as
served, passed through the same harness), and `eager_ethers_estimated_ms` adds back the
difference between the two lazy figures.

    PYTHONPATH=backend .venv/bin/python -m bench bench_page_load

``run()`` returns the figures as a dict; timings are never asserted.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from ksp.core.settings import Environment, Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
VIEWPORT = {"width": 360, "height": 740}
# Lighthouse's mobile throttling (devtools method): RTT 150 ms x 3.75, 1.6 Mbit/s x 0.9 x 0.9.
NETWORK = {"offline": False, "latency": 562.5,
           "downloadThroughput": 1474.56 * 1024 / 8 * 0.9,
           "uploadThroughput": 675 * 1024 / 8 * 0.9}
CPU_SLOWDOWN = 4
BUDGET_MS = 3000
EAGER_TAG = '<script src="/vendor/ethers.umd.min.js" defer></script>\n'


@contextmanager
def _serve(app: Any) -> Iterator[str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start in 20 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _one_load(browser: Any, base: str, eager: bool, via_harness: bool = False
              ) -> dict[str, float]:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    # Only this server: nothing outside is fetched, whatever the page asks for.
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(base) else route.abort())
    if eager or via_harness:
        def old_page(route: Any) -> None:
            reply = route.fetch()
            html = reply.text()
            if eager:
                html = html.replace('<script type="module"', EAGER_TAG + '<script type="module"', 1)
            route.fulfill(response=reply, body=html)
        context.route(base + "/", old_page)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(base + "/", wait_until="commit", timeout=60_000)
    # A selector, not wait_for_function: the page's CSP forbids eval.
    page.wait_for_selector("html[data-ready='1']", state="attached", timeout=60_000)
    figures = page.evaluate("""() => {
        const usable = performance.getEntriesByName('ksp-usable')[0].startTime;
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        const bytes = performance.getEntriesByType('resource')
            .reduce((n, r) => n + (r.transferSize || 0), 0)
            + performance.getEntriesByType('navigation')[0].transferSize;
        const ethers = performance.getEntriesByType('resource')
            .some((r) => r.name.includes('/vendor/ethers'));
        return {usable, fcp: paint ? paint.startTime : null, bytes, ethers};
    }""")
    context.close()
    return figures


def run(quick: bool = False) -> dict[str, object]:
    if not CHROMIUM.exists():
        return {"skipped": "Debian chromium not installed"}
    from playwright.sync_api import sync_playwright

    from ksp.api.app import create_app

    runs = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env=Environment.TEST, var_dir=Path(tmp) / "var",
                            deployments_dir=Path(tmp) / "deployments",
                            database_url=f"sqlite:///{tmp}/page.sqlite3",
                            rpc_url="http://127.0.0.1:9")
        with _serve(create_app(settings)) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            _one_load(browser, base, eager=False)  # warm the server (gzip cache, imports)
            results: dict[str, object] = {
                "viewport": f"{VIEWPORT['width']}x{VIEWPORT['height']}",
                "network": {"latency_ms": NETWORK["latency"],
                            "down_kbit_s": round(NETWORK["downloadThroughput"] * 8 / 1000),
                            "up_kbit_s": round(NETWORK["uploadThroughput"] * 8 / 1000)},
                "cpu_slowdown": CPU_SLOWDOWN, "runs": runs, "budget_ms": BUDGET_MS,
            }
            variants = (("eager_ethers", True, True), ("lazy_ethers_via_harness", False, True),
                        ("lazy_ethers", False, False))
            for name, eager, via_harness in variants:
                loads = [_one_load(browser, base, eager, via_harness) for _ in range(runs)]
                usable = [x["usable"] for x in loads]
                results[name] = {
                    "usable_ms_median": round(statistics.median(usable)),
                    "usable_ms_max": round(max(usable)),
                    "fcp_ms_median": round(statistics.median(
                        x["fcp"] for x in loads if x["fcp"] is not None)),
                    "bytes_on_wire": int(statistics.median(x["bytes"] for x in loads)),
                    "ethers_loaded_before_usable": any(x["ethers"] for x in loads),
                }
            browser.close()
    medians = {name: results[name]["usable_ms_median"]  # type: ignore[index]
               for name, _, _ in variants}
    results["eager_ethers_estimated_ms"] = (medians["eager_ethers"] + medians["lazy_ethers"]
                                            - medians["lazy_ethers_via_harness"])
    results["within_budget"] = medians["lazy_ethers"] <= BUDGET_MS
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
