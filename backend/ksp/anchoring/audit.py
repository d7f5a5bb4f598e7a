"""The auditor's verifier: an exported log (JSONL) against the anchors on chain.

`verify` needs only the export, an RPC URL and the registry address: no database, no
server, no contract sources. It

1. reads every `Anchored` event and `latest()` at one pinned block;
2. reads the export line by line and, for each entry, recomputes the leaf from the UTF-8
   bytes of the payload string, checks it against the line's `leaf_hash`, checks that
   the payload is RFC 8785 canonical, that its own `seq` and `kind` match the line, and
   that seqs run 1, 2, 3, ... without gap, repeat or swap;
3. builds the tree from the recomputed leaves (merkle.MerkleLog) and checks each
   anchor's root at its size, a consistency proof between successive anchors, and that
   `latest()` is the last event.

It names the first diverging seq: exactly, when a line is wrong in itself (its leaf,
its canonical form, its seq); as a range between two anchors when every line is
self-consistent but an anchored root differs (a rewritten entry whose `leaf_hash` was
rewritten too: only the anchors can tell, and they tell only which anchored interval).

`prove` (which does use the database) builds an entry's inclusion proof against the
latest anchor, in the format of docs/ANCHORING.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rfc8785

from ksp.anchoring import merkle
from ksp.chain import anchor_registry as registry
from ksp.core.errors import Conflict, KspError, NotFound
from ksp.core.hexes import to_hex as _hex

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from web3 import Web3

MAX_FINDINGS = 100  # after a deletion every later line would differ; keep the report short
EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2


# --- result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A line of the export that is wrong in itself; `seq` is the first bad seq it names."""

    code: str
    seq: int
    line: int
    message_id: str
    message_en: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "seq": self.seq, "line": self.line,
                "message": self.message_id, "message_en": self.message_en}


@dataclass(frozen=True)
class AnchorCheck:
    index: int
    tree_size: int
    root: bytes  # on chain
    tx_hash: str
    block: int
    status: str  # ok | mismatch | beyond_export
    computed_root: bytes | None
    consistent: bool | None  # consistency proof from the previous anchor verified

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index, "tree_size": self.tree_size, "root": _hex(self.root),
            "tx_hash": self.tx_hash, "block": self.block, "status": self.status,
            "computed_root": _hex(self.computed_root) if self.computed_root else None,
            "consistent_with_previous": self.consistent,
        }


@dataclass
class AuditResult:
    entries: int = 0
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    anchors: list[AnchorCheck] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # chain-side, (id, en)
    latest: registry.LatestAnchor | None = None
    first_bad_seq: int | None = None
    first_bad_range: tuple[int, int] | None = None
    headline_id: str = ""
    headline_en: str = ""
    error: str | None = None  # the audit could not run (file, RPC): exit 2

    @property
    def ok(self) -> bool:
        return self.error is None and not self.findings_total and not self.problems and all(
            a.status == "ok" and a.consistent is not False for a in self.anchors
        )

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_ERROR
        return EXIT_OK if self.ok else EXIT_MISMATCH

    @property
    def anchored_size(self) -> int:
        return self.anchors[-1].tree_size if self.anchors else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_range": list(self.first_bad_range) if self.first_bad_range else None,
            "message": self.headline_id,
            "message_en": self.headline_en,
            "findings": [f.to_json() for f in self.findings],
            "findings_total": self.findings_total,
            "anchors": [a.to_json() for a in self.anchors],
            "chain_problems": [{"message": i, "message_en": e} for i, e in self.problems],
            "latest": None if self.latest is None else {
                "tree_size": self.latest.tree_size, "root": _hex(self.latest.root),
                "anchor_count": self.latest.anchor_count,
            },
            "error": self.error,
        }


# --- canonical JSON --------------------------------------------------------------------


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


def _parse_payload(payload: str) -> tuple[Any, bool]:
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


# --- reading the export ----------------------------------------------------------------


