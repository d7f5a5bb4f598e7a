"""The wallet page's content hash (lib/canonical.js with ethers' keccak256, run in Chromium)
equals ksp.rat.content.content_hash on the worked items and on random ones with the text a
member might meet: accents, emoji, quotes, control characters, line separators, keys out
of order, integers up to 2^53 − 1. The page refuses to sign when they differ, so a
disagreement here would refuse honest ballots."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ksp.api.app import create_app
from ksp.core.settings import Settings
from ksp.rat.content import ItemContent, content_hash
from tests.browser.test_wallet_page import browser, open_page, serve

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

HASH_JS = """async (items) => {
    const C = await import('/static/lib/canonical.js');
    const E = await (await import('/static/lib/ethers.js')).loadEthers();
    return items.map((item) => C.contentHash(E, item));
}"""
ALPHABET = "aZ09 _-.,:;'\\\"/\\\\é€😀\u2028\u2029\u0000\u001f\u007f\t\n\rÅÉÏ中文ß"


def _text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, size)))


def _item(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["lpj", "shu", "election", "adart_amendment", "motion"])
    election = kind == "election"
    candidates = rng.sample(range(1, 2**40), rng.randint(1, 6)) if election else None
    return {
        "kind": kind, "title": _text(rng, 40), "text": _text(rng, 200),
        "figures": ({_text(rng, 12) or "x": rng.choice([0, 1, 2**53 - 1, rng.randrange(10**12)])
                     for _ in range(rng.randint(1, 6))} if kind == "shu" else None),
        "office": rng.choice(["pengurus", "pengawas"]) if election else None,
        "seats": rng.randint(1, len(candidates)) if candidates else None,
        "candidates": candidates,
        "threshold_bps": None if election else rng.choice([5000, 6666]),
        # What the API also sends; not part of the hash.
        "position": rng.randint(0, 9), "content_hash": "0x00", "choices": "…",
    }


def test_the_page_hashes_items_as_the_backend_does(browser: Any,  # noqa: F811 - fixture
                                                   settings: Settings) -> None:
    rng = random.Random(12)
    items = [_item(rng) for _ in range(200)]
    expected = [content_hash(ItemContent(
        i["kind"], i["title"], i["text"], i["figures"], i["office"], i["seats"],
        i["candidates"], i["threshold_bps"])) for i in items]
    with serve(create_app(settings)) as base:
        context, page, crashes = open_page(browser, base)
        got = page.evaluate(HASH_JS, items)
        context.close()
    assert crashes == []
    assert got == expected
    changed = dict(items[0], text=items[0]["text"] + " ")
    with serve(create_app(settings)) as base:
        context, page, _ = open_page(browser, base)
        [differs] = page.evaluate(HASH_JS, [changed])
        context.close()
    assert differs != expected[0]
