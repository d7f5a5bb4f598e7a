"""Reading the export: each line checked in itself, and the leaf recomputed from its payload.

Checks, per line: the leaf recomputed from the UTF-8 bytes of the payload string equals
the line's `leaf_hash`; the payload is RFC 8785 canonical; its own `seq` and `kind` equal
the line's; seqs run 1, 2, 3, ... without gap, repeat or swap. At the end, the SHU lines
of each year together (`shu`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import rfc8785

from ksp.anchoring import merkle
from ksp.anchoring.verify.loans import REPAYMENT_KIND, LoggedRepayment, logged_repayment
from ksp.anchoring.verify.rat import RatChain, RatCheck
from ksp.anchoring.verify.result import MAX_FINDINGS, AuditResult, Finding
from ksp.anchoring.verify.shu import ShuCheck

RESET_KIND = "chain.reset"  # the entry the backend logs when it rebuilt a lost chain
BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark, which some editors put in front of a file
MAX_WARNINGS = 10


class _Flags:
    """Marks numbers that Python's json and RFC 8785 may print differently."""

    __slots__ = ("hit",)

    def __init__(self) -> None:
        self.hit = False

    def parse_int(self, text: str) -> int:
        if len(text) > 15:  # possibly beyond 2**53, where RFC 8785 (IEEE doubles) differs
            self.hit = True
        return int(text)

    def parse_float(self, text: str) -> float:
        self.hit = True
        return float(text)


_flags = _Flags()
_decoder = json.JSONDecoder(
    parse_int=_flags.parse_int, parse_float=_flags.parse_float,
    parse_constant=_flags.parse_float,
)
_lines = json.JSONDecoder()  # the export's own lines: plain JSON
_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False,
)


def parse_payload(payload: str) -> tuple[Any, bool]:
    """The payload's value, and whether a fast canonical check is sound for it."""
    _flags.hit = False
    value = _decoder.decode(payload)
    return value, not _flags.hit


def is_canonical(payload: str, value: Any, fast_ok: bool = True) -> bool:
    """Whether `payload` is exactly the RFC 8785 serialisation of `value`.

    Fast path: for an ASCII payload with only small integers, RFC 8785 and Python's
    json (sorted keys, no spaces) agree byte for byte: keys of ASCII sort the same by
    code point as by UTF-16 unit, and both escape exactly '"', '\\\\' and controls, with
    the same short forms. Anything else goes to the rfc8785 package.
    """
    if fast_ok and payload.isascii() and _encoder.encode(value) == payload:
        return True
    try:
        return bool(rfc8785.dumps(value) == payload.encode("utf-8"))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, TypeError, ValueError):
        return False


def _bom_note(text: str) -> tuple[str, str]:
    if "\ufeff" in text:
        return " (memuat BOM U+FEFF)", " (contains a BOM, U+FEFF)"
    return "", ""