class _Scan:
    """Checks each line and yields the leaf hash recomputed from its payload bytes."""

    def __init__(self, result: AuditResult, tick: Callable[[int], None] | None) -> None:
        self.result = result
        self.tick = tick
        self.expected = 1  # the seq the next entry must have
        self.prev_seq: int | None = None

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
            if not raw.strip():
                continue  # a blank line carries no entry
            count += 1
            yield self.check_line(number, raw)
        if self.tick is not None:
            self.tick(pending_bytes)
        self.result.entries = count

    def check_line(self, number: int, raw: bytes) -> bytes:
        expected = self.expected
        try:
            record = _lines.decode(raw.decode("utf-8"))
            seq, kind, payload = record["seq"], record["kind"], record["payload"]
            stated = record["leaf_hash"]
            if not isinstance(payload, str) or not isinstance(kind, str):
                raise TypeError("payload and kind must be strings")
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise TypeError("seq must be an integer")
            payload_bytes = payload.encode("utf-8")
        except (ValueError, KeyError, TypeError, UnicodeError) as exc:
            self.add("unreadable", expected, number,
                     f"baris {number} tidak dapat dibaca ({type(exc).__name__}: {exc})",
                     f"line {number} cannot be read ({type(exc).__name__}: {exc})")
            self.expected += 1
            self.prev_seq = None
            return merkle.leaf_hash(raw.rstrip(b"\r\n"))
        self.check_seq(number, seq, expected)
        leaf = merkle.leaf_hash(payload_bytes)
        if not (isinstance(stated, str) and stated.lower() == "0x" + leaf.hex()):
            self.add("leaf_mismatch", seq, number,
                     f"leaf_hash di berkas tidak sama dengan hash payload-nya "
                     f"(dihitung 0x{leaf.hex()})",
                     f"the file's leaf_hash is not the hash of its payload "
                     f"(computed 0x{leaf.hex()})")
        try:
            value, fast_ok = _parse_payload(payload)
        except ValueError as exc:
            self.add("payload_invalid", seq, number, f"payload bukan JSON yang sah ({exc})",
                     f"payload is not valid JSON ({exc})")
            return leaf
        if not is_canonical(payload, value, fast_ok):
            self.add("not_canonical", seq, number,
                     "payload tidak dalam bentuk kanonik RFC 8785 (mis. spasi atau urutan "
                     "kunci berubah)",
                     "payload is not RFC 8785 canonical JSON (e.g. added whitespace or "
                     "reordered keys)")
        if not isinstance(value, dict) or value.get("seq") != seq or value.get("kind") != kind:
            inner_seq = value.get("seq") if isinstance(value, dict) else None
            inner_kind = value.get("kind") if isinstance(value, dict) else None
            self.add("payload_mismatch", seq, number,
                     f"isi payload (seq {inner_seq}, jenis {inner_kind}) tidak sama dengan "
                     f"baris (seq {seq}, jenis {kind})",
                     f"the payload (seq {inner_seq}, kind {inner_kind}) does not match the "
                     f"line (seq {seq}, kind {kind})")
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


# --- chain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainView:
    """Everything the audit reads from the chain, pinned at one block."""

    block: int
    events: list[registry.AnchorEvent]
    latest: registry.LatestAnchor


def read_chain(w3: Web3, address: str, from_block: int = 0) -> ChainView:
    if not w3.eth.get_code(registry.checksum(address)):
        raise LookupError(f"no contract at {address} on this chain")
    head = w3.eth.block_number
    events = registry.read_anchors(w3, address, from_block, head)
    return ChainView(head, events, registry.latest(w3, address, head))


# --- verify ----------------------------------------------------------------------------


def verify(
    log_path: Path | str,
    rpc_url: str,
    registry_address: str,
    *,
    from_block: int = 0,
    progress: bool = False,
) -> AuditResult:
    """Verifies an exported log against the registry's anchors (see module doc)."""
    from ksp.chain.client import make_web3

    result = AuditResult()
    path = Path(log_path)
    if not path.is_file():
        result.error = f"berkas tidak ditemukan / file not found: {path}"
        _headline(result)
        return result
    try:
        w3 = make_web3(rpc_url, timeout=30)
        chain = read_chain(w3, registry_address, from_block)
    except Exception as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        result.error = (f"rantai tidak dapat dibaca / cannot read the chain at {rpc_url}: "
                        f"{type(exc).__name__}: {first}")
        _headline(result)
        return result
    return verify_against(path, chain, from_block=from_block, progress=progress,
                          result=result)


