"""The RAT gate: the one place the SHU asks whether the members' meeting approved a split.

ASSUMPTION (to align with the RAT backend when it lands): the RAT's result for an agenda
item is a log entry of kind `rat.hasil` whose data holds

    {"item_kind": "shu", "decision": "disetujui", "fiscal_year": 2025,
     "figures": {"split": {"cadangan": 4000, ..., "pembangunan_daerah": 500},
                 "jasa_usaha_bps": 7000, "shu": 12345678, "settlement": "sukarela", ...},
     "content_hash": "0x..."}

The result counts once it is also anchored: a final (`confirmed`) anchor covers its seq
(`anchored`), so the decision the distribution follows is on chain before money moves.

`figures` is what the SHU proposal put on the agenda (`ksp.shu.calc.figures`), possibly
with the percentages or the settlement changed by the meeting; `content_hash` is the hash
the agenda item carried (the proposal's `figures_hash`). The latest approving entry for the
year counts. If the RAT backend names these differently, only this module changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import Status
from ksp.ledger.models import LogEntry

RAT_RESULT_KIND = "rat.hasil"
SHU_ITEM = "shu"
APPROVED = "disetujui"


@dataclass(frozen=True)
class ApprovedSplit:
    seq: int  # the RAT result's log entry
    fiscal_year: int
    split: dict[str, int]  # bps per pool, as approved (checked by the distribution)
    jasa_usaha_bps: int
    shu: int | None  # the pool the meeting saw, if it states one
    settlement: str | None
    content_hash: str | None


def read_result(seq: int, data: dict[str, Any]) -> ApprovedSplit | None:
    """An approving SHU result from one `rat.hasil` entry's data (None if it is not one)."""
    if data.get("item_kind") != SHU_ITEM or data.get("decision") != APPROVED:
        return None
    figures = data.get("figures")
    year = data.get("fiscal_year")
    if not isinstance(figures, dict) or not isinstance(year, int):
        return None
    split = figures.get("split")
    return ApprovedSplit(
        seq=seq, fiscal_year=year,
        split=dict(split) if isinstance(split, dict) else {},
        jasa_usaha_bps=int(figures.get("jasa_usaha_bps", -1)),
        shu=figures.get("shu") if isinstance(figures.get("shu"), int) else None,
        settlement=figures.get("settlement") if isinstance(figures.get("settlement"), str)
        else None,
        content_hash=data.get("content_hash") if isinstance(data.get("content_hash"), str)
        else None)


def approved_split(session: Session, year: int) -> ApprovedSplit | None:
    """The RAT's approval of the SHU split of fiscal `year`, or None if there is none yet."""
    rows = session.execute(select(LogEntry.seq, LogEntry.payload)
                           .where(LogEntry.kind == RAT_RESULT_KIND)
                           .order_by(LogEntry.seq.desc()))
    for seq, payload in rows:
        found = read_result(int(seq), json.loads(payload).get("data", {}))
        if found is not None and found.fiscal_year == year:
            return found
    return None


def anchored(session: Session, seq: int) -> bool:
    """Whether a final anchor on chain covers log entry `seq`."""
    return session.scalar(select(AnchorRecord.id).where(AnchorRecord.status == Status.CONFIRMED)
                          .where(AnchorRecord.tree_size >= seq).limit(1)) is not None
