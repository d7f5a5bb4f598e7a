"""Many journal entries in one go, for bulk imports (the payroll deduction file): the same
entries, log leaves and Merkle nodes that `journal.post` and `log.append` write one at a
time, written with a few multi-row INSERTs. The log head is locked once and updated once,
so seqs stay gapless and the frontier exact."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ksp.anchoring.merkle import leaf_hash, node_hash
from ksp.core import clock
from ksp.ledger import dates, log
from ksp.ledger.chart import known_accounts
from ksp.ledger.errors import UnknownAccount
from ksp.ledger.journal import Leg, _joined_on, validate_legs
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry, MerkleNode


@dataclass(frozen=True)
class NewEntry:
    kind: str
    memo: str
    legs: tuple[Leg, ...]
    log_data: dict[str, Any] = field(default_factory=dict)  # added to the log entry's data


@dataclass(frozen=True)
class Posted:
    seq: int
    entry_id: int


def append_many(session: Session, records: Sequence[tuple[str, dict[str, Any]]]
                ) -> list[log.Appended]:
    """Appends (kind, data) records to the log in order, inside the caller's transaction:
    what `log.append` does for each, folded into one pass over the frontier."""
    if not records:
        return []
    head = log.lock_head(session)
    raw = head.frontier or b""
    frontier = [raw[i : i + log.HASH_BYTES] for i in range(0, len(raw), log.HASH_BYTES)]
    recorded_at = clock.now()
    size = head.size
    entries: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    appended: list[log.Appended] = []
    for kind, data in records:
        index, seq = size, size + 1
        payload = log.encode_payload(seq, kind, recorded_at, data)
        leaf = leaf_hash(payload)
        entries.append({"seq": seq, "kind": kind, "payload": payload.decode(),
                        "leaf_hash": leaf, "recorded_at": recorded_at})
        carry, level = leaf, 0
        while (index >> level) & 1:
            carry = node_hash(frontier.pop(), carry)
            level += 1
            nodes.append({"level": level, "index": index >> level, "hash": carry})
        frontier.append(carry)
        size = seq
        appended.append(log.Appended(seq=seq, leaf_hash=leaf))
    session.execute(insert(LogEntry), entries)
    if nodes:
        session.execute(insert(MerkleNode), nodes)
    head.frontier = b"".join(frontier)
    head.size = size
    session.flush()
    return appended


def post_many(session: Session, *, entry_date: dt.date, entries: Sequence[NewEntry],
              reason: str | None = None) -> list[Posted]:
    """Posts balanced entries, all dated `entry_date`, with the checks of `journal.post`
    (legs, accounts, the date rules for every member named); any refusal refuses them all.
    Each entry is its own log entry with the same data `journal.post` writes."""
    if not entries:
        return []
    codes: set[str] = set()
    members: set[int] = set()
    for entry in entries:
        validate_legs(entry.legs)
        codes.update(leg.account for leg in entry.legs)
        members.update(leg.member for leg in entry.legs if leg.member is not None)
    for code in sorted(codes - known_accounts(session, codes)):
        raise UnknownAccount(code_=code)
    head = log.lock_head(session)
    reason = dates.check_posting_date(
        entry_date, today=clock.today(), closed_through=head.closed_through,
        joined_on=_joined_on(session, members), reason=reason)
    records = []
    for entry in entries:
        # The shape of journal.post's log data, key for key.
        data: dict[str, Any] = {
            "date": entry_date.isoformat(),
            "memo": entry.memo,
            "lines": [{"account": leg.account, "side": leg.side.value, "amount": leg.amount,
                       "member": leg.member} for leg in entry.legs],
        }
        if reason is not None:
            data["reason"] = reason
        data.update(entry.log_data)
        records.append((f"journal.{entry.kind}", data))
    appended = append_many(session, records)
    ids = session.execute(
        insert(JournalEntry).returning(JournalEntry.id, JournalEntry.seq,
                                       sort_by_parameter_order=True),
        [{"seq": a.seq, "entry_date": entry_date, "kind": e.kind, "memo": e.memo,
          "reverses_id": None} for a, e in zip(appended, entries, strict=True)],
    ).all()
    # render_nulls: lines with and without a member stay one multi-row INSERT.
    session.execute(insert(JournalLine).execution_options(render_nulls=True), [
        {"entry_id": entry_id, "account_code": leg.account, "member_number": leg.member,
         "side": leg.side.value, "amount": leg.amount}
        for (entry_id, _seq), entry in zip(ids, entries, strict=True) for leg in entry.legs
    ])
    return [Posted(seq=seq, entry_id=entry_id) for entry_id, seq in ids]
