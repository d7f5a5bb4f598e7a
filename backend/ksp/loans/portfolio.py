"""The loan portfolio on a date: outstanding by class (the five OJK classes and the four of the
cooperative health assessment), NPL, the health band, the allowance required against the one
posted, and loans to related parties against their cap. And the provision posting that keeps
the allowance (CKPN) at what the classes require.

Provisions: the required allowance is the sum over open loans of
`quality.provision_required(outstanding, class)` (each loan rounded half-up there); one
`LoanProvision` posts the difference from the balance of the allowance account
(chart.CADANGAN_KERUGIAN_PIUTANG) through that date, nothing when there is none. The daily
close runs it after each day it closes, so the allowance follows every change of class and
every repayment by the next close; running it twice for a date posts once.

A loan's class here is computed from its position on the date (days past due by the AD/ART
thresholds in force), so the report is right for any date, closed or not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.accounting import postings
from ksp.coop.adart import BPS
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.money import round_half_up
from ksp.ledger import chart
from ksp.ledger.models import JournalEntry, JournalLine, Side
from ksp.ledger.reports import balance_sheet
from ksp.loans.models import Loan, LoanStatus
from ksp.loans.quality import (
    KelasKoperasi,
    Kolektibilitas,
    classify,
    health_band,
    health_class,
    npl_bps,
    provision_required,
)
from ksp.loans.standing import books_of, denda_accrued

OPEN_STATUSES = (LoanStatus.AKTIF, LoanStatus.MACET)


@dataclass(frozen=True)
class LoanLine:
    """One open loan on the date."""

    loan_id: int
    member: int
    outstanding: int
    days_past_due: int
    kolektibilitas: Kolektibilitas
    related_party: bool


@dataclass(frozen=True)
class Portfolio:
    date: dt.date
    loans: int
    outstanding: int
    by_class: Mapping[Kolektibilitas, int]
    by_health_class: Mapping[KelasKoperasi, int]
    npl_bps: int
    health_band: str
    provision_required: int
    provision_posted: int
    related_party_outstanding: int
    related_party_cap: int  # related_party_cap_bps of own capital, rounded half-up

    @property
    def related_party_within_cap(self) -> bool:
        return self.related_party_outstanding <= self.related_party_cap


def summarize(day: dt.date, lines: Sequence[LoanLine], *, provision_posted: int,
              own_capital: int, related_party_cap_bps: int) -> Portfolio:
    """Pure: the portfolio of `lines` (plain data in, plain data out)."""
    by_class = dict.fromkeys(Kolektibilitas, 0)
    for line in lines:
        by_class[line.kolektibilitas] += line.outstanding
    by_health = dict.fromkeys(KelasKoperasi, 0)
    for kelas, amount in by_class.items():
        by_health[health_class(kelas)] += amount
    npl = npl_bps(by_class)
    cap = round_half_up(Fraction(max(own_capital, 0) * related_party_cap_bps, BPS))
    return Portfolio(
        date=day, loans=len(lines), outstanding=sum(line.outstanding for line in lines),
        by_class=by_class, by_health_class=by_health, npl_bps=npl, health_band=health_band(npl),
        provision_required=sum(provision_required(line.outstanding, line.kolektibilitas)
                               for line in lines),
        provision_posted=provision_posted,
        related_party_outstanding=sum(line.outstanding for line in lines if line.related_party),
        related_party_cap=cap)


def loan_lines(session: Session, day: dt.date) -> list[LoanLine]:
    """Every loan open on `day` (aktif or macet, disbursed by then) with its standing."""
    loans = list(session.scalars(
        select(Loan).where(Loan.status.in_(OPEN_STATUSES), Loan.disbursed_on.is_not(None),
                           Loan.disbursed_on <= day).order_by(Loan.id)))
    if not loans:
        return []
    days = adart_at(session, day).loan_class_days
    accrued = denda_accrued(session, [loan.id for loan in loans], through=day)
    lines = []
    for book in books_of(session, loans):
        standing = book.on(day, accrued[book.loan.id])
        if standing.outstanding_pokok <= 0:
            continue
        lines.append(LoanLine(book.loan.id, book.loan.member_number, standing.outstanding_pokok,
                              standing.days_past_due, classify(standing.days_past_due, days),
                              book.loan.related_party))
    return lines


def allowance_balance(session: Session, through: dt.date) -> int:
    """The allowance for losses as posted through `through` (credit-normal: a contra asset)."""
    rows = session.execute(
        select(JournalLine.side, func.sum(JournalLine.amount))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_code == chart.CADANGAN_KERUGIAN_PIUTANG,
               JournalEntry.entry_date <= through)
        .group_by(JournalLine.side))
    totals = {side: int(amount) for side, amount in rows}
    return totals.get(Side.CREDIT, 0) - totals.get(Side.DEBIT, 0)


def required_allowance(session: Session, day: dt.date) -> int:
    return sum(provision_required(line.outstanding, line.kolektibilitas)
               for line in loan_lines(session, day))


@dataclass(frozen=True)
class ProvisionPosted:
    delta: int
    seq: int


CLOSE_REASON = "Tutup hari pinjaman: penyisihan untuk tanggal ini"


def post_provisions(session: Session, on: dt.date) -> ProvisionPosted | None:
    """Posts the change of the allowance needed on `on` (None when there is none)."""
    delta = required_allowance(session, on) - allowance_balance(session, on)
    if delta == 0:
        return None
    entry = postings.post(session, postings.LoanProvision(delta), on=on,
                          reason=CLOSE_REASON if on < clock.today() else None)
    return ProvisionPosted(delta=delta, seq=entry.seq)


def portfolio_on(session: Session, day: dt.date) -> Portfolio:
    adart = adart_at(session, day)
    own_capital = balance_sheet(session, date=day,
                                fiscal_start_month=adart.fiscal_year_start_month).equity.total
    return summarize(day, loan_lines(session, day),
                     provision_posted=allowance_balance(session, day), own_capital=own_capital,
                     related_party_cap_bps=adart.related_party_cap_bps)
