"""The minutes (risalah) of a decided RAT, in Bahasa Indonesia: attendance, quorum, each item
with its result and decision, the RatVoting address, the chain transactions, and the log seq
and anchored root that carry each result, for the secretary and the chair to sign."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.anchoring.models import AnchorRecord
from ksp.chain.outbox import OutboxItem
from ksp.core import clock
from ksp.core.hexes import to_hex
from ksp.members.models import Member
from ksp.rat import service, tally
from ksp.rat.errors import WrongMeetingState
from ksp.rat.models import ItemKind, MeetingStatus

DECISION_WORDS = {tally.DITERIMA: "DITERIMA / passed", tally.DITOLAK: "DITOLAK / rejected",
                  tally.TERPILIH: "TERPILIH / elected",
                  tally.SERI: "SERI, pemilihan ulang / tie, run-off",
                  tally.TIDAK_KUORUM: "TIDAK KUORUM / no quorum"}
KIND_WORDS = {ItemKind.LPJ: "Laporan pertanggungjawaban", ItemKind.SHU: "Pembagian SHU",
              ItemKind.ELECTION: "Pemilihan", ItemKind.ADART_AMENDMENT: "Perubahan AD/ART",
              ItemKind.MOTION: "Usul"}
YES_NO_LABELS = ("Tidak setuju", "Setuju", "Abstain")


def percent(bps: int) -> str:
    """5000 -> "50%", 6666 -> "66,66%" (Indonesian decimal comma)."""
    whole, rest = divmod(bps, 100)
    return f"{whole},{rest:02d}".rstrip("0").rstrip(",") + "%"


@dataclass(frozen=True)
class Anchor:
    tree_size: int
    root: str
    tx_hash: str | None
    status: str


def _anchor_covering(session: Session, seq: int) -> Anchor | None:
    """The first anchor on chain whose tree holds the entry `seq`."""
    record = session.scalars(select(AnchorRecord).where(
        AnchorRecord.tree_size >= seq,
        AnchorRecord.status.in_(("included", "confirmed")))
        .order_by(AnchorRecord.tree_size)).first()
    if record is None:
        return None
    return Anchor(record.tree_size, to_hex(record.root), record.tx_hash, record.status)


def _transactions(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    """The meeting's chain transactions: kind, tx hash, block and how many rows it carried
    (ballots are relayed in batches, so one tx carries many)."""
    rows = session.scalars(select(OutboxItem).where(
        OutboxItem.ref.startswith(f"rat:{meeting_id}:") | (OutboxItem.ref == f"rat:{meeting_id}"))
        .order_by(OutboxItem.id))
    grouped: dict[tuple[str, str | None], dict[str, Any]] = {}
    for row in rows:
        key = (row.kind.value, row.tx_hash)
        found = grouped.setdefault(key, {"kind": row.kind.value, "tx_hash": row.tx_hash,
                                         "block": row.block_number,
                                         "status": row.status.value, "rows": 0})
        found["rows"] += 1
    return list(grouped.values())


def minutes_data(session: Session, meeting_id: int) -> dict[str, Any]:
    meeting = service.get_meeting(session, meeting_id)
    if meeting.status is not MeetingStatus.DECIDED:
        raise WrongMeetingState(meeting=meeting_id, status=meeting.status.value,
                                reason_id="risalah dibuat sesudah hasil ditetapkan",
                                reason_en="the minutes are made after the results")
    names: dict[int, str] = dict(session.execute(select(Member.number, Member.name)).all())
    attendance = [{"member": a.member_number, "name": names.get(a.member_number, ""),
                   "how": a.how.value, "seq": a.seq}
                  for a in service.attendance_of(session, meeting_id)]
    items: list[dict[str, Any]] = []
    quorum: dict[str, Any] = {}
    for item, result in service.results_of(session, meeting_id):
        data = json.loads(result.data)
        quorum = {k: data[k] for k in ("eligible", "participants", "quorum_bps",
                                       "quorum_reached")}
        quorum["quorum_text"] = percent(data["quorum_bps"])
        if item.kind is ItemKind.ELECTION:
            candidates = service.candidates_of(item)
            labels = [f"{n} {names.get(n, '')}".strip() for n in candidates] + ["Kosong / blank"]
        else:
            labels = list(YES_NO_LABELS)
        rows = [{"label": label, "online": data["online"][i], "replaced": data["replaced"][i],
                 "in_person": data["in_person"][i], "total": data["total"][i]}
                for i, label in enumerate(labels)]
        elected = [f"{n} {names.get(n, '')}".strip() for n in data.get("elected", [])]
        tied = [f"{n} {names.get(n, '')}".strip() for n in data.get("tied", [])]
        items.append({"position": item.position, "title": item.title, "text": item.text,
                      "kind": KIND_WORDS[item.kind], "content_hash": item.content_hash,
                      "rows": rows, "decision": DECISION_WORDS.get(result.decision,
                                                                   result.decision),
                      "threshold": (percent(data["threshold_bps"])
                                    if data.get("threshold_bps") is not None else None),
                      "base": data.get("base"),
                      "elected": elected, "tied": tied, "seq": result.seq,
                      "anchor": _anchor_covering(session, result.seq)})
    officers = [{"member": o.member_number, "name": names.get(o.member_number, ""),
                 "role": o.role.value, "from": o.term_from, "to": o.term_to, "seq": o.seq}
                for o in service.officers_of(session, meeting_id)]
    return {"meeting": meeting, "attendance": attendance, "quorum": quorum, "items": items,
            "officers": officers, "transactions": _transactions(session, meeting_id)}


def minutes_html(session: Session, meeting_id: int, coop_name: str,
                 contract_address: str | None) -> str:
    """The risalah as HTML (the PDF is `html_to_pdf` of it)."""
    from ksp.core.tanggal import format_tanggal
    from ksp.printing.render import render_html

    data = minutes_data(session, meeting_id)
    meeting = data["meeting"]
    held = clock.as_utc(meeting.held_at).astimezone(clock.zone())
    by_how: dict[str, int] = defaultdict(int)
    for row in data["attendance"]:
        by_how[row["how"]] += 1
    return render_html("rat-risalah.html", coop_name=coop_name, m=meeting,
                       tanggal=format_tanggal(held.date(), with_weekday=True),
                       waktu=f"{held.strftime('%H.%M')} {held.tzname() or ''}",
                       record=format_tanggal(meeting.record_date),
                       contract=contract_address, **data)