def verify_against(
    path: Path,
    chain: ChainView,
    *,
    from_block: int = 0,
    progress: bool = False,
    result: AuditResult | None = None,
) -> AuditResult:
    """`verify` with the chain already read (the export is the only input read here)."""
    result = result or AuditResult()
    with path.open("rb") as source:
        if progress:
            tree = _build_with_progress(source, path, result)
        else:
            tree = merkle.MerkleLog.from_leaf_hashes(_Scan(result, None).leaves(source))
    _check_anchors(result, tree, chain, from_block)
    _locate(result)
    _headline(result)
    return result


def _build_with_progress(source: Any, path: Path, result: AuditResult) -> merkle.MerkleLog:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("Memeriksa / checking"), BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task("scan", total=os.path.getsize(path))
        scan = _Scan(result, lambda n: bar.advance(task, n))
        return merkle.MerkleLog.from_leaf_hashes(scan.leaves(source))


def _check_anchors(result: AuditResult, tree: merkle.MerkleLog, chain: ChainView,
                   from_block: int) -> None:
    events, latest = chain.events, chain.latest
    result.latest = latest
    n = tree.size
    if not events:
        result.problems.append((
            f"tidak ada anchor di registri sejak blok {from_block}: tidak ada yang dapat "
            "dicocokkan",
            f"no anchors in the registry since block {from_block}: nothing to check against",
        ))
        return
    first_index = events[0].index
    if first_index != 0 and from_block == 0:
        result.problems.append((f"event anchor #0..#{first_index - 1} tidak terbaca",
                                f"anchor events #0..#{first_index - 1} could not be read"))
    for position, event in enumerate(events):
        if event.index != first_index + position:
            result.problems.append((
                f"event anchor tidak berurutan: #{event.index} di posisi {position}",
                f"anchor events out of sequence: #{event.index} at position {position}",
            ))
            break
    previous: AnchorCheck | None = None
    for event in events:
        computed: bytes | None = None
        consistent: bool | None = None
        if event.tree_size > n:
            status = "beyond_export"
        else:
            computed = tree.root(event.tree_size)
            status = "ok" if computed == event.root else "mismatch"
            if previous is not None and previous.computed_root is not None:
                proof = tree.consistency_proof(previous.tree_size, event.tree_size)
                consistent = merkle.verify_consistency(
                    previous.tree_size, event.tree_size, previous.root, event.root, proof
                )
        check = AnchorCheck(event.index, event.tree_size, event.root, event.tx_hash,
                            event.block, status, computed, consistent)
        result.anchors.append(check)
        previous = check
    last = events[-1]
    if (latest.tree_size, latest.root, latest.anchor_count) != (
        last.tree_size, last.root, last.index + 1
    ):
        result.problems.append((
            f"latest() di kontrak (ukuran {latest.tree_size}, {latest.anchor_count} anchor) "
            f"tidak sama dengan event terakhir #{last.index} (ukuran {last.tree_size})",
            f"the contract's latest() (size {latest.tree_size}, {latest.anchor_count} anchors) "
            f"differs from the last event #{last.index} (size {last.tree_size})",
        ))


def _locate(result: AuditResult) -> None:
    """The first bad seq (exact, from a line) or the first bad anchored range."""
    if result.findings:
        result.first_bad_seq = min(f.seq for f in result.findings)
    good = 0
    for check in result.anchors:
        if check.status == "ok":
            good = check.tree_size
            continue
        result.first_bad_range = (good + 1, check.tree_size)
        if check.status == "beyond_export":
            # The export stops short of an anchored size: the next seq is missing.
            missing = result.entries + 1
            if result.first_bad_seq is None or missing < result.first_bad_seq:
                result.first_bad_seq = missing
        break


def _covering(result: AuditResult, seq: int) -> AnchorCheck | None:
    return next((a for a in result.anchors if a.tree_size >= seq), None)


