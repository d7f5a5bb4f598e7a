"""What the printed reports say: the figures (as the JSON report routes give them), the
wajib arrears of every member, and where the figures came from (log seq, anchored root)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.accounting.products import SAVINGS_ACCOUNT, Jenis
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import Status
from ksp.coop.service import adart_at, adart_on, adart_timeline
from ksp.core import clock
from ksp.core.money import format_rupiah
from ksp.ledger import reports
from ksp.ledger.models import JournalEntry, JournalLine, LogHead, Side
from ksp.members.models import Member, MemberStatus
from ksp.savings.service import month_starts


@dataclass(frozen=True)
class Provenance:
    """Printed on every document: who, when, and which state of the log."""

    coop_name: str
    printed_at: dt.datetime
    seq: int  # the log's size when the figures were read
    anchor_root: str | None  # hex root of the latest confirmed anchor; None: belum di-anchor
    anchor_size: int | None
    anchor_tx: str | None


def provenance(session: Session, coop_name: str) -> Provenance:
    head = session.get(LogHead, 1)
    anchor = session.scalars(
        select(AnchorRecord).where(AnchorRecord.status == Status.CONFIRMED.value)
        .order_by(AnchorRecord.tree_size.desc()).limit(1)).first()
    return Provenance(
        coop_name=coop_name, printed_at=clock.now(), seq=head.size if head else 0,
        anchor_root="0x" + anchor.root.hex() if anchor else None,
        anchor_size=anchor.tree_size if anchor else None,
        anchor_tx=anchor.tx_hash if anchor else None)


# The report figures, in the shapes of the JSON routes in ksp.ledger.routes.

def _rows(lines: list[reports.AccountBalance]) -> list[dict[str, Any]]:
    return [{"code": r.code, "name": r.name_id, "name_en": r.name_en, "debit": r.debit,
             "credit": r.credit, "balance": r.balance, "balance_text": format_rupiah(r.balance)}
            for r in lines if r.debit or r.credit]


def _section(section: reports.Section) -> dict[str, Any]:
    return {"lines": _rows(section.lines),
            "extra": [{"name": n, "name_en": e, "balance": a} for n, e, a in section.extra],
            "total": section.total, "total_text": format_rupiah(section.total)}


def trial_balance(session: Session, day: dt.date) -> dict[str, Any]:
    rows = reports.trial_balance(session, through=day)
    return {"date": day, "accounts": _rows(rows),
            "total_debit": sum(r.debit for r in rows), "total_credit": sum(r.credit for r in rows)}


def neraca(session: Session, day: dt.date) -> dict[str, Any]:
    sheet = reports.balance_sheet(
        session, date=day, fiscal_start_month=adart_at(session, day).fiscal_year_start_month)
    return {"date": day, "aset": _section(sheet.assets),
            "kewajiban": _section(sheet.liabilities), "ekuitas": _section(sheet.equity),
            "balanced": sheet.balanced}


def phu(session: Session, day: dt.date) -> dict[str, Any]:
    result = reports.income_statement(
        session, through=day, fiscal_start_month=adart_at(session, day).fiscal_year_start_month)
    return {"since": result.since, "through": day,
            "pendapatan": _section(result.income), "beban": _section(result.expense),
            "shu": result.shu, "shu_text": format_rupiah(result.shu)}


REPORTS = {"trial-balance": trial_balance, "neraca": neraca, "phu": phu}
SECTIONS = {"neraca": ("aset", "kewajiban", "ekuitas"), "phu": ("pendapatan", "beban")}


def report_table(kind: str, data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report as one flat table (the CSV): amounts as plain integers."""
    if kind == "trial-balance":
        header = ["kode", "akun", "account", "debit", "kredit", "saldo"]
        rows: list[list[Any]] = [[r["code"], r["name"], r["name_en"], r["debit"], r["credit"],
                                  r["balance"]] for r in data["accounts"]]
        rows.append(["", "Jumlah", "Total", data["total_debit"], data["total_credit"], ""])
        return header, rows
    header = ["bagian", "kode", "akun", "account", "saldo"]
    rows = []
    for name in SECTIONS[kind]:
        section = data[name]
        rows += [[name, r["code"], r["name"], r["name_en"], r["balance"]]
                 for r in section["lines"]]
        rows += [[name, "", e["name"], e["name_en"], e["balance"]] for e in section["extra"]]
        rows.append([name, "", f"Jumlah {name}", "Total", section["total"]])
    if kind == "phu":
        rows.append(["shu", "", "Sisa hasil usaha", "Surplus", data["shu"]])
    return header, rows


# Wajib arrears across members: the rule of ksp.savings.service.wajib_arrears, read for
# every member in three queries rather than three per member.

@dataclass(frozen=True)
class ArrearsRow:
    number: int
    name: str
    status: MemberStatus
    joined_on: dt.date | None
    months_due: int
    amount_due: int
    paid: int
    months_behind: int  # due months not covered, paying the oldest month first

    @property
    def arrears(self) -> int:
        return max(self.amount_due - self.paid, 0)


def _months_behind(dues: list[int], paid: int) -> int:
    behind = 0
    for due in dues:
        if paid >= due:
            paid -= due
        else:
            behind, paid = behind + 1, 0
    return behind


def wajib_arrears(session: Session, *, as_of: dt.date, min_months: int = 1,
                  status: MemberStatus | None = None) -> list[ArrearsRow]:
    """Members at least `min_months` behind on wajib as of `as_of` (0: every member)."""
    query = select(Member.number, Member.name, Member.status, Member.joined_on,
                   Member.exited_on).order_by(Member.number)
    if status is not None:
        query = query.where(Member.status == status)
    paid_by_member = {number: int(total) for number, total in session.execute(
        select(JournalLine.member_number, func.sum(JournalLine.amount))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_code == SAVINGS_ACCOUNT[Jenis.WAJIB],
               JournalLine.side == Side.CREDIT, JournalEntry.entry_date <= as_of)
        .group_by(JournalLine.member_number))}
    timeline = adart_timeline(session)
    due_of_month: dict[dt.date, int] = {}
    result = []
    for number, name, member_status, joined_on, exited_on in session.execute(query):
        dues: list[int] = []
        if joined_on is not None:
            end = min(as_of, exited_on) if exited_on else as_of
            for month in month_starts(joined_on, end):
                if month not in due_of_month:
                    due_of_month[month] = adart_on(timeline, month).simpanan_wajib
                dues.append(due_of_month[month])
        paid = paid_by_member.get(number, 0) if joined_on is not None else 0
        row = ArrearsRow(number, name, member_status, joined_on, len(dues), sum(dues), paid,
                         _months_behind(dues, paid))
        if row.months_behind >= min_months:
            result.append(row)
    return result


ARREARS_HEADER = ["nomor_anggota", "nama", "status", "tanggal_masuk", "bulan_wajib",
                  "wajib_terutang", "wajib_dibayar", "tunggakan", "bulan_tertunggak"]


def arrears_table(rows: list[ArrearsRow]) -> list[list[Any]]:
    return [[r.number, r.name, r.status.value, r.joined_on.isoformat() if r.joined_on else "",
             r.months_due, r.amount_due, r.paid, r.arrears, r.months_behind] for r in rows]
