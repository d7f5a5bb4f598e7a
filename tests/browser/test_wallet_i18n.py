"""The wallet page's two languages: same keys, same placeholders, and every key the HTML or
the JavaScript uses exists (no text silently shown as its key)."""

from __future__ import annotations

import json
import re

import pytest

from ksp.core.settings import PROJECT_ROOT
from ksp.savings.service import Jenis

FRONTEND = PROJECT_ROOT / "frontend"
LANGS = ("id", "en")
# How the modules name a text: t('k'), say('k'), progress('k'), translate(lang, 'k'),
# and errors thrown as { key: 'k' }.
USES = (re.compile(r"(?<![\w.])(?:t|say|progress)\(\s*'(\w+)'"),
        re.compile(r"\btranslate\([^,()]+,\s*'(\w+)'"),
        re.compile(r"\bkey:\s*'(\w+)'"))
ACTIONS = re.compile(r"const ACTIONS = \[([^\]]*)\]")


def texts(lang: str) -> dict[str, str]:
    table = json.loads((FRONTEND / f"lib/i18n/{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(table, dict) and all(isinstance(v, str) for v in table.values())
    return table


def modules() -> list[str]:
    files = sorted([*FRONTEND.glob("lib/*.js"), *FRONTEND.glob("wallet/*.js")])
    assert files, "no page modules found"
    return [f.read_text(encoding="utf-8") for f in files]


def used_keys() -> set[str]:
    html = (FRONTEND / "index.html").read_text(encoding="utf-8")
    keys = set(re.findall(r'data-i18n="(\w+)"', html))
    for source in modules():
        for pattern in USES:
            keys |= set(pattern.findall(source))
        for listed in ACTIONS.findall(source):  # statement actions, looked up by name
            keys |= set(re.findall(r"'(\w+)'", listed))
    keys |= {jenis.value for jenis in Jenis}  # balance and statement labels, by jenis
    return keys


def test_both_languages_have_the_same_keys() -> None:
    indonesian, english = texts("id"), texts("en")
    assert set(indonesian) - set(english) == set(), "missing in en.json"
    assert set(english) - set(indonesian) == set(), "missing in id.json"


@pytest.mark.parametrize("key", sorted(json.loads(
    (FRONTEND / "lib/i18n/id.json").read_text(encoding="utf-8"))))
def test_placeholders_agree_between_languages(key: str) -> None:
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))
    assert names(texts("id")[key]) == names(texts("en").get(key, ""))


def test_every_key_the_page_uses_exists_in_both_languages() -> None:
    used = used_keys()
    assert len(used) > 50, f"the key extraction found too little: {sorted(used)}"
    for lang in LANGS:
        assert used - set(texts(lang)) == set(), f"used but missing in {lang}.json"


def test_no_key_is_defined_but_never_used() -> None:
    assert set(texts("id")) - used_keys() == set()
