"""One way to write hashes: 0x-prefixed lowercase hex, from bytes or from hex text."""

from __future__ import annotations

from hexbytes import HexBytes

from ksp.anchoring import store
from ksp.anchoring.verify import report, result
from ksp.chain import anchor_registry
from ksp.core.hexes import to_hex


def test_bytes_and_hex_text_give_the_same_lowercase_0x_form() -> None:
    raw = bytes.fromhex("00ab" * 16)
    assert to_hex(raw) == "0x" + "00ab" * 16
    assert to_hex(HexBytes(raw)) == to_hex(raw)
    assert to_hex("0x" + "00AB" * 16) == to_hex("00ab" * 16) == to_hex(raw)
    assert to_hex(b"") == "0x"


def test_the_anchoring_and_chain_code_use_this_one_definition() -> None:
    assert report.hex32 is result.hex32 is store.hex32 is anchor_registry.to_hex is to_hex
