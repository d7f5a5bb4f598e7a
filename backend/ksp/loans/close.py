"""The loans' daily close of business (tutup hari).

For each date, for every aktif or macet loan disbursed by then: its position at the end of
the day (schedule of its terms + repayments dated that day or before), days past due, the
day's denda by the rule in its terms (`ksp.loans.denda.daily_denda`, one LoanDendaAccrual
row per loan and date, only when above zero) and its kolektibilitas by the AD/ART day
thresholds in force that day. A loan reaching class macet becomes status macet: its own log
entry `pinjaman.macet` and SET_LOAN_STATUS Defaulted on chain. A macet loan stays macet until
it is repaid (the chain allows Defaulted -> Repaid only; repayment is the loan service's).
Reminders go to the member through the notification outbox (`ksp.loans.reminders`).
Then the allowance for losses is brought to what the classes require
(`ksp.loans.portfolio.post_provisions`, one journal entry when it changes), after each day
closed and once more for the date asked (which releases the allowance of loans repaid or
written off when no open loan is left to close).

Denda by instalment is charged on the instalments already late (due before the day), not on
one falling due that day; within the grace days (counted from the oldest late instalment)
nothing is charged.

Log: one entry `pinjaman.tutup_hari` per date closed, listing each loan's denda accrued that
day and each change of class (denda is income only when paid, so no journal legs).

Idempotent and in order: `Loan.closed_through` is the last date closed for a loan. Closing a
date at or before it changes nothing for that loan; closing a later date first closes each
missed day before it, oldest first, so closing 1 March then 5 March writes exactly what
closing every day from 1 to 5 March does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ksp.chain.outbox import OutboxKind, enqueue
from ksp.coop.adart import AdArt
from ksp.coop.service import adart_on, adart_timeline
from ksp.core import clock
from ksp.ledger import log
from ksp.loans import portfolio
from ksp.loans.denda import daily_denda
from ksp.loans.models import Loan, LoanDendaAccrual, LoanStatus
from ksp.loans.portfolio import OPEN_STATUSES
from ksp.loans.portfolio_errors import CloseDateInFuture
from ksp.loans.position import InstalmentState, Position
from ksp.loans.quality import Kolektibilitas, classify
from ksp.loans.reminders import queue_reminders
from ksp.loans.standing import LoanBook, books_of, denda_accrued

CHAIN_DEFAULTED = 4  # ILoanAgreements.LoanStatus.Defaulted


@dataclass(frozen=True)
class ClassChange:
    loan_id: int
    before: str
    after: str
    days_past_due: int


@dataclass
class DayClosed:
    date: dt.date
    seq: int
    loans: int
    denda: dict[int, int] = field(default_factory=dict)  # loan id -> accrued that day
    changes: list[ClassChange] = field(default_factory=list)
    defaulted: list[int] = field(default_factory=list)  # loan ids that became macet
    provision_delta: int = 0
    reminders: int = 0  # messages queued for members


@dataclass
class CloseReport:
    through: dt.date
    days: list[DayClosed] = field(default_factory=list)
    # The allowance settled for `through` after the days: a release when the last open loan
    # was repaid or written off since (no day left to close runs the provisions then).
    provision_settled: int = 0

    @property
    def denda_total(self) -> int:
        return sum(sum(day.denda.values()) for day in self.days)

    @property
    def defaulted(self) -> list[int]:
        return [loan_id for day in self.days for loan_id in day.defaulted]


def late_amount(standing: Position) -> int:
    """The base of denda by instalment: what is unpaid of the instalments due BEFORE the day
    (an instalment falling due today is payable, not late). The grace days count from the
    oldest late instalment (the loan's days past due)."""
    return sum(s.unpaid for s in standing.instalments if s.state is InstalmentState.TERLAMBAT)


def _first_open_day(loan: Loan) -> dt.date:
    if loan.closed_through is not None:
        return loan.closed_through + dt.timedelta(days=1)
    assert loan.disbursed_on is not None  # an aktif loan was disbursed
    return loan.disbursed_on


def close_day(session: Session, on: dt.date) -> CloseReport:
    """Closes every open loan through `on` (each missed day first), in the caller's
    transaction. A date after today is refused."""
    today = clock.today()
    if on > today:
        raise CloseDateInFuture(date=on.isoformat(), today=today.isoformat())
    # Two closes at once (the nightly job and a click in the console): the second waits here
    # for the first to commit, then finds its days closed.
    log.lock_head(session)
    loans = list(session.scalars(
        select(Loan).where(Loan.status.in_(OPEN_STATUSES), Loan.disbursed_on.is_not(None),
                           Loan.disbursed_on <= on,
                           or_(Loan.closed_through.is_(None), Loan.closed_through < on))
        .order_by(Loan.id)))
    report = CloseReport(through=on)
    if loans:
        _close_days(session, loans, on, today, report)
    settled = portfolio.post_provisions(session, on)
    report.provision_settled = settled.delta if settled is not None else 0
    return report


def _close_days(session: Session, loans: list[Loan], on: dt.date, today: dt.date,
                report: CloseReport) -> None:
    books = books_of(session, loans)
    start = min(_first_open_day(loan) for loan in loans)
    accrued = denda_accrued(session, [loan.id for loan in loans],
                            through=start - dt.timedelta(days=1))
    timeline = adart_timeline(session)
    day = start
    while day <= on:
        due = [book for book in books if _first_open_day(book.loan) <= day]
        if due:
            report.days.append(_close_one_day(session, day, due, accrued, timeline, today))
        day += dt.timedelta(days=1)


def _close_one_day(session: Session, day: dt.date, books: list[LoanBook],
                   accrued: dict[int, int], timeline: list[tuple[dt.date, AdArt]],
                   today: dt.date) -> DayClosed:
    days = adart_on(timeline, day).loan_class_days
    denda: dict[int, int] = {}
    changes: list[ClassChange] = []
    defaulted: list[Loan] = []
    reminded = 0
    for book in books:
        loan = book.loan
        standing = book.on(day, accrued[loan.id])
        if standing.fully_repaid:
            loan.closed_through = day  # the repayment closes it; nothing to accrue
            continue
        dpd = standing.days_past_due
        amount = daily_denda(book.rule, late_amount(standing), standing.outstanding_pokok, dpd)
        if amount > 0:
            session.add(LoanDendaAccrual(loan_id=loan.id, accrued_on=day, amount=amount))
            accrued[loan.id] += amount
            denda[loan.id] = amount
        reminded += queue_reminders(session, member=loan.member_number, loan_id=loan.id,
                                    standing=standing, day=day, today=today,
                                    denda_today=amount)
        kelas = classify(dpd, days)
        if kelas.value != loan.kolektibilitas:
            changes.append(ClassChange(loan.id, loan.kolektibilitas, kelas.value, dpd))
            loan.kolektibilitas = kelas.value
        loan.days_past_due = dpd
        loan.closed_through = day
        if kelas is Kolektibilitas.MACET and loan.status is LoanStatus.AKTIF:
            defaulted.append(loan)
    appended = log.append(session, "pinjaman.tutup_hari", {
        "date": day.isoformat(),
        "loans": len(books),
        "denda": [{"loan_id": loan_id, "amount": amount} for loan_id, amount in denda.items()],
        "kolektibilitas": [{"loan_id": c.loan_id, "from": c.before, "to": c.after,
                            "days_past_due": c.days_past_due} for c in changes],
    })
    for loan in defaulted:
        _default(session, loan, day)
    session.flush()
    provision = portfolio.post_provisions(session, day)
    return DayClosed(date=day, seq=appended.seq, loans=len(books), denda=denda,
                     changes=changes, defaulted=[loan.id for loan in defaulted],
                     provision_delta=provision.delta if provision is not None else 0,
                     reminders=reminded)


def _default(session: Session, loan: Loan, day: dt.date) -> None:
    """Status macet, in the log and on chain (Defaulted)."""
    loan.status = LoanStatus.MACET
    appended = log.append(session, "pinjaman.macet", {
        "loan_id": loan.id, "member": loan.member_number, "date": day.isoformat(),
        "days_past_due": loan.days_past_due})
    enqueue(session, kind=OutboxKind.SET_LOAN_STATUS, seq=appended.seq,
            ref=f"loan:{loan.id}:status:{appended.seq}",
            data={"member": loan.member_number, "loan_id": loan.id,
                  "status": CHAIN_DEFAULTED})
