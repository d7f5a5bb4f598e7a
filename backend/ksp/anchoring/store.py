"""The Merkle tree as the database keeps it: roots and proofs without recomputing the tree.

Level 0 (the leaves) is `log_entries.leaf_hash` (leaf index = seq - 1); levels >= 1 are
the perfect subtrees `log.append` stored in `merkle_nodes` when they completed. Every
function lists the coordinates it will read with merkle.py's `*_nodes` helpers and
fetches them in one query, so a proof costs one round trip and O(log n) rows whatever
the size of the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.anchoring import merkle
from ksp.anchoring.merkle import Coord
from ksp.core.hexes import to_hex as hex32
from ksp.ledger.models import LogHead


class NodeMissing(LookupError):
    """A node the computation needs is not stored: the size is beyond the log."""


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]
    root: bytes

    def to_json(self) -> dict[str, Any]:
        """docs/ANCHORING.md section 5, plus the entry's seq."""
        return {
            "seq": self.seq,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": hex32(self.leaf_hash),
            "path": [hex32(p) for p in self.path],
            "root": hex32(self.root),
        }

    def verify(self) -> bool:
        return merkle.verify_inclusion(
            self.leaf_hash, self.leaf_index, self.tree_size, self.path, self.root
        )


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": hex32(self.old_root),
            "new_root": hex32(self.new_root),
            "path": [hex32(p) for p in self.path],
        }

    def verify(self) -> bool:
        return merkle.verify_consistency(
            self.old_size, self.new_size, self.old_root, self.new_root, self.path
        )


class DbNodeStore:
    """A `merkle.NodeStore` over the database, serving prefetched rows from a dict.

    `prefetch` loads many coordinates in one query; `node` falls back to a single-row
    query for anything not prefetched, so the store is correct even when used blindly.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._nodes: dict[Coord, bytes] = {}
        self._size: int | None = None

    def prefetch(self, coords: Iterable[Coord]) -> None:
        wanted = [c for c in dict.fromkeys(coords) if c not in self._nodes]
        if wanted:
            self._nodes.update(fetch_nodes(self._session, wanted))

    def node(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._nodes:
            self.prefetch([key])
        try:
            return self._nodes[key]
        except KeyError:
            raise NodeMissing(f"no stored node at level {level}, index {index}") from None

    def count(self, level: int) -> int:
        if level < 0:
            raise ValueError(f"negative level {level}")
        return self.size() >> level

    def size(self) -> int:
        if self._size is None:
            self._size = log_size(self._session)
        return self._size


def log_size(session: Session) -> int:
    size = session.scalar(select(LogHead.size).where(LogHead.id == 1))
    return int(size or 0)


def fetch_nodes(session: Session, coords: Iterable[Coord]) -> dict[Coord, bytes]:
    """The stored hashes at these coordinates, in one query; absent ones are left out.

    Written as plain SQL: a proof needs a different mix of levels each time, and building
    and compiling an ORM statement per proof cost more than the indexed lookups themselves.
    """
    leaf_seqs: list[int] = []
    by_level: dict[int, list[int]] = {}
    for level, index in coords:
        if level == 0:
            leaf_seqs.append(index + 1)
        else:
            by_level.setdefault(level, []).append(index)
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    parts: list[str] = []
    params: list[int] = []
    if leaf_seqs:
        parts.append(
            "SELECT 0, seq - 1, leaf_hash FROM log_entries "
            f"WHERE seq IN ({', '.join([mark] * len(leaf_seqs))})"
        )
        params.extend(leaf_seqs)
    if by_level:
        # One branch per level: each is a range of the (level, index) primary key.
        conditions = []
        for level, indexes in by_level.items():
            marks = ", ".join([mark] * len(indexes))
            conditions.append(f'(level = {mark} AND "index" IN ({marks}))')
            params.append(level)
            params.extend(indexes)
        parts.append(
            'SELECT level, "index", hash FROM merkle_nodes WHERE ' + " OR ".join(conditions)
        )
    if not parts:
        return {}
    rows = connection.exec_driver_sql(" UNION ALL ".join(parts), tuple(params))
    return {(int(level), int(idx)): bytes(digest) for level, idx, digest in rows}


def _check_size(size: int) -> None:
    if size < 0:
        raise ValueError(f"negative tree size {size}")


def root_at(session: Session, size: int) -> bytes:
    """Root of the first `size` entries (one query; NodeMissing if the log is shorter)."""
    _check_size(size)
    if size == 0:
        return merkle.EMPTY_ROOT
    store = DbNodeStore(session)
    store.prefetch(merkle.perfect_subtrees(0, size))
    return merkle.tree_root(size, store.node)


def inclusion_proof(session: Session, seq: int, size: int) -> InclusionProof:
    """Proof that entry `seq` (1-based) is in the tree of the first `size` entries."""
    _check_size(size)
    if not 1 <= seq <= size:
        raise ValueError(f"seq {seq} is not in a log of {size} entries")
    index = seq - 1
    store = DbNodeStore(session)
    store.prefetch(
        [(0, index), *merkle.inclusion_proof_nodes(index, size), *merkle.perfect_subtrees(0, size)]
    )
    return InclusionProof(
        seq=seq,
        leaf_index=index,
        tree_size=size,
        leaf_hash=store.node(0, index),
        path=merkle.inclusion_proof(index, size, store.node),
        root=merkle.tree_root(size, store.node),
    )


def consistency_proof(session: Session, old: int, new: int) -> ConsistencyProof:
    """Proof that the first `old` entries are a prefix of the first `new` entries."""
    _check_size(old)
    if old > new:
        raise ValueError(f"old size {old} is larger than new size {new}")
    store = DbNodeStore(session)
    coords = list(merkle.consistency_proof_nodes(old, new))
    if old:
        coords += merkle.perfect_subtrees(0, old)
    if new:
        coords += merkle.perfect_subtrees(0, new)
    store.prefetch(coords)
    return ConsistencyProof(
        old_size=old,
        new_size=new,
        old_root=merkle.tree_root(old, store.node),
        new_root=merkle.tree_root(new, store.node),
        path=merkle.consistency_proof(old, new, store.node),
    )