def _headline(result: AuditResult) -> None:
    if result.error is not None:
        result.headline_id = f"Audit tidak dapat dijalankan: {result.error}"
        result.headline_en = f"The audit could not run: {result.error}"
        return
    n, anchors = result.entries, result.anchors
    seq = result.first_bad_seq
    if seq is not None:
        finding = next((f for f in result.findings if f.seq == seq), None)
        anchor = _covering(result, seq)
        if finding is not None:
            why_id, why_en = finding.message_id, finding.message_en
        else:  # the export ends before an anchored size
            why_id = f"ekspor berakhir di seq {n}, entri seq {seq} dan seterusnya tidak ada"
            why_en = f"the export ends at seq {n}; entry seq {seq} onwards is missing"
        if anchor is not None and anchor.status != "ok":
            where_id = f" dengan anchor #{anchor.index} (ukuran {anchor.tree_size})"
            where_en = f" anchor #{anchor.index} (size {anchor.tree_size})"
            result.headline_id = f"Entri seq {seq} tidak cocok{where_id}: {why_id}."
            result.headline_en = f"Entry seq {seq} does not match{where_en}: {why_en}."
        else:
            note_id = (" (belum di-anchor)" if anchor is None
                       else f" (anchor #{anchor.index} ukuran {anchor.tree_size} tetap cocok)")
            note_en = (" (not anchored yet)" if anchor is None
                       else f" (anchor #{anchor.index} of size {anchor.tree_size} still matches)")
            result.headline_id = f"Entri seq {seq} tidak cocok{note_id}: {why_id}."
            result.headline_en = f"Entry seq {seq} does not match{note_en}: {why_en}."
        return
    if result.first_bad_range is not None:
        lo, hi = result.first_bad_range
        bad = next(a for a in anchors if a.status != "ok")
        before_id = (f"anchor sebelumnya (ukuran {lo - 1}) cocok" if lo > 1
                     else "ini anchor pertama")
        before_en = (f"the previous anchor (size {lo - 1}) matches" if lo > 1
                     else "this is the first anchor")
        computed = _hex(bad.computed_root) if bad.computed_root else "-"
        result.headline_id = (
            f"Entri pertama yang berbeda ada di antara seq {lo} dan seq {hi}: anchor "
            f"#{bad.index} (ukuran {hi}) tidak cocok — akar dari ekspor {computed} ≠ akar "
            f"on-chain {_hex(bad.root)}; {before_id}. Setiap baris konsisten dengan "
            "leaf_hash-nya sendiri, jadi isi entri dan leaf_hash-nya diubah bersama."
        )
        result.headline_en = (
            f"The first differing entry is between seq {lo} and seq {hi}: anchor "
            f"#{bad.index} (size {hi}) does not match — root from the export {computed} ≠ "
            f"on-chain root {_hex(bad.root)}; {before_en}. Every line matches its own "
            "leaf_hash, so an entry and its leaf_hash were changed together."
        )
        return
    if result.problems:
        result.headline_id = "Anchor di rantai bermasalah: " + "; ".join(
            i for i, _ in result.problems)
        result.headline_en = "Problem with the anchors on chain: " + "; ".join(
            e for _, e in result.problems)
        return
    last = anchors[-1]
    rest = n - last.tree_size
    result.headline_id = (
        f"Cocok: {n} entri, {len(anchors)} anchor; anchor terakhir #{last.index} "
        f"(ukuran {last.tree_size}, blok {last.block}) sama dengan latest() kontrak."
        + (f" {rest} entri terakhir belum di-anchor." if rest else "")
    )
    result.headline_en = (
        f"OK: {n} entries, {len(anchors)} anchors; the last anchor #{last.index} "
        f"(size {last.tree_size}, block {last.block}) equals the contract's latest()."
        + (f" The last {rest} entries are not anchored yet." if rest else "")
    )


def report_lines(result: AuditResult) -> list[str]:
    """The result in plain words, for the terminal."""
    lines = [result.headline_id, result.headline_en]
    if result.error is not None:
        return lines
    if result.first_bad_seq is not None:
        lines.append(f"Seq pertama yang salah / first bad seq: {result.first_bad_seq}")
    if result.first_bad_range is not None:
        lo, hi = result.first_bad_range
        lines.append(f"Rentang anchor pertama yang gagal / first failing anchored range: "
                     f"seq {lo}..{hi}")
    for finding in result.findings[:20]:
        lines.append(f"  seq {finding.seq} (baris/line {finding.line}): {finding.message_id}"
                     f" / {finding.message_en}")
    if result.findings_total > 20:
        lines.append(f"  … {result.findings_total - 20} temuan lain / more findings")
    for check in result.anchors:
        consistency = {True: ", konsisten/consistent", False: ", TIDAK konsisten/NOT consistent",
                       None: ""}[check.consistent]
        lines.append(f"  anchor #{check.index} ukuran/size {check.tree_size} blok/block "
                     f"{check.block}: {check.status}{consistency}")
    for problem_id, problem_en in result.problems:
        lines.append(f"  {problem_id} / {problem_en}")
    return lines


