"""Benchmark of ksp.anchoring.merkle: root speed against the keccak floor and
pymerkle, and proof latency on a large in-memory log.

    .venv/bin/python bench/bench_merkle.py [--quick]

``run()`` returns the figures as a dict; only the ``__main__`` block prints.
Timings are wall-clock (time.perf_counter) and never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import random
import resource
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

import sha3

from ksp.anchoring.merkle import (
    MerkleLog,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

PYMERKLE_BUDGET_S = 120.0
BUILD_BUDGET_S = 300.0

T = TypeVar("T")


def _leaf_hashes(n: int) -> list[bytes]:
    """Deterministic leaf hashes: keccak256 of the big-endian index."""
    k = sha3.keccak_256
    return [k(i.to_bytes(8, "big")).digest() for i in range(n)]


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def _max_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _keccak_floor(leaves: list[bytes]) -> tuple[float, float]:
    """Seconds for n keccak calls on 33-byte leaf inputs and n on 65-byte node inputs.

    Inputs are prepared first so only the hash calls (and the loop) are timed,
    with the same hash function and the same local binding as the tree code.
    """
    k = sha3.keccak_256
    leaf_inputs = [b"\x00" + h for h in leaves]
    node_inputs = [b"\x01" + h + h for h in leaves]
    start = time.perf_counter()
    for x in leaf_inputs:
        k(x).digest()
    leaf_s = time.perf_counter() - start
    start = time.perf_counter()
    for x in node_inputs:
        k(x).digest()
    node_s = time.perf_counter() - start
    return leaf_s, node_s


def _pymerkle(entries: list[bytes]) -> tuple[float, bytes]:
    """pymerkle 7 InmemoryTree (sha256, RFC 6962 prefixes): append all, read root."""
    from pymerkle import InmemoryTree

    def build() -> bytes:
        tree = InmemoryTree()  # algorithm="sha256" by default
        for entry in entries:
            tree.append_entry(entry)
        root: bytes = tree.get_root()
        return root

    return _timed(build)


def _pymerkle_size(n: int) -> tuple[int, str]:
    """Largest size up to n that pymerkle should append within the budget."""
    probe = min(n, 20_000)
    seconds, _ = _pymerkle(_leaf_hashes(probe))
    # Appends slow down a little as the tree deepens; keep a 2x margin.
    projected = seconds / probe * n * 2
    if projected <= PYMERKLE_BUDGET_S:
        return n, f"projected {projected:.0f} s (2x margin) within {PYMERKLE_BUDGET_S:.0f} s"
    smaller = max(probe, int(n * PYMERKLE_BUDGET_S / projected) // 1000 * 1000)
    return smaller, f"1M projected {projected:.0f} s > {PYMERKLE_BUDGET_S:.0f} s, used n={smaller}"


def _root_figures(n: int) -> dict[str, object]:
    leaves = _leaf_hashes(n)
    leaf_s, node_s = _keccak_floor(leaves)
    floor = leaf_s + node_s
    root_s, _ = _timed(lambda: root_from_leaf_hashes(leaves))
    bulk_s, _ = _timed(lambda: MerkleLog.from_leaf_hashes(leaves))
    gc.collect()

    def incremental() -> MerkleLog:
        log = MerkleLog()
        append = log.append
        for h in leaves:
            append(h)
        return log

    append_s, _ = _timed(incremental)
    gc.collect()
    return {
        "root_n": n,
        "floor_n_leaf_keccak_s": round(leaf_s, 4),
        "floor_n_node_keccak_s": round(node_s, 4),
        "floor_2n_keccak_s": round(floor, 4),
        "root_1m_s": round(root_s, 4),
        "root_vs_floor_ratio": round(root_s / floor, 3),
        # root_from_leaf_hashes does n - 1 node hashes, so this is the tighter floor.
        "root_vs_node_floor_ratio": round(root_s / node_s, 3),
        "from_leaf_hashes_1m_s": round(bulk_s, 4),
        "incremental_append_1m_s": round(append_s, 4),
        "incremental_append_us_per_leaf": round(append_s / n * 1e6, 3),
    }


def _pymerkle_figures(n: int) -> dict[str, object]:
    used, note = _pymerkle_size(n)
    entries = _leaf_hashes(used)
    gc.collect()
    pym_s, _ = _pymerkle(entries)
    gc.collect()

    def ours() -> bytes:
        # Same work as pymerkle: hash every entry as a leaf, then the tree.
        return root_from_leaf_hashes([leaf_hash(e) for e in entries])

    ours_s, _ = _timed(ours)
    return {
        "pymerkle_n": used,
        "pymerkle_note": note,
        "pymerkle_root_1m_s": round(pym_s, 4),
        "ours_leaves_and_root_same_n_s": round(ours_s, 4),
        "pymerkle_vs_ours_ratio": round(pym_s / ours_s, 2),
        "pymerkle_comparison": (
            "pymerkle 7 InmemoryTree, default sha256, append_entry per entry then get_root; "
            "ours = keccak leaf_hash per entry + root_from_leaf_hashes over the same entries"
        ),
    }


def _proof_figures(n: int, inclusion_count: int, consistency_count: int) -> dict[str, object]:
    gen_s, leaves = _timed(partial(_leaf_hashes, n))
    build_s, log = _timed(partial(MerkleLog.from_leaf_hashes, leaves))
    del leaves  # the log keeps its own copy; frees ~0.8 GB at n = 10M
    gc.collect()
    rng = random.Random(9162)

    inclusion_ms: list[float] = []
    verify_ms: list[float] = []
    for _ in range(inclusion_count):
        # Sizes as a verifier would use them: some anchored size in the upper half.
        size = rng.randint(n // 2, n)
        index = rng.randrange(size)
        start = time.perf_counter()
        proof = log.inclusion_proof(index, size)
        inclusion_ms.append((time.perf_counter() - start) * 1e3)
        root = log.root(size)
        leaf = log.leaf(index)
        start = time.perf_counter()
        ok = verify_inclusion(leaf, index, size, proof, root)
        verify_ms.append((time.perf_counter() - start) * 1e3)
        if not ok:
            raise RuntimeError(f"inclusion proof {index}/{size} failed to verify")

    consistency_ms: list[float] = []
    for _ in range(consistency_count):
        new = rng.randint(n // 2, n)
        old = rng.randint(1, new)
        start = time.perf_counter()
        proof = log.consistency_proof(old, new)
        consistency_ms.append((time.perf_counter() - start) * 1e3)
        if not verify_consistency(old, new, log.root(old), log.root(new), proof):
            raise RuntimeError(f"consistency proof {old}->{new} failed to verify")

    root_ms: list[float] = []
    for _ in range(500):
        size = rng.randint(1, n)
        start = time.perf_counter()
        log.root(size)
        root_ms.append((time.perf_counter() - start) * 1e3)

    inclusion_ms.sort()
    verify_ms.sort()
    consistency_ms.sort()
    root_ms.sort()
    return {
        "proof_log_n": n,
        "proof_leaf_generation_s_not_included": round(gen_s, 2),
        "proof_log_build_s": round(build_s, 2),
        "proof_log_bytes": log.nbytes,
        "proof_log_levels": sum(1 for level in range(64) if log.count(level)),
        "memory_approach": (
            "MerkleLog: one bytearray per level of concatenated 32-byte hashes, "
            "level l holds the n >> l complete perfect subtrees; ~64 bytes per leaf "
            "(leaves + all levels above), built by from_leaf_hashes in 65536-leaf chunks"
        ),
        "inclusion_proofs": inclusion_count,
        "inclusion_proof_p50_ms": round(_percentile(inclusion_ms, 0.50), 4),
        "inclusion_proof_p99_ms": round(_percentile(inclusion_ms, 0.99), 4),
        "verify_inclusion_p50_ms": round(_percentile(verify_ms, 0.50), 4),
        "consistency_proofs": consistency_count,
        "consistency_proof_p50_ms": round(_percentile(consistency_ms, 0.50), 4),
        "consistency_proof_p99_ms": round(_percentile(consistency_ms, 0.99), 4),
        "root_of_random_size_p50_ms": round(_percentile(root_ms, 0.50), 4),
        "proof_sampling": (
            "inclusion: size uniform in [n/2, n], index uniform in [0, size); "
            "consistency: new uniform in [n/2, n], old uniform in [1, new]"
        ),
    }


def run(quick: bool = False) -> dict[str, object]:
    root_n = 20_000 if quick else 1_000_000
    proof_n = 100_000 if quick else 10_000_000
    figures: dict[str, object] = {
        "mode": "quick" if quick else "full",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "hash": "keccak256 via safe-pysha3 sha3.keccak_256",
    }
    figures.update(_root_figures(root_n))
    figures.update(_pymerkle_figures(root_n))
    proofs = _proof_figures(proof_n, 2_000, 500)
    build_s = proofs["proof_log_build_s"]
    if isinstance(build_s, float) and build_s > BUILD_BUDGET_S:
        proofs["proof_log_note"] = f"build took over {BUILD_BUDGET_S:.0f} s"
    figures.update(proofs)
    figures["max_rss_mb"] = _max_rss_mb()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick), indent=2))
