"""The RAT gate: the one place the SHU asks whether the members' meeting approved a split.

The RAT records each agenda item's result as a log entry of kind `rat.hasil`
(`ksp.rat.service.record_results`). For an SHU item (`kind` "shu") the entry also carries
the proposal the item was built from (`ksp.rat.service.add_shu_item`):

    {"kind": "shu", "decision": "diterima", "fiscal_year": 2025,
     "figures": {"fiscal_year": 2025, "shu": ..., "split": {"cadangan": 4000, ...},
                 "jasa_usaha_bps": 7000, "amounts": {...}, "jasa_usaha": ...,
                 "jasa_modal": ..., "settlement": "sukarela"},
     "figures_hash": "0x...",  # calc.figures_hash(figures): the proposal's hash
     "content_hash": "0x...",  # the agenda item's hash the members signed (binds figures)
     ...}

The latest SHU result of a year decides: "diterima" approves; "ditolak", "tidak_kuorum"
(or anything else) leaves the year unapproved. The result counts once it is also anchored:
a final (`confirmed`) anchor covers its seq (`anchored`), so the decision the distribution
follows is on chain before money moves.
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
APPROVED = "diterima"  # ksp.rat.tally.DITERIMA


@dataclass(frozen=True)
class ShuResult:
    seq: int  # the RAT result's log entry
    fiscal_year: int
    approved: bool
    figures: dict[str, Any]  # as the agenda item carried them
    figures_hash: str | None  # as the RAT recorded it (checked against `figures` and the
    # proposal by the distribution)

    @property
    def split(self) -> dict[str, int]:
        split = self.figures.get("split")
        return dict(split) if isinstance(split, dict) else {}

    @property
    def jasa_usaha_bps(self) -> int:
        value = self.figures.get("jasa_usaha_bps")
        return value if isinstance(value, int) and not isinstance(value, bool) else -1

    @property
    def shu(self) -> int | None:
        value = self.figures.get("shu")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def settlement(self) -> str | None:
        value = self.figures.get("settlement")
        return value if isinstance(value, str) else None


def read_result(seq: int, data: dict[str, Any]) -> ShuResult | None:
    """The SHU result in one `rat.hasil` entry's data (None if it is no SHU item's)."""
    if data.get("kind") != SHU_ITEM:
        return None
    figures = data.get("figures")
    year = data.get("fiscal_year")
    if not isinstance(figures, dict) or not isinstance(year, int):
        return None
    digest = data.get("figures_hash")
    return ShuResult(seq=seq, fiscal_year=year, approved=data.get("decision") == APPROVED,
                     figures=figures, figures_hash=digest if isinstance(digest, str) else None)


def latest_result(session: Session, year: int) -> ShuResult | None:
    """The latest RAT result on the SHU of fiscal `year`, whatever it decided."""
    rows = session.execute(select(LogEntry.seq, LogEntry.payload)
                           .where(LogEntry.kind == RAT_RESULT_KIND)
                           .order_by(LogEntry.seq.desc()))
    for seq, payload in rows:
        found = read_result(int(seq), json.loads(payload).get("data", {}))
        if found is not None and found.fiscal_year == year:
            return found
    return None


def approved_split(session: Session, year: int) -> ShuResult | None:
    """The RAT's approval of the SHU of fiscal `year`: None if there is no result yet or the
    latest one did not approve."""
    found = latest_result(session, year)
    return found if found is not None and found.approved else None


def anchored(session: Session, seq: int) -> bool:
    """Whether a final anchor on chain covers log entry `seq`."""
    return session.scalar(select(AnchorRecord.id).where(AnchorRecord.status == Status.CONFIRMED)
                          .where(AnchorRecord.tree_size >= seq).limit(1)) is not None
