"""What a member signs about an agenda item: its content hash (docs/RAT.md, "Content hash").

contentHash = keccak256(RFC 8785 canonical JSON of
  {"kind", "title", "text", "figures", "office", "seats", "candidates", "threshold_bps"})
with null for what the kind does not use. The wallet page recomputes it from the item as the
API shows it; the contract binds every ballot and proxy to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from ksp.anchoring.merkle import keccak256


@dataclass(frozen=True)
class ItemContent:
    kind: str
    title: str
    text: str
    # An SHU item's figures: the proposal's `ksp.shu.calc.figures` (integers, the nested
    # split and amounts, the settlement as text); None for every other kind.
    figures: Mapping[str, Any] | None
    office: str | None
    seats: int | None
    candidates: Sequence[int] | None
    threshold_bps: int | None

    def canonical(self) -> bytes:
        record: dict[str, Any] = {
            "kind": self.kind, "title": self.title, "text": self.text,
            "figures": dict(self.figures) if self.figures is not None else None,
            "office": self.office, "seats": self.seats,
            "candidates": list(self.candidates) if self.candidates is not None else None,
            "threshold_bps": self.threshold_bps,
        }
        encoded: bytes = rfc8785.dumps(record)
        return encoded


def content_hash(content: ItemContent) -> str:
    """0x-prefixed lower-case hex of keccak256 over the canonical JSON."""
    return "0x" + keccak256(content.canonical()).hex()


def agenda_hash(content_hashes: Sequence[str]) -> str:
    """keccak256 of the items' content hashes (32 bytes each) in agenda order: what a proxy
    appointment commits to, so a principal appoints for this agenda and no other."""
    joined = b"".join(bytes.fromhex(h.removeprefix("0x")) for h in content_hashes)
    return "0x" + keccak256(joined).hex()
