"""`ksp audit verify` on a large export: 1,000,000 entries (quick: 20,000).

A synthetic export of realistic journal entries (RFC 8785 payloads from
ksp.ledger.log.encode_payload, the ledger's own encoder) is written to a temp file,
four roots are anchored on a fresh Anvil, and the full verify is timed: every line
parsed, every leaf recomputed and compared, every payload checked for canonical form,
the tree built, every anchor and consistency proof checked. The floor is leaf hashing
alone (keccak256 of 0x00 || payload for every entry); the ratio says what the checks
cost on top of it.

    .venv/bin/python -m bench bench_audit [--quick]
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.chain import deployed_chain
from ksp.anchoring import audit
from ksp.anchoring.export import export_line
from ksp.anchoring.merkle import MerkleLog, leaf_hash
from ksp.chain import anchor_registry
from ksp.ledger.log import encode_payload

KINDS = [
    ("journal.simpanan.wajib", "Setoran simpanan wajib", "1101", "3102"),
    ("journal.simpanan.setor", "Setoran simpanan sukarela", "1101", "2101"),
    ("journal.simpanan.tarik", "Penarikan simpanan sukarela", "2101", "1101"),
    ("journal.pinjaman.cair", "Pencairan pinjaman", "1201", "1101"),
    ("journal.pinjaman.angsuran", "Angsuran pinjaman", "1101", "1201"),
]


def _entry(rng: random.Random, seq: int, at: dt.datetime) -> tuple[str, bytes]:
    kind, memo, debit_account, credit_account = rng.choice(KINDS)
    member = rng.randint(1, 5_000)
    amount = rng.randint(1, 2_000) * 1_000
    data: dict[str, Any] = {
        "date": at.date().isoformat(),
        "memo": memo,
        "lines": [
            {"account": debit_account, "side": "D", "amount": amount,
             "member": member if debit_account in ("2101", "1201") else None},
            {"account": credit_account, "side": "C", "amount": amount,
             "member": member if credit_account in ("2101", "3102", "1201") else None},
        ],
    }
    return kind, encode_payload(seq, kind, at, data)


def _write_export(path: Path, n: int) -> tuple[list[bytes], float]:
    """Writes the export; returns the leaf hashes and the seconds spent hashing them."""
    rng = random.Random(2025)
    start = dt.datetime(2025, 1, 2, 1, 0, tzinfo=dt.UTC)
    leaves: list[bytes] = []
    hashing = 0.0
    chunk = 10_000
    with path.open("w", encoding="utf-8") as out:
        for base in range(1, n + 1, chunk):
            seqs = range(base, min(base + chunk, n + 1))
            entries = [_entry(rng, s, start + dt.timedelta(seconds=37 * s)) for s in seqs]
            payloads = [p for _k, p in entries]
            t0 = time.perf_counter()
            hashed = [leaf_hash(p) for p in payloads]
            hashing += time.perf_counter() - t0
            leaves.extend(hashed)
            out.writelines(export_line(s, k, p.decode(), h)
                           for s, (k, p), h in zip(seqs, entries, hashed, strict=True))
    return leaves, hashing


def run(quick: bool = False) -> dict[str, object]:
    n = 20_000 if quick else 1_000_000
    with TemporaryDirectory() as tmp, deployed_chain() as (w3, record):
        path = Path(tmp) / "log.jsonl"
        t0 = time.perf_counter()
        leaves, floor_s = _write_export(path, n)
        generate_s = time.perf_counter() - t0
        tree = MerkleLog.from_leaf_hashes(leaves)
        del leaves
        address = record["contracts"]["AnchorRegistry"]["address"]  # type: ignore[index]
        sizes = [n // 4, n // 2, 3 * n // 4, n - n // 100]  # the last 1% not anchored yet
        for size in sizes:
            tx = anchor_registry.send_anchor(w3, address, size, tree.root(size))
            anchor_registry.wait(w3, address, tx)
        del tree
        rpc = w3.provider.endpoint_uri  # type: ignore[attr-defined]

        t0 = time.perf_counter()
        result = audit.verify(path, rpc, address)
        verify_s = time.perf_counter() - t0
        size_mb = os.path.getsize(path) / 2**20

    if not result.ok:
        raise RuntimeError(f"the benchmark's own export did not verify: {result.headline_en}")
    key = "audit_verify_1m_s" if not quick else "audit_verify_20k_s"
    return {
        key: round(verify_s, 2),
        "entries": n,
        "anchors": len(sizes),
        "export_mb": round(size_mb, 1),
        "entries_per_s": int(n / verify_s),
        "floor_leaf_hashing_s": round(floor_s, 3),
        "ratio_to_floor": round(verify_s / floor_s, 1),
        "generate_export_s": round(generate_s, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
