"""Trial balance, neraca (balance sheet) and perhitungan hasil usaha (income statement),
for any date, straight from the journal lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.ledger.chart import account_types
from ksp.ledger.models import Account, AccountType, JournalEntry, JournalLine, Side


@dataclass(frozen=True)
class AccountBalance:
    code: str
    name_id: str
    name_en: str
    type: AccountType
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        """Signed by the account's normal side; contra accounts come out negative."""
        debit_normal = self.type in (AccountType.ASSET, AccountType.EXPENSE)
        return self.debit - self.credit if debit_normal else self.credit - self.debit


# The year-end closing entry's kind (ksp.shu): it empties income and expense into SHU
# tahun berjalan, so the PHU of a closed year reads the year without it.
CLOSING_KIND = "tutup_buku"


def _totals(
    session: Session, *, through: dt.date, since: dt.date | None = None,
    before_closing: bool = False,
) -> dict[str, tuple[int, int]]:
    query = (
        select(JournalLine.account_code, JournalLine.side, func.sum(JournalLine.amount))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.entry_date <= through)
        .group_by(JournalLine.account_code, JournalLine.side)
    )
    if since is not None:
        query = query.where(JournalEntry.entry_date >= since)
    if before_closing:
        query = query.where(JournalEntry.kind != CLOSING_KIND)
    totals: dict[str, list[int]] = {}
    for code, side, amount in session.execute(query):
        pair = totals.setdefault(code, [0, 0])
        pair[0 if side == Side.DEBIT else 1] += int(amount)
    return {code: (d, c) for code, (d, c) in totals.items()}


def trial_balance(
    session: Session, *, through: dt.date, since: dt.date | None = None,
    before_closing: bool = False,
) -> list[AccountBalance]:
    totals = _totals(session, through=through, since=since, before_closing=before_closing)
    accounts = session.scalars(select(Account).order_by(Account.code))
    return [
        AccountBalance(a.code, a.name_id, a.name_en, a.type, *totals.get(a.code, (0, 0)))
        for a in accounts
    ]


def fiscal_year_start(date: dt.date, start_month: int = 1) -> dt.date:
    year = date.year if date.month >= start_month else date.year - 1
    return dt.date(year, start_month, 1)


@dataclass
class Section:
    lines: list[AccountBalance] = field(default_factory=list)
    extra: list[tuple[str, str, int]] = field(default_factory=list)  # (name_id, name_en, amount)

    @property
    def total(self) -> int:
        return sum(line.balance for line in self.lines) + sum(a for _, _, a in self.extra)


@dataclass
class IncomeStatement:
    since: dt.date
    through: dt.date
    income: Section
    expense: Section

    @property
    def shu(self) -> int:
        return self.income.total - self.expense.total


@dataclass
class BalanceSheet:
    date: dt.date
    assets: Section
    liabilities: Section
    equity: Section

    @property
    def balanced(self) -> bool:
        return self.assets.total == self.liabilities.total + self.equity.total


def income_statement(
    session: Session, *, through: dt.date, fiscal_start_month: int = 1,
    before_closing: bool = True,
) -> IncomeStatement:
    """The fiscal year's income and expense through `through`; by default as earned, also
    once the year is closed (`before_closing=False`: what is still left unclosed)."""
    since = fiscal_year_start(through, fiscal_start_month)
    rows = trial_balance(session, through=through, since=since, before_closing=before_closing)
    return IncomeStatement(
        since=since,
        through=through,
        income=Section([r for r in rows if r.type is AccountType.INCOME]),
        expense=Section([r for r in rows if r.type is AccountType.EXPENSE]),
    )


def balance_sheet(session: Session, *, date: dt.date, fiscal_start_month: int = 1) -> BalanceSheet:
    rows = trial_balance(session, through=date)
    current = income_statement(session, through=date, fiscal_start_month=fiscal_start_month,
                               before_closing=False).shu
    all_time = sum(r.balance for r in rows if r.type is AccountType.INCOME) - sum(
        r.balance for r in rows if r.type is AccountType.EXPENSE
    )
    equity = Section([r for r in rows if r.type is AccountType.EQUITY])
    # Income and expense not yet closed into equity appear here, split by fiscal year.
    equity.extra.append(("SHU tahun berjalan (belum ditutup)", "Current-year surplus", current))
    if all_time != current:
        equity.extra.append(
            ("SHU tahun lalu belum dibagi", "Prior-year surplus not yet distributed",
             all_time - current)
        )
    return BalanceSheet(
        date=date,
        assets=Section([r for r in rows if r.type is AccountType.ASSET]),
        liabilities=Section([r for r in rows if r.type is AccountType.LIABILITY]),
        equity=equity,
    )


def member_balances(
    session: Session, *, member: int, through: dt.date | None = None
) -> dict[str, int]:
    """Balance per account of one member's sub-ledger lines, by normal side."""
    query = (
        select(JournalLine.account_code, JournalLine.side, func.sum(JournalLine.amount))
        .where(JournalLine.member_number == member)
        .group_by(JournalLine.account_code, JournalLine.side)
    )
    if through is not None:
        query = query.join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(
            JournalEntry.entry_date <= through
        )
    types = account_types(session)
    balances: dict[str, int] = {}
    for code, side, amount in session.execute(query):
        debit_normal = types[code] in (AccountType.ASSET, AccountType.EXPENSE)
        sign = 1 if (side == Side.DEBIT) == debit_normal else -1
        balances[code] = balances.get(code, 0) + sign * int(amount)
    return balances
