"""Tests of ksp.anchoring.merkle against a naive RFC 9162 implementation.

The reference below is written straight from RFC 9162 section 2.1 (MTH, PATH,
PROOF/SUBPROOF) and hashes with pycryptodome's keccak, so neither the tree
logic nor the hash function is shared with the code under test.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import rfc8785
from Crypto.Hash import keccak as pycryptodome_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ksp.anchoring import merkle
from ksp.anchoring.merkle import (
    EMPTY_ROOT,
    MerkleLog,
    NodeStore,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300
DOC = Path(__file__).resolve().parents[2] / "docs" / "ANCHORING.md"


def ref_keccak(data: bytes) -> bytes:
    return pycryptodome_keccak.new(digest_bits=256, data=data).digest()


def ref_leaf(payload: bytes) -> bytes:
    return ref_keccak(b"\x00" + payload)


def ref_node(left: bytes, right: bytes) -> bytes:
    return ref_keccak(b"\x01" + left + right)


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


LEAVES = [ref_leaf(f"entry-{i}".encode()) for i in range(MAX_SIZE)]


# --- naive RFC 9162 reference over LEAVES ------------------------------------------------
# D[start:end] below always means LEAVES[start:end]; prefixes of LEAVES are the logs.


@cache
def mth(start: int, end: int) -> bytes:
    n = end - start
    if n == 0:
        return ref_keccak(b"")
    if n == 1:
        return LEAVES[start]
    k = largest_power_of_two_below(n)
    return ref_node(mth(start, start + k), mth(start + k, end))


def path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) with m relative to start."""
    n = end - start
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return path(m, start, start + k) + [mth(start + k, end)]
    return path(m - k, start + k, end) + [mth(start, start + k)]


def path_directions(m: int, n: int) -> str:
    """Sibling side at each step of PATH(m, D[0:n]), leaf to root ('L' or 'R')."""
    if n == 1:
        return ""
    k = largest_power_of_two_below(n)
    if m < k:
        return path_directions(m, k) + "R"
    return path_directions(m - k, n - k) + "L"


def subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b)."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, start, start + k, b) + [mth(start + k, end)]
    return subproof(m - k, start + k, end, False) + [mth(start, start + k)]


def naive_consistency(m: int, n: int) -> list[bytes]:
    return subproof(m, 0, n, True)


def consistency_shape(m: int, n: int) -> tuple[bool, str]:
    """Whether the old root is implied, and the side of each sibling (RFC SUBPROOF)."""

    def walk(m: int, n: int, b: bool) -> tuple[bool, str]:
        if m == n:
            return b, ""
        k = largest_power_of_two_below(n)
        if m <= k:
            implied, sides = walk(m, k, b)
            return implied, sides + "R"
        implied, sides = walk(m - k, n - k, False)
        return implied, sides + "L"

    return walk(m, n, True)


@pytest.fixture(scope="module")
def log() -> MerkleLog:
    built = MerkleLog()
    for h in LEAVES:
        built.append(h)
    return built


# --- exhaustive comparison with the reference ---------------------------------------------


def test_roots_match_naive_for_every_size(log: MerkleLog) -> None:
    assert log.root(0) == EMPTY_ROOT == ref_keccak(b"")
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    for n in range(1, MAX_SIZE + 1):
        expected = mth(0, n)
        assert log.root(n) == expected, n
        assert root_from_leaf_hashes(LEAVES[:n]) == expected, n
        assert MerkleLog.from_leaf_hashes(LEAVES[:n], chunk_bits=3).root() == expected, n


def test_every_inclusion_proof_matches_naive_and_verifies(log: MerkleLog) -> None:
    for n in range(1, MAX_SIZE + 1):
        root = mth(0, n)
        for i in range(n):
            proof = log.inclusion_proof(i, n)
            assert proof == path(i, 0, n), (i, n)
            assert verify_inclusion(LEAVES[i], i, n, proof, root), (i, n)


def test_every_consistency_proof_matches_naive_and_verifies(log: MerkleLog) -> None:
    for n in range(1, MAX_SIZE + 1):
        new_root = mth(0, n)
        for m in range(1, n + 1):
            proof = log.consistency_proof(m, n)
            assert proof == naive_consistency(m, n), (m, n)
            assert verify_consistency(m, n, mth(0, m), new_root, proof), (m, n)


def prefetched(log: MerkleLog, coords: list[tuple[int, int]]) -> merkle.NodeGetter:
    rows = {coord: log.node(*coord) for coord in coords}
    # A KeyError here would mean the coordinate list was incomplete.
    return lambda level, index: rows[(level, index)]