# --- inclusion proofs (database side) --------------------------------------------------


class NotAnchoredYet(Conflict):
    code = "not_anchored_yet"
    message_id = "Entri seq {seq} belum di-anchor (anchor terakhir: ukuran {anchored})."
    message_en = "Entry seq {seq} is not anchored yet (latest anchor: size {anchored})."


class AnchorDisagrees(KspError):
    code = "anchor_disagrees"
    status = 500
    message_id = "Anchor #{index} di rantai tidak sama dengan catatan basis data."
    message_en = "Anchor #{index} on chain differs from the database record."


def prove(
    session: Session,
    seq: int,
    *,
    w3: Web3 | None = None,
    registry_address: str | None = None,
) -> dict[str, Any]:
    """Inclusion proof of entry `seq` against the latest confirmed anchor.

    With `w3`, the anchor is also read back from the chain (its event at the recorded
    block) and must agree with the database record.
    """
    from sqlalchemy import select

    from ksp.anchoring import store
    from ksp.anchoring.models import AnchorRecord
    from ksp.ledger.models import LogEntry

    entry = session.get(LogEntry, seq)
    if entry is None:
        raise NotFound(what_id="Entri log", what_en="Log entry", key=seq)
    query = select(AnchorRecord).where(AnchorRecord.status == "confirmed")
    if registry_address is not None:
        query = query.where(
            AnchorRecord.registry_address == registry.checksum(registry_address))
    anchor = session.scalars(query.order_by(AnchorRecord.tree_size.desc()).limit(1)).first()
    if anchor is None or anchor.tree_size < seq:
        raise NotAnchoredYet(seq=seq, anchored=anchor.tree_size if anchor else 0)
    proof = store.inclusion_proof(session, seq, anchor.tree_size)
    if proof.root != anchor.root or not proof.verify():
        raise AnchorDisagrees(index=anchor.anchor_index)
    if w3 is not None and anchor.block_number is not None:
        found = registry.read_anchors(w3, anchor.registry_address, anchor.block_number,
                                      anchor.block_number)
        if not any(e.index == anchor.anchor_index and e.root == anchor.root for e in found):
            raise AnchorDisagrees(index=anchor.anchor_index)
    body = proof.to_json()
    body["payload"] = entry.payload
    body["anchor"] = {
        "index": anchor.anchor_index,
        "tx_hash": anchor.tx_hash,
        "block": anchor.block_number,
        "chain_id": anchor.chain_id,
        "registry": anchor.registry_address,
    }
    return body


def check_proof(proof: dict[str, Any], w3: Web3, registry_address: str,
                from_block: int = 0) -> tuple[bool, str]:
    """Auditor side of `prove`: the path leads to the root, and that root is anchored."""
    try:
        leaf = bytes.fromhex(str(proof["leaf_hash"]).removeprefix("0x"))
        root = bytes.fromhex(str(proof["root"]).removeprefix("0x"))
        path = [bytes.fromhex(str(p).removeprefix("0x")) for p in proof["path"]]
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
    except (KeyError, ValueError, TypeError) as exc:
        return False, f"bukti tidak terbaca / unreadable proof: {exc}"
    payload = proof.get("payload")
    if isinstance(payload, str) and merkle.leaf_hash(payload.encode("utf-8")) != leaf:
        return False, "leaf_hash bukan hash payload / leaf_hash is not the payload's hash"
    if not merkle.verify_inclusion(leaf, index, size, path, root):
        return False, "jalur tidak menuju akar / the path does not lead to the root"
    for event in registry.read_anchors(w3, registry_address, from_block):
        if event.tree_size == size:
            if event.root != root:
                return False, (f"anchor #{event.index} ukuran {size} punya akar lain / "
                               f"anchor #{event.index} of size {size} has another root")
            return True, (f"Bukti sah: entri ada di log ukuran {size}, anchor #{event.index} "
                          f"blok {event.block} / Valid: the entry is in the log of size {size}, "
                          f"anchor #{event.index} in block {event.block}")
    return False, f"tidak ada anchor ukuran {size} / no anchor of size {size}"