class Scan:
    """Checks each line and yields the leaf hash recomputed from its payload bytes."""

    def __init__(self, result: AuditResult, tick: Callable[[int], None] | None,
                 rat_chain: RatChain | None = None) -> None:
        self.result = result
        self.tick = tick
        self.expected = 1  # the seq the next entry must have
        self.prev_seq: int | None = None
        self.shu = ShuCheck()  # the SHU lines, checked together at the end
        self.repayments: dict[int, LoggedRepayment] = {}  # loan repayments by seq
        self.rat = RatCheck(rat_chain)  # the RAT lines, against RatVoting when given

    def add(self, code: str, seq: int, line: int, message_id: str, message_en: str) -> None:
        self.result.findings_total += 1
        if len(self.result.findings) < MAX_FINDINGS:
            self.result.findings.append(Finding(code, seq, line, message_id, message_en))

    def leaves(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        count = 0
        pending_bytes = 0
        for number, raw in enumerate(lines, start=1):
            pending_bytes += len(raw)
            if self.tick is not None and number % 8192 == 0:
                self.tick(pending_bytes)
                pending_bytes = 0
            if raw.startswith(BOM):
                # Outside every payload, so no entry changes; but it is named, never hidden.
                raw = raw[len(BOM):]
                if len(self.result.warnings) < MAX_WARNINGS:
                    self.result.warnings.append((
                        f"baris {number} diawali BOM UTF-8 (EF BB BF), di luar entri; "
                        "diabaikan",
                        f"line {number} starts with a UTF-8 BOM (EF BB BF), outside the "
                        "entry; ignored",
                    ))
            if not raw.strip():
                continue  # a blank line carries no entry
            count += 1
            yield self.check_line(number, raw)
        if self.tick is not None:
            self.tick(pending_bytes)
        self.result.entries = count
        self.shu.finish(self.add)
        self.rat.finish(self.add)

    def check_line(self, number: int, raw: bytes) -> bytes:
        expected = self.expected
        try:
            text = raw.decode("utf-8")
            record = _lines.decode(text)
            seq, kind, payload = record["seq"], record["kind"], record["payload"]
            stated = record["leaf_hash"]
            if not isinstance(payload, str) or not isinstance(kind, str):
                raise TypeError("payload and kind must be strings")
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise TypeError("seq must be an integer")
            payload_bytes = payload.encode("utf-8")
        except (ValueError, KeyError, TypeError, UnicodeError) as exc:
            bom_id, bom_en = _bom_note(raw.decode("utf-8", "replace"))
            self.add("unreadable", expected, number,
                     f"baris {number} tidak dapat dibaca{bom_id} ({type(exc).__name__}: {exc})",
                     f"line {number} cannot be read{bom_en} ({type(exc).__name__}: {exc})")
            self.expected += 1
            self.prev_seq = None
            return merkle.leaf_hash(raw.rstrip(b"\r\n"))
        self.check_seq(number, seq, expected)
        leaf = merkle.leaf_hash(payload_bytes)
        bom_id, bom_en = _bom_note(payload)
        if not (isinstance(stated, str) and stated.lower() == "0x" + leaf.hex()):
            self.add("leaf_mismatch", seq, number,
                     f"leaf_hash di berkas tidak sama dengan hash payload-nya{bom_id} "
                     f"(dihitung 0x{leaf.hex()})",
                     f"the file's leaf_hash is not the hash of its payload{bom_en} "
                     f"(computed 0x{leaf.hex()})")
        try:
            value, fast_ok = parse_payload(payload)
        except ValueError as exc:
            self.add("payload_invalid", seq, number,
                     f"payload bukan JSON yang sah{bom_id} ({exc})",
                     f"payload is not valid JSON{bom_en} ({exc})")
            return leaf
        if not is_canonical(payload, value, fast_ok):
            self.add("not_canonical", seq, number,
                     f"payload tidak dalam bentuk kanonik RFC 8785{bom_id} (mis. spasi atau "
                     "urutan kunci berubah)",
                     f"payload is not RFC 8785 canonical JSON{bom_en} (e.g. added whitespace "
                     "or reordered keys)")
        if not isinstance(value, dict) or value.get("seq") != seq or value.get("kind") != kind:
            inner_seq = value.get("seq") if isinstance(value, dict) else None
            inner_kind = value.get("kind") if isinstance(value, dict) else None
            self.add("payload_mismatch", seq, number,
                     f"isi payload (seq {inner_seq}, jenis {inner_kind}) tidak sama dengan "
                     f"baris (seq {seq}, jenis {kind})",
                     f"the payload (seq {inner_seq}, kind {inner_kind}) does not match the "
                     f"line (seq {seq}, kind {kind})")
        elif kind == RESET_KIND:
            self.result.resets.append((seq, str(value.get("at"))))
        elif kind == REPAYMENT_KIND:
            self.repayments[seq] = logged_repayment(value, seq, number)
        else:
            self.shu.see(seq, number, kind, value)
            self.rat.see(seq, number, kind, value)
        return leaf

    def check_seq(self, number: int, seq: int, expected: int) -> None:
        if seq == expected:
            pass
        elif seq == expected + 1:
            self.add("seq_gap", expected, number,
                     f"entri seq {expected} tidak ada: baris {number} langsung memuat seq "
                     f"{seq} (entri dihapus atau dipindah)",
                     f"entry seq {expected} is missing: line {number} holds seq {seq} "
                     f"where seq {expected} belongs (entry deleted or moved)")
        elif seq > expected:
            self.add("seq_gap", expected, number,
                     f"baris {number} memuat seq {seq}, seharusnya seq {expected} (entri "
                     f"hilang atau urutan ditukar)",
                     f"line {number} holds seq {seq} where seq {expected} belongs (entries "
                     f"missing or swapped)")
        elif seq == self.prev_seq:
            self.add("seq_duplicate", seq, number,
                     f"seq {seq} muncul dua kali (baris {number - 1} dan {number}): "
                     f"ada entri yang disisipkan",
                     f"seq {seq} appears twice (lines {number - 1} and {number}): "
                     f"an entry was inserted")
        else:
            self.add("seq_order", expected, number,
                     f"baris {number} memuat seq {seq}, seharusnya seq {expected} "
                     f"(entri disisipkan atau urutan ditukar)",
                     f"line {number} holds seq {seq} where seq {expected} belongs "
                     f"(entry inserted or entries swapped)")
        # Follow the file's own numbering after a break, so one deletion is one finding.
        self.expected = max(seq, 0) + 1
        self.prev_seq = seq