def test_proofs_from_a_prefetched_node_dict(log: MerkleLog) -> None:
    # How a database store is meant to work: fetch the listed rows in one query,
    # then serve the proof computation from the dict.
    for n, i, m in [(1, 0, 1), (7, 5, 3), (128, 77, 64), (300, 299, 200), (300, 0, 129)]:
        get_node = prefetched(log, inclusion_proof_nodes(i, n))
        assert inclusion_proof(i, n, get_node) == path(i, 0, n)
        get_node = prefetched(log, consistency_proof_nodes(m, n))
        assert consistency_proof(m, n, get_node) == naive_consistency(m, n)


def test_merkle_log_is_a_node_store(log: MerkleLog) -> None:
    assert isinstance(log, NodeStore)
    for level in range(10):
        assert log.count(level) == MAX_SIZE >> level
    assert log.node(2, 3) == mth(12, 16)
    with pytest.raises(IndexError):
        log.node(2, MAX_SIZE >> 2)


def test_perfect_subtree_decomposition() -> None:
    assert perfect_subtrees(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert perfect_subtrees(8, 11) == [(1, 4), (0, 10)]
    with pytest.raises(ValueError):
        perfect_subtrees(2, 6)  # width 4 must start on a multiple of 4
    with pytest.raises(ValueError):
        perfect_subtrees(5, 5)


def test_argument_checks(log: MerkleLog) -> None:
    with pytest.raises(ValueError):
        log.inclusion_proof(5, 5)
    with pytest.raises(ValueError):
        log.root(MAX_SIZE + 1)
    with pytest.raises(ValueError):
        log.consistency_proof(6, 5)
    with pytest.raises(ValueError):
        log.append(b"\x00" * 31)
    with pytest.raises(ValueError):
        root_from_leaf_hashes([b"\x00" * 32, b"\x00" * 33])
    with pytest.raises(ValueError):
        MerkleLog.from_leaf_hashes([b"\x00" * 32, b"\x00" * 31])


def test_trivial_consistency(log: MerkleLog) -> None:
    assert log.consistency_proof(0, 10) == []
    assert verify_consistency(0, 10, EMPTY_ROOT, log.root(10), [])
    assert not verify_consistency(0, 10, log.root(1), log.root(10), [])
    assert log.consistency_proof(10, 10) == []
    assert verify_consistency(10, 10, log.root(10), log.root(10), [])
    assert not verify_consistency(10, 10, log.root(10), log.root(9), [])
    assert not verify_consistency(10, 10, log.root(10), log.root(10), [log.root(10)])


# --- negative cases -----------------------------------------------------------------------


def flipped(proof: list[bytes], position: int, byte: int) -> list[bytes]:
    damaged = bytearray(proof[position])
    damaged[byte] ^= 0x01
    return [*proof[:position], bytes(damaged), *proof[position + 1 :]]


def test_inclusion_rejects_flipped_bytes(log: MerkleLog) -> None:
    for n in (2, 3, 5, 8, 13, 64, 100, 300):
        root = log.root(n)
        for i in range(0, n, max(1, n // 7)):
            proof = log.inclusion_proof(i, n)
            for position in range(len(proof)):
                for byte in (0, 17, 31):
                    assert not verify_inclusion(
                        LEAVES[i], i, n, flipped(proof, position, byte), root
                    )
            assert not verify_inclusion(flipped([LEAVES[i]], 0, 5)[0], i, n, proof, root)
            assert not verify_inclusion(LEAVES[i], i, n, proof, flipped([root], 0, 9)[0])
            assert not verify_inclusion(LEAVES[i], i, n, proof[:-1], root)
            assert not verify_inclusion(LEAVES[i], i, n, [*proof, proof[-1]], root)


def test_inclusion_rejects_wrong_index_and_size(log: MerkleLog) -> None:
    # A verifier reconstructs the root along the sibling sides that (index, size)
    # dictates. With the proof and root of (i, n), any other (j, s) can only
    # succeed if its sides are the same sequence, and for a fixed size the
    # sides pin the index. So wrong indexes always fail, and a wrong size fails
    # unless it shares the whole shape (e.g. leaf 0 of 3 and of 4 leaves: the
    # anchored size, not the proof, fixes the size).
    limit = 40
    for n in range(1, limit + 1):
        root = mth(0, n)
        for i in range(n):
            proof = path(i, 0, n)
            sides = path_directions(i, n)
            for j in range(n):
                assert verify_inclusion(LEAVES[i], j, n, proof, root) == (i == j), (i, j, n)
            for s in range(1, limit + 1):
                if s == n:
                    continue
                expected = i < s and path_directions(i, s) == sides
                assert verify_inclusion(LEAVES[i], i, s, proof, root) == expected, (i, n, s)
            assert not verify_inclusion(LEAVES[i], i, 0, proof, root)
            assert not verify_inclusion(LEAVES[i], -1, n, proof, root)
    # The concrete cases spelled out.
    assert not verify_inclusion(LEAVES[5], 5, 6, path(5, 0, 8), mth(0, 8))
    assert verify_inclusion(LEAVES[5], 5, 7, path(5, 0, 8), mth(0, 8))  # shared shape
    assert not verify_inclusion(LEAVES[5], 4, 8, path(5, 0, 8), mth(0, 8))
    assert verify_inclusion(LEAVES[0], 0, 4, path(0, 0, 3), mth(0, 3))  # shared shape


def test_consistency_rejects_flipped_bytes_and_wrong_roots(log: MerkleLog) -> None:
    for n in (2, 3, 7, 8, 9, 31, 100, 300):
        for m in range(1, n, max(1, n // 9)):
            old_root, new_root = log.root(m), log.root(n)
            proof = log.consistency_proof(m, n)
            assert verify_consistency(m, n, old_root, new_root, proof)
            for position in range(len(proof)):
                for byte in (0, 31):
                    damaged = flipped(proof, position, byte)
                    assert not verify_consistency(m, n, old_root, new_root, damaged)
            assert not verify_consistency(m, n, log.root(m - 1), new_root, proof)
            assert not verify_consistency(m, n, flipped([old_root], 0, 3)[0], new_root, proof)
            assert not verify_consistency(m, n, old_root, log.root(n - 1), proof)
            assert not verify_consistency(m, n, old_root, new_root, proof[:-1])
            assert not verify_consistency(m, n, old_root, new_root, [*proof, proof[0]])


def test_consistency_rejects_wrong_sizes() -> None:
    # Same argument as for inclusion: with the proof and roots of (m, n), other
    # sizes (m2, n2) pass only if they prescribe the same combination shape.
    limit = 24
    pairs = [(m, n) for n in range(1, limit + 1) for m in range(1, n + 1)]
    for m, n in pairs:
        proof = naive_consistency(m, n)
        old_root, new_root = mth(0, m), mth(0, n)
        shape = consistency_shape(m, n)
        for m2, n2 in pairs:
            if (m2, n2) == (m, n):
                continue
            if m2 == n2 or m == n:
                expected = m2 == n2 and not proof and old_root == new_root
            else:
                expected = consistency_shape(m2, n2) == shape
            result = verify_consistency(m2, n2, old_root, new_root, proof)
            assert result == expected, (m, n, m2, n2)
    assert not verify_consistency(5, 8, mth(0, 5), mth(0, 8), naive_consistency(3, 8))
    assert not verify_consistency(3, 9, mth(0, 3), mth(0, 8), naive_consistency(3, 8))
    assert not verify_consistency(8, 3, mth(0, 3), mth(0, 8), naive_consistency(3, 8))


# --- incremental vs bulk --------------------------------------------------------------------


def levels_of(log: MerkleLog) -> list[bytes]:
    rows = []
    level = 0
    while log.count(level):
        rows.append(b"".join(log.node(level, i) for i in range(log.count(level))))
        level += 1
    return rows


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=600),
    seed=st.binary(max_size=8),
    chunk_bits=st.integers(min_value=0, max_value=6),
    data=st.data(),
)
def test_incremental_equals_bulk(
    size: int, seed: bytes, chunk_bits: int, data: st.DataObject
) -> None:
    # Sizes are drawn directly (lists of binaries stay short); contents vary by seed.
    leaves = [merkle.keccak256(seed + i.to_bytes(4, "big")) for i in range(size)]
    incremental = MerkleLog()
    for i, h in enumerate(leaves):
        assert incremental.append(h) == i
    bulk = MerkleLog.from_leaf_hashes(iter(leaves), chunk_bits=chunk_bits)
    assert bulk.size == incremental.size == len(leaves)
    assert levels_of(bulk) == levels_of(incremental)
    assert bulk.root() == incremental.root() == root_from_leaf_hashes(leaves)
    m = data.draw(st.integers(min_value=0, max_value=len(leaves)))
    assert bulk.root(m) == MerkleLog.from_leaf_hashes(leaves[:m]).root()
    assert bulk.root(m) == root_from_leaf_hashes(leaves[:m])
    if m:
        assert verify_consistency(
            m, len(leaves), bulk.root(m), bulk.root(), bulk.consistency_proof(m)
        )


def test_bulk_across_default_chunk_boundaries() -> None:
    leaves = [merkle.keccak256(i.to_bytes(4, "big")) for i in range(3 * 2**16 + 5)]
    bulk = MerkleLog.from_leaf_hashes(leaves)
    incremental = MerkleLog()
    incremental.extend(leaves)
    assert levels_of(bulk) == levels_of(incremental)
    for n in (2**16 - 1, 2**16, 2**16 + 1, 2**17 + 3, len(leaves)):
        assert bulk.root(n) == root_from_leaf_hashes(leaves[:n])
    index = 2**16 + 7
    assert verify_inclusion(
        leaves[index], index, len(leaves), bulk.inclusion_proof(index), bulk.root()
    )


def test_roots_match_pymerkle_with_keccak() -> None:
    # pymerkle implements the RFC 6962/9162 tree independently; with its keccak
    # backend and the same prefixes it must give our roots.
    pymerkle = pytest.importorskip("pymerkle")
    payloads = [f"payload {i}".encode() for i in range(130)]
    tree = pymerkle.InmemoryTree(algorithm="keccak_256")
    ours = MerkleLog()
    for payload in payloads:
        tree.append_entry(payload)
        ours.append(leaf_hash(payload))
    for n in range(1, len(payloads) + 1):
        assert tree.get_root(n) == ours.root(n), n


# --- known answers and the documented example ---------------------------------------------


def test_keccak_known_answers() -> None:
    empty = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    assert merkle.keccak256(b"") == empty == ref_keccak(b"") == EMPTY_ROOT
    payload = b'{"kind":"genesis","seq":1}'
    assert leaf_hash(payload) == ref_keccak(b"\x00" + payload)
    assert node_hash(b"\x11" * 32, b"\x22" * 32) == ref_keccak(
        b"\x01" + b"\x11" * 32 + b"\x22" * 32
    )
    # Not NIST SHA3-256, whose padding differs.
    assert merkle.keccak256(b"") != bytes.fromhex(
        "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
    )


def doc_values() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    values = dict(re.findall(r"^(\w+(?:\[[\d,]+\])?)\s+=\s+(\S.*?)\s*$", text, flags=re.M))
    for name, block in re.findall(r"<!-- example:(\w+) -->\s*```json\n(.*?)```", text, re.S):
        values[f"json:{name}"] = block
    return values


def unhex(value: str) -> bytes:
    assert re.fullmatch(r"0x[0-9a-f]*", value), value
    return bytes.fromhex(value[2:])


def test_docs_worked_example() -> None:
    v = doc_values()
    assert unhex(v["empty_root"]) == ref_keccak(b"") == EMPTY_ROOT
    leaves = []
    for i in range(3):
        payload = v[f"payload[{i}]"]
        encoded = payload.encode("utf-8")
        assert rfc8785.dumps(json.loads(payload)) == encoded, "payload must be canonical JSON"
        assert unhex(v[f"bytes[{i}]"]) == encoded
        leaf = unhex(v[f"leaf[{i}]"])
        assert leaf == ref_keccak(b"\x00" + encoded) == leaf_hash(encoded)
        leaves.append(leaf)
    node01 = unhex(v["node[0,1]"])
    assert node01 == ref_keccak(b"\x01" + leaves[0] + leaves[1])
    root3 = unhex(v["root[3]"])
    assert root3 == ref_keccak(b"\x01" + node01 + leaves[2])
    log = MerkleLog.from_leaf_hashes(leaves)
    assert unhex(v["root[1]"]) == log.root(1) == leaves[0]
    assert unhex(v["root[2]"]) == log.root(2) == node01
    assert log.root() == root3

    inclusion = json.loads(v["json:inclusion"])
    assert set(inclusion) == {"leaf_index", "tree_size", "leaf_hash", "path", "root"}
    index, size = inclusion["leaf_index"], inclusion["tree_size"]
    proof = [unhex(p) for p in inclusion["path"]]
    assert proof == log.inclusion_proof(index, size)
    assert unhex(inclusion["leaf_hash"]) == leaves[index]
    assert unhex(inclusion["root"]) == log.root(size)
    assert verify_inclusion(leaves[index], index, size, proof, log.root(size))

    consistency = json.loads(v["json:consistency"])
    assert set(consistency) == {"old_size", "new_size", "old_root", "new_root", "path"}
    old, new = consistency["old_size"], consistency["new_size"]
    proof = [unhex(p) for p in consistency["path"]]
    assert proof == log.consistency_proof(old, new)
    assert unhex(consistency["old_root"]) == log.root(old)
    assert unhex(consistency["new_root"]) == log.root(new)
    assert verify_consistency(old, new, log.root(old), log.root(new), proof)
