""""Periksa entri saya / Check my entry" on the member's wallet page (issue 9 item 12).

frontend/lib/proof.js is checked in Chromium against the worked example of
docs/ANCHORING.md and against ksp.anchoring.merkle on random trees; then a member with an
anchored deposit presses the check on its statement line and sees ✓ with the anchor's block
and transaction (the root read from the AnchorRegistry on Anvil by the page itself), while a
deposit made after the anchor shows "belum di-anchor"."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from ksp.anchoring.job import AnchorJob
from ksp.anchoring.merkle import MerkleLog, leaf_hash
from ksp.api.app import create_app
from ksp.chain.runtime import ChainRuntime
from ksp.core.settings import PROJECT_ROOT, Settings
from tests.browser.test_wallet_page import (
    browser,  # noqa: F401 - the module's Chromium, a fixture
    enrol_member,
    import_key,
    open_page,
    serve,
    teller_deposit,
)

pytestmark = pytest.mark.browser

SCREENSHOT = PROJECT_ROOT / "docs/screens/wallet-entry-check.png"

# docs/ANCHORING.md section 4 and the inclusion example of section 5.
EXAMPLE = {
    "payloads": ['{"kind":"genesis","seq":1}',
                 '{"amount":250000,"kind":"deposit","member":"M-0001","seq":2}',
                 '{"amount":100000,"kind":"withdrawal","member":"M-0001","seq":3}'],
    "leaves": ["0xc189af1dc5c799a5db959f7316625526025124afd2a8d11ed971bac9d392b35b",
               "0x18f95bbe702f2d56efbb4bbcdd8ed13ce90fabaee99508f75add67ba6509be31",
               "0x101072951a24570e597e0dd14b712aaafdd6d73c334e50a214546f14012030bd"],
    "root3": "0xf304b2304a5c58d3cd4cc03c919faaff23c051908f139b4166ee87defe4a3580",
}

# Runs in the page: proof.js with ethers' keccak256, loaded the way the page loads it.
CHECK_JS = """async ([example, cases]) => {
    const P = await import('/static/lib/proof.js');
    const E = await (await import('/static/lib/ethers.js')).loadEthers();
    const k = E.keccak256;
    const leaves = example.payloads.map((p) => P.leafHash(p, k));
    const path = [example.leaves[1], example.leaves[2]];
    return {
        leaves,
        root: P.rootFromPath(0, 3, leaves[0], path, k),
        wrongSize: P.rootFromPath(0, 5, leaves[0], path, k),
        wrongIndex: P.rootFromPath(3, 3, leaves[0], path, k),
        cases: cases.map((c) => P.rootFromPath(c.index, c.size, c.leaf, c.path, k)),
    };
}"""


def hex0x(data: bytes) -> str:
    return "0x" + data.hex()


def test_proof_js_matches_the_worked_example_and_merkle_py_on_random_trees(
        browser: Any, settings: Settings) -> None:  # noqa: F811 - fixture
    rng = random.Random(9)
    cases: list[dict[str, Any]] = []
    expected: list[str | None] = []
    for size in [1, 2, 3, 5, 7, 8, 9, 13, 31, 64, 100, 257]:
        tree = MerkleLog()
        tree.extend(leaf_hash(rng.randbytes(rng.randint(0, 80))) for _ in range(size))
        for index in {0, size - 1, rng.randrange(size)}:
            path = [hex0x(p) for p in tree.inclusion_proof(index, size)]
            leaf = hex0x(tree.leaf(index))
            cases.append({"index": index, "size": size, "leaf": leaf, "path": path})
            expected.append(hex0x(tree.root(size)))
            if path:  # a changed sibling leads elsewhere; a dropped one does not fit
                bad = [*path[:-1], hex0x(bytes(32))]
                cases.append({"index": index, "size": size, "leaf": leaf, "path": bad})
                expected.append("differs")
                cases.append({"index": index, "size": size, "leaf": leaf, "path": path[1:]})
                expected.append(None)

    with serve(create_app(settings)) as base:
        context, page, crashes = open_page(browser, base)
        got = page.evaluate(CHECK_JS, [EXAMPLE, cases])
        context.close()

    assert got["leaves"] == EXAMPLE["leaves"]
    assert got["root"] == EXAMPLE["root3"]
    assert got["wrongSize"] != EXAMPLE["root3"]
    assert got["wrongIndex"] is None
    true_root = None
    for case, want, root in zip(cases, expected, got["cases"], strict=True):
        if want == "differs":  # follows its valid twin, whose root is true_root
            assert root != true_root, case
        else:
            assert root == want, case
            true_root = want
    assert crashes == []


def test_member_checks_an_anchored_entry_and_sees_a_later_one_not_anchored_yet(
        browser: Any, chain_settings: Settings) -> None:  # noqa: F811 - fixture
    from playwright.sync_api import expect

    runtime = ChainRuntime(chain_settings)
    deployment = runtime.deploy()
    registry = deployment["contracts"]["AnchorRegistry"]
    account, number = enrol_member(chain_settings)  # pokok 100.000, sukarela 250.000
    app = create_app(chain_settings, runtime)
    job = AnchorJob(app.state.sessionmaker, runtime.connect(), registry["address"],
                    chain_settings, from_block=registry["block"])
    anchored = job.anchor_now()
    assert anchored.block is not None and anchored.tx_hash, anchored.message
    teller_deposit(chain_settings, number, "sukarela", 75_000)  # after the anchor

    with serve(app) as base:
        context, page, crashes = open_page(browser, base)
        # The chain is read by the phone: our server is never asked for the anchor.
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        import_key(page, account.key.hex())
        page.get_by_role("button", name="Masuk", exact=True).click()
        lines = page.locator("#lines li")
        expect(lines).to_have_count(3)
        newest, sukarela = lines.nth(0), lines.nth(1)
        expect(newest).to_contain_text("+Rp 75.000")
        expect(sukarela).to_contain_text("+Rp 250.000")

        sukarela.get_by_role("button", name="Periksa entri saya").click()
        result = sukarela.locator(".check-result")
        expect(result).to_contain_text("✓ Entri ini tercatat di blockchain", timeout=20_000)
        text = result.inner_text()
        block = int(re.search(r"blok (\d+)", text).group(1))  # type: ignore[union-attr]
        assert block == anchored.block
        tx = anchored.tx_hash.lower().removeprefix("0x")
        assert f"transaksi 0x{tx[:8]}…{tx[-6:]}" in text, text
        assert any(u.startswith(chain_settings.rpc_url) for u in asked), asked

        newest.get_by_role("button", name="Periksa entri saya").click()
        expect(newest.locator(".check-result")).to_have_text(
            f"Belum di-anchor; diperkirakan dalam {chain_settings.anchor_every_minutes} menit.")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        # A server that alters the entry (one rupiah more) is caught on the phone.
        def altered(route: Any) -> None:
            reply = route.fetch()
            body = reply.json()
            body["payload"] = body["payload"].replace("250000", "250001")
            route.fulfill(response=reply, json=body)

        page.route("**/api/v1/log/entries/*/proof", altered)
        sukarela.get_by_role("button", name="Periksa entri saya").click()
        expect(result).to_have_text(
            "✗ Bukti TIDAK cocok dengan blockchain. Laporkan ke pengawas koperasi.")
        page.unroute("**/api/v1/log/entries/*/proof")
        sukarela.get_by_role("button", name="Periksa entri saya").click()
        expect(result).to_contain_text("✓ Entri ini tercatat di blockchain")

        page.get_by_role("button", name="EN", exact=True).click()
        expect(newest.locator(".check-result")).to_contain_text("Not anchored yet")
        expect(result).to_contain_text("✓ This entry is recorded on the blockchain")
        assert crashes == []
        context.close()
