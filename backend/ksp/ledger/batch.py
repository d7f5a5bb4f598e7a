"""Many journal entries in one go, for bulk imports (the payroll deduction file): the same
entries, log leaves and Merkle nodes that `journal.post` and `log.append` write one at a
time, written with a few multi-row INSERTs. The log head is locked once and updated once,
so seqs stay gapless and the frontier exact."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import FromClause, Table, insert, select
from sqlalchemy.orm import Session

from ksp.anchoring.merkle import leaf_hash, node_hash
from ksp.core import clock
from ksp.ledger import dates, log
from ksp.ledger.chart import known_accounts
from ksp.ledger.errors import UnknownAccount
from ksp.ledger.journal import Leg, _joined_on, validate_legs
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry, MerkleNode


def insert_rows(session: Session, table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """Many rows into one table in the caller's transaction: COPY on PostgreSQL (psycopg
    would otherwise execute once per row, or re-parse a huge multi-row INSERT for every
    batch), one executemany elsewhere. Triggers and constraints apply to COPY too."""
    if not rows:
        return
    session.flush()  # rows these reference (ORM objects) go first
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(cast(Table, table)), list(rows))
        return
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    statement = (f"COPY {quote(cast(Table, table).name)} "
                 f"({', '.join(quote(c) for c in columns)}) FROM STDIN")
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[c] for c in columns])


# For plain data, RFC 8785 is what Python's JSON encoder writes with sorted keys and no
# spaces: the same string escapes (json.encoder's ESCAPE and ESCAPE_DCT: quote, backslash,
# b f n r t, other controls as u00xx), integers as digits, ASCII keys sorted alike by
# code point and by UTF-16 unit. Its C encoder is much faster than the rfc8785 package.
_JSON_INT = 2**53 - 1  # RFC 8785 numbers are doubles: beyond this, the package decides


def _plain(value: Any) -> bool:
    """Dicts with ASCII keys, lists, str, bool, None and integers a double holds."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_JSON_INT <= value <= _JSON_INT)
    if kind is dict:
        return all(type(k) is str and k.isascii() and _plain(v) for k, v in value.items())
    if kind is list or kind is tuple:
        return all(_plain(v) for v in value)
    return False


def encode_payload(seq: int, kind: str, recorded_at: dt.datetime, data: dict[str, Any]
                   ) -> bytes:
    """The bytes `log.encode_payload` gives, faster for plain data; anything else goes
    to it (tests/payroll/test_batch_ledger.py compares the two)."""
    record = {"seq": seq, "kind": kind,
              "at": recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
              "data": data}
    if _plain(data) and seq <= _JSON_INT:
        try:
            return json.dumps(record, ensure_ascii=False, sort_keys=True,
                              separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the package refuses it
            pass
    return log.encode_payload(seq, kind, recorded_at, data)


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
        payload = encode_payload(seq, kind, recorded_at, data)
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
    insert_rows(session, LogEntry.__table__, entries)
    insert_rows(session, MerkleNode.__table__, nodes)
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
    insert_rows(session, JournalEntry.__table__, [
        {"seq": a.seq, "entry_date": entry_date, "kind": e.kind, "memo": e.memo,
         "reverses_id": None} for a, e in zip(appended, entries, strict=True)])
    first, last = appended[0].seq, appended[-1].seq
    ids = session.execute(select(JournalEntry.id, JournalEntry.seq)
                          .where(JournalEntry.seq.between(first, last))
                          .order_by(JournalEntry.seq)).all()
    insert_rows(session, JournalLine.__table__, [
        {"entry_id": entry_id, "account_code": leg.account, "member_number": leg.member,
         "side": leg.side.value, "amount": leg.amount}
        for (entry_id, _seq), entry in zip(ids, entries, strict=True) for leg in entry.legs
    ])
    return [Posted(seq=seq, entry_id=entry_id) for entry_id, seq in ids]
