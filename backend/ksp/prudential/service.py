"""The prudential figures on a date, read from the ledger and the loan portfolio (reads
only: nothing is written). The arithmetic is ksp.prudential.rules.

Reads: one grouped sum of the journal lines through the date (the balances), the open loans
with their standing (ksp.loans.portfolio), the allowance account. Own capital is assets minus
liabilities: the neraca balances, so that is equity with the SHU not yet closed, without a
second pass over the year's income and expense."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ksp.coop.service import adart_at
from ksp.ledger import chart
from ksp.ledger.chart import account_types
from ksp.ledger.models import AccountType, JournalEntry, JournalLine, Side
from ksp.loans.models import Loan
from ksp.loans.portfolio import LoanLine, allowance_balance, loan_lines, summarize
from ksp.loans.products import product_version, products_at
from ksp.loans.quality import health_band_labels, npl_bps
from ksp.prudential import rules
from ksp.prudential.errors import BeforeFounding, NoRecordsYet


def first_record_date(session: Session) -> dt.date | None:
    """The date of the cooperative's first journal entry: its books begin there."""
    return session.scalar(select(func.min(JournalEntry.entry_date)))


def check_date(session: Session, day: dt.date) -> None:
    first = first_record_date(session)
    if first is None:
        raise NoRecordsYet()
    if day < first:
        raise BeforeFounding(date=day.isoformat(), first=first.isoformat())


def balances_at(session: Session, days: Sequence[dt.date]) -> list[dict[str, int]]:
    """Every account's balance through each of `days` (ascending), by its type's normal
    side, in one pass over the journal: lines are summed per day bucket, then cumulated."""
    if not days:
        return []
    if list(days) != sorted(days):
        raise ValueError("days must be ascending")
    bucket = case(*((JournalEntry.entry_date <= day, i) for i, day in enumerate(days)),
                  else_=len(days))
    rows = session.execute(
        select(JournalLine.account_code, JournalLine.side, bucket, func.sum(JournalLine.amount))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.entry_date <= days[-1])
        .group_by(JournalLine.account_code, JournalLine.side, bucket))
    types = account_types(session)
    moved: list[dict[str, int]] = [{} for _ in days]
    for code, side, index, amount in rows:
        if code not in types:
            types = account_types(session, refresh=True)
        debit_normal = types[code] in (AccountType.ASSET, AccountType.EXPENSE)
        sign = 1 if (side == Side.DEBIT) == debit_normal else -1
        moved[index][code] = moved[index].get(code, 0) + sign * int(amount)
    result: list[dict[str, int]] = []
    running: dict[str, int] = {}
    for part in moved:
        for code, amount in part.items():
            running[code] = running.get(code, 0) + amount
        result.append(dict(running))
    return result


def balances_on(session: Session, day: dt.date) -> dict[str, int]:
    """Every account's balance through `day`, by its type's normal side."""
    return balances_at(session, [day])[0]


def _balances(session: Session, by_code: dict[str, int]) -> rules.Balances:
    types = account_types(session)

    def total(kind: AccountType) -> int:
        return sum(v for code, v in by_code.items() if types[code] is kind)

    assets, liabilities = total(AccountType.ASSET), total(AccountType.LIABILITY)
    return rules.Balances(
        kas=by_code.get(chart.KAS, 0), bank=by_code.get(chart.BANK, 0),
        short_term_liabilities=liabilities, own_capital=assets - liabilities,
        total_assets=assets, loans=by_code.get(chart.PIUTANG_PINJAMAN, 0),
        member_savings=sum(by_code.get(code, 0) for code in (
            chart.SIMPANAN_POKOK, chart.SIMPANAN_WAJIB, chart.SIMPANAN_SUKARELA)))


def _exposures(session: Session, day: dt.date,
               lines: Sequence[LoanLine]) -> tuple[rules.MemberExposure, ...]:
    """Each borrower's outstanding against the largest BMPP of their loans' products, as in
    force on `day` (a product not in force then: the version the loan was made under)."""
    if not lines:
        return ()
    in_force = products_at(session, day)
    bmpp_of_loan: dict[int, int] = {}
    for loan_id, code, version in session.execute(
            select(Loan.id, Loan.product_code, Loan.product_version)
            .where(Loan.id.in_([x.loan_id for x in lines]))):
        product = in_force[code][1] if code in in_force else product_version(
            session, code, version)
        bmpp_of_loan[loan_id] = product.bmpp
    outstanding: dict[int, int] = {}
    bmpp: dict[int, int] = {}
    for line in lines:
        outstanding[line.member] = outstanding.get(line.member, 0) + line.outstanding
        bmpp[line.member] = max(bmpp.get(line.member, 0), bmpp_of_loan[line.loan_id])
    return rules.above_bmpp(outstanding, bmpp)


@dataclass(frozen=True)
class Trend:
    date: dt.date
    npl_bps: int
    liquidity_bps: int | None
    capital_to_assets_bps: int | None
    loans_to_savings_bps: int | None


def prudential_on(session: Session, day: dt.date) -> rules.Prudential:
    """The figures on `day`; refuses a date before the first record (BeforeFounding)."""
    check_date(session, day)
    adart = adart_at(session, day)
    balances = _balances(session, balances_on(session, day))
    lines = loan_lines(session, day)
    portfolio = summarize(day, lines, provision_posted=allowance_balance(session, day),
                          own_capital=balances.own_capital,
                          related_party_cap_bps=adart.related_party_cap_bps)
    band_id, band_en = health_band_labels(portfolio.npl_bps)
    quality = rules.LoanQuality(
        outstanding=portfolio.outstanding, npl_bps=portfolio.npl_bps, health_band=band_id,
        health_band_en=band_en, provision_required=portfolio.provision_required,
        provision_posted=portfolio.provision_posted,
        related_party_outstanding=portfolio.related_party_outstanding,
        related_party_cap=portfolio.related_party_cap,
        related_party_cap_bps=adart.related_party_cap_bps,
        by_class={k.value: amount for k, amount in portfolio.by_class.items()})
    return rules.compute(day, balances, quality, _exposures(session, day, lines))


def month_ends(day: dt.date, months: int) -> list[dt.date]:
    """The last `months` month ends up to `day`, oldest first; `day` itself is the last."""
    result = [day]
    cursor = day.replace(day=1) - dt.timedelta(days=1)
    while len(result) < months:
        result.append(cursor)
        cursor = cursor.replace(day=1) - dt.timedelta(days=1)
    return result[::-1]


def trend(session: Session, day: dt.date, months: int = 12) -> list[Trend]:
    """The figures at each of the last `months` month ends that the books cover: the
    balances in one pass over the journal, the loans' classes per month end."""
    first = first_record_date(session)
    points = [p for p in month_ends(day, months) if first is not None and p >= first]
    result = []
    for point, by_code in zip(points, balances_at(session, points), strict=True):
        b = _balances(session, by_code)
        npl = npl_bps(summarize(point, loan_lines(session, point), provision_posted=0,
                                own_capital=0, related_party_cap_bps=0).by_class)
        f = rules.compute(point, b, rules.LoanQuality(0, npl, "", "", 0, 0, 0, 0, 0))
        result.append(Trend(point, npl, f.liquidity.bps, f.capital_to_assets.bps,
                            f.loans_to_savings.bps))
    return result
