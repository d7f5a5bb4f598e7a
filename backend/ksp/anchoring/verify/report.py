"""From the tree and the chain to a verdict: anchor checks, the first evidence, the words.

The report's first line names the EARLIEST evidence: a line wrong in itself when it comes
first; otherwise the earliest anchored range whose root fails, even when a later line is
also wrong (a later, louder finding must not hide an earlier rewrite).
"""

from __future__ import annotations

from ksp.anchoring import merkle
from ksp.anchoring.verify.chain import ChainView
from ksp.anchoring.verify.result import AnchorCheck, AuditResult
from ksp.core.hexes import to_hex as hex32


def check_anchors(result: AuditResult, tree: merkle.MerkleLog, chain: ChainView,
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


def locate(result: AuditResult) -> None:
    """The first bad seq (exact, from a line) and the first bad anchored range."""
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


def headline(result: AuditResult) -> None:
    if result.error is not None:
        result.headline_id = f"Audit tidak dapat dijalankan: {result.error}"
        result.headline_en = f"The audit could not run: {result.error}"
        return
    seq, bad_range = result.first_bad_seq, result.first_bad_range
    if seq is not None and (bad_range is None or seq <= bad_range[1]):
        _headline_seq(result, seq)
    elif bad_range is not None:
        _headline_range(result, bad_range)
    elif result.problems:
        result.headline_id = "Anchor di rantai bermasalah: " + "; ".join(
            i for i, _ in result.problems)
        result.headline_en = "Problem with the anchors on chain: " + "; ".join(
            e for _, e in result.problems)
    else:
        _headline_ok(result)
    for seq, at in result.resets:  # a reset is never hidden, even when all else passes
        result.headline_id += (f" Rantai direset pada {at} (seq {seq}); anchor sebelumnya "
                               "hilang.")
        result.headline_en += (f" The chain was reset at {at} (seq {seq}); anchors before it "
                               "are gone.")
    if result.warnings:
        result.headline_id += " Peringatan: " + "; ".join(i for i, _ in result.warnings) + "."
        result.headline_en += " Warning: " + "; ".join(e for _, e in result.warnings) + "."


def _headline_seq(result: AuditResult, seq: int) -> None:
    """A line is the earliest evidence (inside or before the first failing range)."""
    n = result.entries
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
        if result.first_bad_range is not None and finding is not None:
            # Lines before it matched their own leaf_hash, but could have been rewritten
            # together with it: the anchor places the first change at or before this seq.
            lo, hi = result.first_bad_range
            if lo < seq:
                result.headline_id += (f" Entri pertama yang berbeda ada di seq {seq} atau "
                                       f"sebelumnya, dalam seq {lo}..{hi}.")
                result.headline_en += (f" The first differing entry is at or before seq {seq},"
                                       f" in {lo}..{hi}.")
    else:
        note_id = (" (belum di-anchor)" if anchor is None
                   else f" (anchor #{anchor.index} ukuran {anchor.tree_size} tetap cocok)")
        note_en = (" (not anchored yet)" if anchor is None
                   else f" (anchor #{anchor.index} of size {anchor.tree_size} still matches)")
        result.headline_id = f"Entri seq {seq} tidak cocok{note_id}: {why_id}."
        result.headline_en = f"Entry seq {seq} does not match{note_en}: {why_en}."


def _headline_range(result: AuditResult, bad_range: tuple[int, int]) -> None:
    """An anchored range fails before any line is wrong in itself."""
    lo, hi = bad_range
    bad = next(a for a in result.anchors if a.status != "ok")
    before_id = (f"anchor sebelumnya (ukuran {lo - 1}) cocok" if lo > 1
                 else "ini anchor pertama")
    before_en = (f"the previous anchor (size {lo - 1}) matches" if lo > 1
                 else "this is the first anchor")
    computed = hex32(bad.computed_root) if bad.computed_root else "-"
    result.headline_id = (
        f"Entri pertama yang berbeda ada di antara seq {lo} dan seq {hi}: anchor "
        f"#{bad.index} (ukuran {hi}) tidak cocok — akar dari ekspor {computed} ≠ akar "
        f"on-chain {hex32(bad.root)}; {before_id}. Setiap baris sampai seq {hi} konsisten "
        "dengan leaf_hash-nya sendiri, jadi isi entri dan leaf_hash-nya diubah bersama."
    )
    result.headline_en = (
        f"The first differing entry is between seq {lo} and seq {hi}: anchor "
        f"#{bad.index} (size {hi}) does not match — root from the export {computed} ≠ "
        f"on-chain root {hex32(bad.root)}; {before_en}. Every line up to seq {hi} matches "
        "its own leaf_hash, so an entry and its leaf_hash were changed together."
    )
    seq = result.first_bad_seq
    if seq is not None:
        result.headline_id += f" Temuan baris berikutnya: seq {seq}."
        result.headline_en += f" The next line-level finding: seq {seq}."


def _headline_ok(result: AuditResult) -> None:
    n, anchors = result.entries, result.anchors
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
    if result.first_bad_range is not None:
        lo, hi = result.first_bad_range
        lines.append(f"Rentang anchor pertama yang gagal / first failing anchored range: "
                     f"seq {lo}..{hi}")
    if result.first_bad_seq is not None:
        lines.append(f"Seq pertama yang salah / first bad seq: {result.first_bad_seq}")
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
    for warning_id, warning_en in result.warnings:
        lines.append(f"  Peringatan / warning: {warning_id} / {warning_en}")
    return lines
