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
from sqlalchemy.orm import Session

from ksp.ledger.models import LogEntry

BATCH = 2_000


def export_line(seq: int, kind: str, payload: str, leaf: bytes) -> str:
    # Non-ASCII stays literal (the file is UTF-8), so the payload reads as it is hashed.
    record = {"seq": seq, "kind": kind, "payload": payload, "leaf_hash": "0x" + leaf.hex()}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_lines(session: Session, *, start_seq: int = 1) -> Iterator[str]:
    """The export, line by line, from `start_seq` on."""
    statement = (
        select(LogEntry.seq, LogEntry.kind, LogEntry.payload, LogEntry.leaf_hash)
        .where(LogEntry.seq >= start_seq)
        .order_by(LogEntry.seq)
        .execution_options(yield_per=BATCH)
    )
    for seq, kind, payload, leaf in session.execute(statement):
        yield export_line(int(seq), kind, payload, bytes(leaf))


def export_log(session: Session, out: TextIO) -> int:
    """Writes the whole log to `out` (open it with encoding="utf-8"); returns the count."""
    count = 0
    for line in export_lines(session):
        out.write(line)
        count += 1
    return count
