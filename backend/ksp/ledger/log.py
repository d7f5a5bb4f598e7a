"""The cooperative log: append-only, gapless `seq`, each entry a Merkle leaf (RFC 9162).

Appending locks the single `log_head` row, so seqs are allocated one at a time and a
rolled-back transaction leaves no gap. The head also keeps the tree's right-edge frontier,
so each append stores the subtrees it completes in O(log n), with no rebuild.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ksp.anchoring.merkle import leaf_hash, node_hash
from ksp.core import clock
from ksp.core.db import table_of
from ksp.ledger.models import LogEntry, LogHead, MerkleNode

HASH_BYTES = 32


@dataclass(frozen=True)
class Appended:
    seq: int
    leaf_hash: bytes


def encode_payload(seq: int, kind: str, recorded_at: dt.datetime, data: dict[str, Any]) -> bytes:
    """The exact bytes a leaf commits to: RFC 8785 canonical JSON of the whole entry."""
    record: dict[str, Any] = {
        "seq": seq,
        "kind": kind,
        "at": recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": data,
    }
    encoded: bytes = rfc8785.dumps(record)
    return encoded


def lock_head(session: Session) -> LogHead:
    """The log's single head row, locked until this transaction ends (once per transaction)."""
    transaction = session.get_transaction()
    held = session.info.get("log_head")
    if held is not None and held[0] is transaction:
        head: LogHead = held[1]
        return head
    found = session.scalars(select(LogHead).where(LogHead.id == 1).with_for_update()).first()
    if found is None:
        found = LogHead(id=1, size=0, frontier=b"")
        session.add(found)
        session.flush()
    session.info["log_head"] = (transaction, found)
    return found


def _frontier(head: LogHead) -> list[bytes]:
    raw = head.frontier or b""
    return [raw[i : i + HASH_BYTES] for i in range(0, len(raw), HASH_BYTES)]


def append(session: Session, kind: str, data: dict[str, Any]) -> Appended:
    """Adds one entry to the log inside the caller's transaction."""
    head = lock_head(session)
    index = head.size  # 0-based position of the new leaf
    seq = index + 1
    recorded_at = clock.now()
    payload = encode_payload(seq, kind, recorded_at, data)
    leaf = leaf_hash(payload)
    # Core inserts: these rows are never read back in the writing transaction, so the
    # ORM's unit of work has nothing to track.
    session.execute(insert(table_of(LogEntry)).values(
        seq=seq, kind=kind, payload=payload.decode(), leaf_hash=leaf, recorded_at=recorded_at))
    # Fold the new leaf into the frontier; each fold completes one perfect subtree.
    frontier = _frontier(head)
    carry, level = leaf, 0
    nodes = []
    while (index >> level) & 1:
        carry = node_hash(frontier.pop(), carry)
        level += 1
        nodes.append({"level": level, "index": index >> level, "hash": carry})
    if nodes:
        session.execute(insert(table_of(MerkleNode)), nodes)
    frontier.append(carry)
    head.frontier = b"".join(frontier)
    head.size = seq
    session.flush()  # rows that reference this seq may follow in the same transaction
    return Appended(seq=seq, leaf_hash=leaf)


def frontier_root(frontier: list[bytes]) -> bytes:
    from ksp.anchoring.merkle import keccak256

    if not frontier:
        return keccak256(b"")
    acc = frontier[-1]
    for left in reversed(frontier[:-1]):
        acc = node_hash(left, acc)
    return acc


def current_root(session: Session) -> tuple[int, bytes]:
    """(size, root) of the whole log, from the head's frontier: O(log n), no tree walk."""
    head = session.get(LogHead, 1)
    if head is None:
        return 0, frontier_root([])
    return head.size, frontier_root(_frontier(head))
