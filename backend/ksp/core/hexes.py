"""Hashes and byte strings as 0x-prefixed lowercase hex, the one way the project writes them."""

from __future__ import annotations


def to_hex(value: bytes | str) -> str:
    """0x-prefixed lowercase hex of bytes, or of a hex string with or without 0x."""
    if isinstance(value, str):
        return "0x" + value.lower().removeprefix("0x")
    return "0x" + bytes(value).hex()

