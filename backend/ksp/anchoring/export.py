"""The log export an auditor verifies: JSON Lines, one entry per line, in seq order.

    {"seq": 42, "kind": "journal.simpanan.setor", "payload": "<canonical JSON>",
     "leaf_hash": "0x..."}

`payload` is the entry's RFC 8785 canonical JSON carried as a JSON *string*, so the
bytes the leaf hash covers survive the export exactly: a reader decodes the line, takes
the string, encodes it as UTF-8 and hashes that. Rows are streamed (yield_per), so the
export of millions of entries runs in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ksp.core.db import transaction
from ksp.ledger.models import LogEntry, LogHead

BATCH = 2_000


def export_line(seq: int, kind: str, payload: str, leaf: bytes) -> str:
    # Non-ASCII stays literal (the file is UTF-8), so the payload reads as it is hashed.
    record = {"seq": seq, "kind": kind, "payload": payload, "leaf_hash": "0x" + leaf.hex()}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_lines(
    session: Session, *, start_seq: int = 1, end_seq: int | None = None
) -> Iterator[str]:
    """The export, line by line, of seqs start_seq..end_seq (default: to the end)."""
    statement = (
        select(LogEntry.seq, LogEntry.kind, LogEntry.payload, LogEntry.leaf_hash)
        .where(LogEntry.seq >= start_seq)
        .order_by(LogEntry.seq)
        .execution_options(yield_per=BATCH)
    )
    if end_seq is not None:
        statement = statement.where(LogEntry.seq <= end_seq)
    for seq, kind, payload, leaf in session.execute(statement):
        yield export_line(int(seq), kind, payload, bytes(leaf))


def export_log(session: Session, out: TextIO) -> int:
    """Writes the whole log to `out` (open it with encoding="utf-8"); returns the count."""
    count = 0
    for line in export_lines(session):
        out.write(line)
        count += 1
    return count


def stream_export(factory: sessionmaker[Session], *, batch: int = 10_000) -> Iterator[str]:
    """The export in short transactions of `batch` entries, up to the size at the start.

    For long or slow readers (an HTTP download): SQLite transactions here take the write
    lock (BEGIN IMMEDIATE), so one transaction for the whole export would stall every
    append. The log is append-only, so batches read at different moments still form one
    consistent prefix.
    """
    with transaction(factory) as session:
        end = int(session.scalar(select(LogHead.size).where(LogHead.id == 1)) or 0)
    start = 1
    while start <= end:
        stop = min(start + batch - 1, end)
        with transaction(factory) as session:
            lines = list(export_lines(session, start_seq=start, end_seq=stop))
        yield from lines
        start = stop + 1
