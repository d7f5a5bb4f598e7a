"""The year-end reports for the RAT, as data (the CSV and the PDF read the same): laporan
perubahan ekuitas, laporan arus kas, the SHU list of a year, a member's annual statement,
and the laporan pertanggungjawaban that collects them with the neraca, the PHU and the
prudential figures into one PDF.

A year is the fiscal year of the AD/ART in force at its start (`fiscal_year_start_month`):
year Y runs from month M of Y to the day before month M of Y+1. A year ending before the
cooperative's first record is refused (ksp.prudential.errors.BeforeFounding).

Arus kas, direct method: cash is kas + bank. Every journal entry of the year that moves
cash contributes its OTHER legs, account by account: a credit leg is cash in, a debit leg
cash out (an entry balances, so those add up to its cash change exactly; kas-to-bank moves
net to zero). Each account falls in one activity: pendanaan (simpanan pokok, wajib,
cadangan, SHU tahun berjalan: the members' capital), operasi (everything else: loans,
interest, sukarela, expenses, SHU payable and funds). The chart has no fixed assets, so
investasi is 0 until it does. Opening cash + the net flow = closing cash, checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.accounting.products import SAVINGS_ACCOUNT, Jenis
from ksp.coop.service import adart_at
from ksp.core.money import format_rupiah
from ksp.ledger import chart, reports
from ksp.ledger.models import Account, JournalEntry, JournalLine, Side
from ksp.loans.models import Loan, LoanRepayment
from ksp.members.models import Member
from ksp.printing import documents
from ksp.printing.render import html_to_pdf, render_html
from ksp.prudential.service import check_date
from ksp.shu.models import ShuMemberLine

CASH = (chart.KAS, chart.BANK)
PENDANAAN = (chart.SIMPANAN_POKOK, chart.SIMPANAN_WAJIB, chart.CADANGAN,
             chart.SHU_TAHUN_BERJALAN)


@dataclass(frozen=True)
class Year:
    year: int
    since: dt.date
    through: dt.date


def fiscal_year(session: Session, year: int) -> Year:
    """Year `year` by the AD/ART; refused when it ends before the first record."""
    month = adart_at(session, dt.date(year, 1, 1)).fiscal_year_start_month
    since = dt.date(year, month, 1)
    through = dt.date(year + 1, month, 1) - dt.timedelta(days=1)
    check_date(session, through)
    return Year(year, since, through)


def _names(session: Session) -> dict[str, tuple[str, str]]:
    return {code: (n, e) for code, n, e in session.execute(
        select(Account.code, Account.name_id, Account.name_en))}


def equity_changes(session: Session, y: Year) -> dict[str, Any]:
    """Each equity item at the start, its change over the year, at the end."""
    month = adart_at(session, y.since).fiscal_year_start_month
    opening = reports.balance_sheet(session, date=y.since - dt.timedelta(days=1),
                                    fiscal_start_month=month).equity
    closing = reports.balance_sheet(session, date=y.through, fiscal_start_month=month).equity

    def items(section: reports.Section) -> dict[tuple[str, str, str], int]:
        found = {(r.code, r.name_id, r.name_en): r.balance for r in section.lines}
        found |= {("", n, e): a for n, e, a in section.extra}
        return found

    start, end = items(opening), items(closing)
    rows = [{"code": key[0], "name": key[1], "name_en": key[2], "awal": start.get(key, 0),
             "perubahan": end.get(key, 0) - start.get(key, 0), "akhir": end.get(key, 0)}
            for key in sorted(start.keys() | end.keys(), key=lambda k: (k[0] == "", k[0], k[1]))
            if start.get(key, 0) or end.get(key, 0)]
    return {"year": y.year, "since": y.since, "through": y.through, "rows": rows,
            "awal": opening.total, "akhir": closing.total,
            "perubahan": closing.total - opening.total}


def _cash(session: Session, through: dt.date) -> int:
    rows = session.execute(
        select(JournalLine.side, func.sum(JournalLine.amount))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_code.in_(CASH), JournalEntry.entry_date <= through)
        .group_by(JournalLine.side))
    sums = {side: int(amount) for side, amount in rows}
    return sums.get(Side.DEBIT, 0) - sums.get(Side.CREDIT, 0)


def cash_flow(session: Session, y: Year) -> dict[str, Any]:
    """Arus kas of the year, direct method (module doc)."""
    moving = (select(JournalLine.entry_id)
              .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
              .where(JournalLine.account_code.in_(CASH),
                     JournalEntry.entry_date.between(y.since, y.through)))
    flows: dict[str, int] = {}
    for code, side, amount in session.execute(
            select(JournalLine.account_code, JournalLine.side, func.sum(JournalLine.amount))
            .where(JournalLine.entry_id.in_(moving), JournalLine.account_code.not_in(CASH))
            .group_by(JournalLine.account_code, JournalLine.side)):
        flows[code] = flows.get(code, 0) + (int(amount) if side == Side.CREDIT else -int(amount))
    names = _names(session)
    activities: dict[str, list[dict[str, Any]]] = {"operasi": [], "investasi": [],
                                                   "pendanaan": []}
    for code in sorted(flows):
        if flows[code]:
            activities["pendanaan" if code in PENDANAAN else "operasi"].append(
                {"code": code, "name": names[code][0], "name_en": names[code][1],
                 "amount": flows[code]})
    opening = _cash(session, y.since - dt.timedelta(days=1))
    closing = _cash(session, y.through)
    totals = {name: sum(r["amount"] for r in rows) for name, rows in activities.items()}
    net = sum(totals.values())
    return {"year": y.year, "since": y.since, "through": y.through,
            "activities": activities, "totals": totals, "net": net, "awal": opening,
            "akhir": closing, "reconciled": opening + net == closing}


def shu_list(session: Session, y: Year) -> dict[str, Any]:
    """Every member's SHU of the year as distributed (empty before the distribution)."""
    rows = [{"member": number, "name": name, "amount": amount, "settlement": settlement}
            for number, name, amount, settlement in session.execute(
                select(ShuMemberLine.member_number, Member.name, ShuMemberLine.amount,
                       ShuMemberLine.settlement)
                .join(Member, Member.number == ShuMemberLine.member_number)
                .where(ShuMemberLine.fiscal_year == y.year)
                .order_by(ShuMemberLine.member_number))]
    return {"year": y.year, "since": y.since, "through": y.through, "rows": rows,
            "total": sum(r["amount"] for r in rows)}


