"""Journal entries: balanced legs of positive integer rupiah, each entry also a log entry.
Nothing is edited: a mistake is undone by a reversal entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ksp.core.money import MAX_AMOUNT
from ksp.ledger import log
from ksp.ledger.chart import known_accounts
from ksp.ledger.errors import (
    AlreadyReversed,
    InvalidLeg,
    PeriodClosed,
    UnbalancedEntry,
    UnknownAccount,
)
from ksp.ledger.models import JournalEntry, JournalLine, Side


@dataclass(frozen=True)
class Leg:
    account: str
    side: Side
    amount: int
    member: int | None = None


def debit(account: str, amount: int, member: int | None = None) -> Leg:
    return Leg(account, Side.DEBIT, amount, member)


def credit(account: str, amount: int, member: int | None = None) -> Leg:
    return Leg(account, Side.CREDIT, amount, member)


def validate_legs(legs: Sequence[Leg]) -> None:
    """Pure checks: positive integer amounts, one side each, debits equal credits."""
    if len(legs) < 2:
        raise InvalidLeg(reason_id="minimal dua baris", reason_en="at least two lines needed")
    for leg in legs:
        if isinstance(leg.amount, bool) or not isinstance(leg.amount, int):
            raise InvalidLeg(reason_id="jumlah harus bilangan bulat rupiah",
                             reason_en="amount must be whole rupiah")
        if leg.amount <= 0 or leg.amount > MAX_AMOUNT:
            raise InvalidLeg(reason_id=f"jumlah di luar batas: {leg.amount}",
                             reason_en=f"amount out of range: {leg.amount}")
        if leg.side not in (Side.DEBIT, Side.CREDIT):
            raise InvalidLeg(reason_id="sisi harus D atau C", reason_en="side must be D or C")
    debits = sum(leg.amount for leg in legs if leg.side is Side.DEBIT)
    credits = sum(leg.amount for leg in legs if leg.side is Side.CREDIT)
    if debits != credits or debits == 0:
        raise UnbalancedEntry(debits=debits, credits=credits)


def post(
    session: Session,
    *,
    entry_date: dt.date,
    kind: str,
    memo: str,
    legs: Sequence[Leg],
    reverses: JournalEntry | None = None,
    log_data: dict[str, Any] | None = None,
) -> JournalEntry:
    """Posts one balanced entry and its log entry in the caller's transaction."""
    validate_legs(legs)
    codes = {leg.account for leg in legs}
    for code in sorted(codes - known_accounts(session, codes)):
        raise UnknownAccount(code_=code)
    head = log.lock_head(session)  # also serialises the closed-period check with closing
    if head.closed_through is not None and entry_date <= head.closed_through:
        raise PeriodClosed(closed_through=head.closed_through.isoformat(),
                           date=entry_date.isoformat())
    data: dict[str, Any] = {
        "date": entry_date.isoformat(),
        "memo": memo,
        "lines": [
            {"account": leg.account, "side": leg.side.value, "amount": leg.amount,
             "member": leg.member}
            for leg in legs
        ],
    }
    if reverses is not None:
        data["reverses_seq"] = reverses.seq
    if log_data:
        data.update(log_data)
    appended = log.append(session, f"journal.{kind}", data)
    entry = JournalEntry(
        seq=appended.seq,
        entry_date=entry_date,
        kind=kind,
        memo=memo,
        reverses_id=reverses.id if reverses is not None else None,
    )
    session.add(entry)
    session.flush()
    session.execute(insert(JournalLine), [
        {"entry_id": entry.id, "account_code": leg.account, "member_number": leg.member,
         "side": leg.side.value, "amount": leg.amount}
        for leg in legs
    ])
    return entry


def reverse(session: Session, *, entry_id: int, entry_date: dt.date, memo: str) -> JournalEntry:
    """A new entry with every leg's side swapped; the original stays as it was."""
    original = session.get(JournalEntry, entry_id)
    if original is None:
        from ksp.core.errors import NotFound

        raise NotFound(what_id="Jurnal", what_en="Journal entry", key=entry_id)
    taken = session.scalars(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id))
    if taken.first() is not None:
        raise AlreadyReversed(entry_id=entry_id)
    legs = [
        Leg(line.account_code, Side.CREDIT if line.side == Side.DEBIT else Side.DEBIT,
            line.amount, line.member_number)
        for line in original.lines
    ]
    return post(session, entry_date=entry_date, kind="reversal", memo=memo, legs=legs,
                reverses=original)


def close_period(session: Session, *, through: dt.date) -> int:
    """Nothing may post on or before `through` afterwards. Returns the log seq."""
    head = log.lock_head(session)
    if head.closed_through is not None and through <= head.closed_through:
        raise PeriodClosed(closed_through=head.closed_through.isoformat(),
                           date=through.isoformat())
    appended = log.append(session, "period.closed", {"through": through.isoformat()})
    head.closed_through = through
    return appended.seq
