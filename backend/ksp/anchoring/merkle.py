"""RFC 9162 Merkle tree over the cooperative log, hashed with keccak256.

The tree shape is exactly RFC 9162 section 2.1 (the Certificate Transparency v2
tree); only the hash function differs: keccak256 as used by Ethereum, so that a
root can be checked on chain with the EVM's native ``keccak256`` opcode.

* leaf hash  = keccak256(0x00 || payload)
* node hash  = keccak256(0x01 || left || right)
* MTH of n > 1 leaves splits at k, the largest power of two strictly less than n
* the empty tree's root is keccak256(b"")

Proofs are generated from a *node source*: a callable ``get_node(level, index)``
returning the hash of the perfect subtree covering leaves
``[index * 2**level, (index + 1) * 2**level)``. As in transparency logs
(golang.org/x/mod/sumdb/tlog), each perfect subtree hash is stored once, when it
becomes complete, so the root of any size and any proof needs only O(log n)
stored hashes (at most O(log^2 n) for ranges on the right edge). ``MerkleLog``
is the in-memory reference store; a database store only has to implement
``NodeStore``. The ``*_nodes`` functions list the coordinates a computation will
read, so such a store can fetch them in one query and serve them from a dict.

See docs/ANCHORING.md for the specification and a worked example.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Protocol, TypeAlias, runtime_checkable

import sha3

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

# safe-pysha3's C implementation; bound once because every lookup costs time in
# the hot loops below.
_keccak = sha3.keccak_256

NodeGetter: TypeAlias = Callable[[int, int], bytes]
"""``get_node(level, index)`` -> hash of the perfect subtree at that position."""

Coord: TypeAlias = tuple[int, int]
"""``(level, index)`` of a perfect subtree."""


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak256 (original Keccak padding, not NIST SHA3-256)."""
    digest: bytes = _keccak(data).digest()
    return digest


EMPTY_ROOT = keccak256(b"")


def leaf_hash(payload: bytes) -> bytes:
    """Hash of a log entry: keccak256(0x00 || payload)."""
    digest: bytes = _keccak(LEAF_PREFIX + payload).digest()
    return digest


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: keccak256(0x01 || left || right)."""
    digest: bytes = _keccak(NODE_PREFIX + left + right).digest()
    return digest


def split_point(n: int) -> int:
    """RFC 9162 split: the largest power of two strictly less than ``n`` (n >= 2)."""
    if n < 2:
        raise ValueError(f"no split for a tree of {n} leaves")
    return 1 << ((n - 1).bit_length() - 1)


def _check_hashes(hashes: Sequence[bytes]) -> None:
    # map/set run in C, so this costs little even for millions of hashes.
    if set(map(len, hashes)) - {HASH_SIZE}:
        raise ValueError(f"every hash must be {HASH_SIZE} bytes")


def _hash_pairs(nodes: list[bytes]) -> list[bytes]:
    """Parents of nodes[0:2], nodes[2:4], ...; an odd last node is left out.

    The hot loop of every bulk computation: keccak and the prefix are bound to
    locals and the comprehension does no other calls.
    """
    k = _keccak
    prefix = NODE_PREFIX
    pairs = iter(nodes)
    # zip over one iterator twice yields consecutive pairs.
    return [k(prefix + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Root of the tree with these leaf hashes, computed level by level.

    Pairing neighbours and carrying a lone trailing node up unchanged builds the
    same tree as the RFC's recursive split: the perfect subtrees on the left
    close first and the trailing node joins at the level where the size's
    binary decomposition places it.
    """
    _check_hashes(hashes)
    if not hashes:
        return EMPTY_ROOT
    level: list[bytes] = list(hashes)
    while len(level) > 1:
        upper = _hash_pairs(level)
        if len(level) & 1:
            upper.append(level[-1])
        level = upper
    return level[0]


# --- node sources --------------------------------------------------------------------