def member_statement(session: Session, y: Year, member: int) -> dict[str, Any]:
    """One member's year: savings by jenis (start, in, out, end), loans (repaid in the year,
    outstanding at the end) and the year's SHU."""
    found = session.get(Member, member)
    start = reports.member_balances(session, member=member,
                                    through=y.since - dt.timedelta(days=1))
    end = reports.member_balances(session, member=member, through=y.through)
    moved: dict[tuple[str, str], int] = {}
    for code, side, amount in session.execute(
            select(JournalLine.account_code, JournalLine.side, func.sum(JournalLine.amount))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalLine.member_number == member,
                   JournalEntry.entry_date.between(y.since, y.through))
            .group_by(JournalLine.account_code, JournalLine.side)):
        moved[(code, side)] = int(amount)
    savings = []
    for jenis in Jenis:
        code = SAVINGS_ACCOUNT[jenis]
        savings.append({"jenis": jenis.value, "awal": start.get(code, 0),
                        "masuk": moved.get((code, Side.CREDIT), 0),
                        "keluar": moved.get((code, Side.DEBIT), 0), "akhir": end.get(code, 0)})
    loans = []
    for loan in session.scalars(select(Loan).where(Loan.member_number == member,
                                                   Loan.disbursed_on.is_not(None),
                                                   Loan.disbursed_on <= y.through)
                                .order_by(Loan.id)):
        paid = session.execute(
            select(func.coalesce(func.sum(LoanRepayment.pokok), 0),
                   func.coalesce(func.sum(LoanRepayment.jasa), 0),
                   func.coalesce(func.sum(LoanRepayment.denda), 0))
            .where(LoanRepayment.loan_id == loan.id,
                   LoanRepayment.paid_on.between(y.since, y.through))).one()
        loans.append({"loan_id": loan.id, "principal": loan.principal,
                      "disbursed_on": loan.disbursed_on, "pokok": int(paid[0]),
                      "jasa": int(paid[1]), "denda": int(paid[2])})
    outstanding = end.get(chart.PIUTANG_PINJAMAN, 0)
    shu = session.get(ShuMemberLine, (y.year, member))
    return {"year": y.year, "since": y.since, "through": y.through, "member": member,
            "name": found.name if found else "", "savings": savings,
            "savings_total": sum(s["akhir"] for s in savings), "loans": loans,
            "outstanding": outstanding, "shu": shu.amount if shu else None}


# --- CSV tables ---------------------------------------------------------------------------

def equity_table(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    rows = [[r["code"], r["name"], r["name_en"], r["awal"], r["perubahan"], r["akhir"]]
            for r in data["rows"]]
    rows.append(["", "Jumlah ekuitas", "Total equity", data["awal"], data["perubahan"],
                 data["akhir"]])
    return ["kode", "pos", "item", "awal", "perubahan", "akhir"], rows


def cash_flow_table(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    rows: list[list[Any]] = [["awal", "", "Kas dan bank awal tahun", "Opening cash",
                              data["awal"]]]
    for activity, lines in data["activities"].items():
        rows += [[activity, r["code"], r["name"], r["name_en"], r["amount"]] for r in lines]
        rows.append([activity, "", f"Arus kas bersih {activity}", "Net", data["totals"][activity]])
    rows.append(["akhir", "", "Kas dan bank akhir tahun", "Closing cash", data["akhir"]])
    return ["aktivitas", "kode", "pos", "item", "jumlah"], rows


def shu_list_table(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    rows = [[r["member"], r["name"], r["amount"], r["settlement"]] for r in data["rows"]]
    rows.append(["", "Jumlah / total", data["total"], ""])
    return ["nomor_anggota", "nama", "shu", "diterima_sebagai"], rows


TITLES = {"perubahan-ekuitas": ("Laporan Perubahan Ekuitas", "Statement of changes in equity"),
          "arus-kas": ("Laporan Arus Kas", "Cash flow statement"),
          "daftar-shu": ("Daftar SHU Anggota", "Members' SHU list"),
          "pernyataan-anggota": ("Laporan Tahunan Anggota", "Member's annual statement"),
          "lpj": ("Laporan Pertanggungjawaban Pengurus",
                  "The board's accountability report")}
DATA = {"perubahan-ekuitas": equity_changes, "arus-kas": cash_flow, "daftar-shu": shu_list}
TABLES = {"perubahan-ekuitas": equity_table, "arus-kas": cash_flow_table,
          "daftar-shu": shu_list_table}


# --- PDFs ----------------------------------------------------------------------------------

def _period(y: Year) -> str:
    return f"tahun buku / fiscal year {y.year}: {y.since} s.d. {y.through}"


def annual_pdf(session: Session, coop_name: str, kind: str, year: int,
               member: int | None = None) -> bytes:
    """One of the year's reports (TITLES) as PDF; "pernyataan-anggota" needs `member`."""
    y = fiscal_year(session, year)
    data = (member_statement(session, y, member) if kind == "pernyataan-anggota"
            and member is not None else DATA[kind](session, y))
    title, title_en = TITLES[kind]
    return html_to_pdf(render_html("tahunan.html", p=documents.provenance(session, coop_name),
                                   title=title, title_en=title_en, period=_period(y),
                                   kind=kind, d=data))


def lpj_html(session: Session, coop_name: str, year: int) -> str:
    from ksp.prudential import document
    from ksp.prudential.rules import percent_text
    from ksp.prudential.service import prudential_on

    y = fiscal_year(session, year)
    title, title_en = TITLES["lpj"]
    figures = prudential_on(session, y.through)
    return render_html(
        "lpj.html", p=documents.provenance(session, coop_name), title=title,
        title_en=title_en, period=_period(y), neraca=documents.neraca(session, y.through),
        phu=documents.phu(session, y.through), ekuitas_data=equity_changes(session, y),
        arus=cash_flow(session, y), shu=shu_list(session, y),
        r=figures, ratios=[(label_id, label_en, getattr(figures, attr))
                           for _k, attr, label_id, label_en in document.RATIOS],
        pct=percent_text, rp=format_rupiah)


def lpj_pdf(session: Session, coop_name: str, year: int) -> bytes:
    """The RAT's laporan pertanggungjawaban: every year-end report in one PDF."""
    return html_to_pdf(lpj_html(session, coop_name, year))