@runtime_checkable
class NodeStore(Protocol):
    """Storage of complete perfect-subtree hashes, one row per (level, index).

    Level 0 holds the leaf hashes; the node at (level, index) exists once all
    2**level leaves under it exist, i.e. ``count(level) == size >> level`` for a
    log of ``size`` leaves.
    """

    def node(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree at (level, index); raise if not stored."""
        ...

    def count(self, level: int) -> int:
        """Number of complete nodes stored at ``level``."""
        ...


def perfect_subtrees(start: int, end: int) -> list[Coord]:
    """Perfect subtrees, left to right, that make up the leaf range [start, end).

    The range must be aligned like every subtree of an RFC 9162 tree: ``start``
    a multiple of the largest power of two <= ``end - start``. The pieces
    follow the binary decomposition of the width; folding them from the right
    with ``node_hash`` gives MTH(D[start:end]).
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    coords: list[Coord] = []
    pos = start
    while pos < end:
        level = (end - pos).bit_length() - 1
        if pos & ((1 << level) - 1):
            raise ValueError(f"range [{start}, {end}) is not aligned to the tree")
        coords.append((level, pos >> level))
        pos += 1 << level
    return coords


def subtree_root(start: int, end: int, get_node: NodeGetter) -> bytes:
    """MTH(D[start:end]) for an aligned range, from O(log n) stored hashes."""
    coords = perfect_subtrees(start, end)
    level, index = coords[-1]
    h = get_node(level, index)
    for level, index in reversed(coords[:-1]):
        h = node_hash(get_node(level, index), h)
    return h


def tree_root(size: int, get_node: NodeGetter) -> bytes:
    """Root of the first ``size`` leaves."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    if size == 0:
        return EMPTY_ROOT
    return subtree_root(0, size, get_node)


def _unique_coords(ranges: Iterable[tuple[int, int]]) -> list[Coord]:
    coords: dict[Coord, None] = {}
    for start, end in ranges:
        coords.update(dict.fromkeys(perfect_subtrees(start, end)))
    return list(coords)


# --- inclusion proofs (RFC 9162 section 2.1.3) -----------------------------------------


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges of the audit path of ``index`` in a tree of ``size``, leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    # PATH(m, D[n]) walked top-down; the RFC lists the siblings bottom-up.
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def inclusion_proof_nodes(index: int, size: int) -> list[Coord]:
    """Coordinates that ``inclusion_proof(index, size, ...)`` reads (for prefetching)."""
    return _unique_coords(_inclusion_ranges(index, size))


def inclusion_proof(index: int, size: int, get_node: NodeGetter) -> list[bytes]:
    """Audit path of leaf ``index`` (0-based) in the tree of the first ``size`` leaves."""
    return [subtree_root(start, end, get_node) for start, end in _inclusion_ranges(index, size)]


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """The root implied by an audit path (RFC 9162 section 2.1.3.2), or None if malformed."""
    if not 0 <= index < size or len(leaf_hash) != HASH_SIZE:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # Skip the levels where this node is carried up without a sibling.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows ``leaf_hash`` at ``index`` in the tree of ``size`` with ``root``."""
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    return computed is not None and computed == root


# --- consistency proofs (RFC 9162 section 2.1.4) ---------------------------------------


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges of PROOF(old_size, D[new_size]) in proof order."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"need 0 <= old_size <= new_size, got {old_size}, {new_size}")
    if old_size == 0 or old_size == new_size:
        # Nothing to prove: the empty tree and the same tree are trivially prefixes.
        return []
    siblings: list[tuple[int, int]] = []
    start, m, n = 0, old_size, new_size
    whole_old_tree = True  # the RFC's flag b: still on the old tree's left spine
    # SUBPROOF(m, D[n], b) unrolled top-down; siblings come out root first.
    while m != n:
        k = split_point(n)
        if m <= k:
            siblings.append((start + k, start + n))
            n = k
        else:
            siblings.append((start, start + k))
            start += k
            m -= k
            n -= k
            whole_old_tree = False
    siblings.reverse()
    if whole_old_tree:
        # The old root itself is this subtree; the verifier already has it.
        return siblings
    return [(start, start + n), *siblings]


def consistency_proof_nodes(old_size: int, new_size: int) -> list[Coord]:
    """Coordinates that ``consistency_proof(old_size, new_size, ...)`` reads."""
    return _unique_coords(_consistency_ranges(old_size, new_size))


def consistency_proof(old_size: int, new_size: int, get_node: NodeGetter) -> list[bytes]:
    """Proof that the first ``old_size`` leaves are a prefix of the first ``new_size``.

    Empty when ``old_size`` is 0 or equal to ``new_size`` (RFC 9162 defines
    proofs for 0 < old_size < new_size; the edge cases are accepted as in
    transparency-dev/merkle).
    """
    return [
        subtree_root(start, end, get_node) for start, end in _consistency_ranges(old_size, new_size)
    ]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2 verification of a consistency proof."""
    if not 0 <= old_size <= new_size:
        return False
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        return False
    if any(len(c) != HASH_SIZE for c in proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- in-memory reference store ---------------------------------------------------------


class MerkleLog:
    """Append-only log keeping every complete perfect-subtree hash in memory.

    Level ``l`` is one bytearray of concatenated 32-byte hashes, ``size >> l``
    of them, so the whole store takes about 64 bytes per leaf (32 for the
    leaves, 32 for everything above) plus bytearray growth slack.
    """

    __slots__ = ("_levels", "_size")

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes], *, chunk_bits: int = 16) -> MerkleLog:
        """Build a log from leaf hashes in bulk, level by level.

        The input is consumed in aligned chunks of ``2**chunk_bits`` leaves so
        only one chunk lives as Python objects at a time; the levels above the
        chunk height are then built from the stored chunk roots.
        """
        if chunk_bits < 0:
            raise ValueError("chunk_bits must be >= 0")
        log = cls()
        levels = log._levels
        chunk_size = 1 << chunk_bits
        source = iter(hashes)
        size = 0
        while chunk := list(islice(source, chunk_size)):
            _check_hashes(chunk)
            size += len(chunk)
            levels[0] += b"".join(chunk)
            level = 0
            cur: list[bytes] = chunk
            # Chunks start at multiples of chunk_size, so the complete nodes of a
            # chunk are complete nodes of the whole tree, up to level chunk_bits.
            while len(cur) > 1:
                cur = _hash_pairs(cur)
                level += 1
                if level == len(levels):
                    levels.append(bytearray())
                levels[level] += b"".join(cur)
        if chunk_bits < len(levels):
            row = bytes(levels[chunk_bits])
            cur = [row[o : o + HASH_SIZE] for o in range(0, len(row), HASH_SIZE)]
            while len(cur) > 1:
                cur = _hash_pairs(cur)
                levels.append(bytearray(b"".join(cur)))
        log._size = size
        return log

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Bytes of hash data held (excluding bytearray over-allocation)."""
        return sum(len(row) for row in self._levels)

    def append(self, leaf_hash: bytes) -> int:
        """Append a leaf hash, store the subtrees it completes; return its index."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        levels = self._levels
        index = self._size
        levels[0] += leaf_hash
        h = bytes(leaf_hash)
        i = index
        level = 0
        # A right child (odd index) completes its parent; climb while that holds.
        while i & 1:
            off = (i - 1) * HASH_SIZE
            h = _keccak(NODE_PREFIX + levels[level][off : off + HASH_SIZE] + h).digest()
            level += 1
            i >>= 1
            if level == len(levels):
                levels.append(bytearray())
            levels[level] += h
        self._size = index + 1
        return index

    def extend(self, hashes: Iterable[bytes]) -> int:
        """Append many leaf hashes; return the new size."""
        for h in hashes:
            self.append(h)
        return self._size

    def count(self, level: int) -> int:
        if level < 0:
            raise ValueError(f"negative level {level}")
        if level >= len(self._levels):
            return 0
        return len(self._levels[level]) // HASH_SIZE

    def node(self, level: int, index: int) -> bytes:
        if not 0 <= index < self.count(level):
            raise IndexError(f"no complete node at level {level}, index {index}")
        off = index * HASH_SIZE
        return bytes(self._levels[level][off : off + HASH_SIZE])

    def leaf(self, index: int) -> bytes:
        return self.node(0, index)

    def _resolve(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} outside 0..{self._size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self._resolve(size), self.node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._resolve(size), self.node)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        return consistency_proof(old, self._resolve(new), self.node)
