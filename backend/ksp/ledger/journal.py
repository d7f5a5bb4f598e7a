"""Journal entries: balanced legs of positive integer rupiah, each entry also a log entry.
Nothing is edited: a mistake is undone by a reversal entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Date, column, insert, select, table
from sqlalchemy.orm import Session

from ksp.core import clock
from ksp.core.db import table_of
from ksp.core.errors import InvalidInput
from ksp.core.money import MAX_AMOUNT
from ksp.ledger import dates, log
from ksp.ledger.chart import known_accounts
from ksp.ledger.errors import (
    AlreadyReversed,
    InvalidLeg,
    NothingClosed,
    ReopenAlreadyDecided,
    ReopenNeedsOtherRole,
    ReopenNotEarlier,
    ReopenRequestNotFound,
    ReopenRequestStale,
    UnbalancedEntry,
    UnknownAccount,
)
from ksp.ledger.models import JournalEntry, JournalLine, PeriodReopenRequest, Side


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
    reason: str | None = None,
) -> JournalEntry:
    """Posts one balanced entry and its log entry in the caller's transaction. The book
    date follows the date rules (`ksp.ledger.dates`); a date before today needs `reason`,
    which the log entry keeps."""
    validate_legs(legs)
    codes = {leg.account for leg in legs}
    for code in sorted(codes - known_accounts(session, codes)):
        raise UnknownAccount(code_=code)
    head = log.lock_head(session)  # also serialises the closed-period check with closing
    reason = dates.check_posting_date(
        entry_date, today=clock.today(), closed_through=head.closed_through,
        joined_on=_joined_on(session, {leg.member for leg in legs if leg.member is not None}),
        reason=reason)
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
    if reason is not None:
        data["reason"] = reason
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
    # The table, not the class: one executemany (ORM bulk mode splits rows on NULL member).
    session.execute(insert(table_of(JournalLine)), [
        {"entry_id": entry.id, "account_code": leg.account, "member_number": leg.member,
         "side": leg.side.value, "amount": leg.amount}
        for leg in legs
    ])
    return entry


# The members table named, not imported: the ledger imports no domain module, yet itself
# refuses a member posting dated before that member joined, whatever code path posts it.
_MEMBERS = table("members", column("number", BigInteger), column("joined_on", Date))


def _joined_on(session: Session, numbers: set[int]) -> dict[int, dt.date]:
    """Joining dates of the members a posting names (a calon anggota has none yet)."""
    if not numbers:
        return {}
    rows = session.execute(select(_MEMBERS.c.number, _MEMBERS.c.joined_on)
                           .where(_MEMBERS.c.number.in_(sorted(numbers))))
    return {number: joined for number, joined in rows if joined is not None}


def reverse(session: Session, *, entry_id: int, entry_date: dt.date, memo: str,
            reason: str | None = None, log_data: dict[str, Any] | None = None) -> JournalEntry:
    """A new entry with every leg's side swapped; the original stays as it was. `log_data`
    adds to its log entry (a correction names its proposal and both people)."""
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
                reverses=original, reason=reason, log_data=log_data)


def close_period(session: Session, *, through: dt.date) -> int:
    """Nothing may post on or before `through` afterwards, which must be a day already
    past. Returns the log seq."""
    head = log.lock_head(session)
    dates.check_close_through(through, today=clock.today(), closed_through=head.closed_through)
    appended = log.append(session, "period.closed", {"through": through.isoformat()})
    head.closed_through = through
    return appended.seq


# Reopening closed books needs both boards: the one who asks and the other who approves.
REOPEN_ROLES = ("pengurus", "pengawas")


def request_reopen(session: Session, *, through: dt.date | None, reason: str, actor: str,
                   role: str) -> PeriodReopenRequest:
    """A pengurus or pengawas asks to move the close back to `through` (None: fully open).
    Nothing changes until the other role approves."""
    if role not in REOPEN_ROLES:
        raise ReopenNeedsOtherRole(requested_role=role, needed_role="pengurus/pengawas")
    head = log.lock_head(session)
    if head.closed_through is None:
        raise NothingClosed()
    if through is not None:
        dates.check_range(through, "through")
        if through >= head.closed_through:
            raise ReopenNotEarlier(closed_through=head.closed_through.isoformat(),
                                   through=through.isoformat())
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > dates.REASON_MAX_LENGTH:
        raise InvalidInput(field="alasan", reason_id="wajib diisi, paling banyak 200 karakter",
                           reason_en="is required, at most 200 characters")
    request = PeriodReopenRequest(through=through, closed_through=head.closed_through,
                                  reason=cleaned, requested_by=actor, requested_role=role,
                                  requested_at=clock.now())
    session.add(request)
    session.flush()
    return request


def approve_reopen(session: Session, *, request_id: int, actor: str, role: str) -> int:
    """The other role approves: the close moves back and a `period.reopened` log entry
    names both roles and the reason. Returns the log seq."""
    head = log.lock_head(session)
    request = session.get(PeriodReopenRequest, request_id, with_for_update=True)
    if request is None:
        raise ReopenRequestNotFound(request=request_id)
    if request.seq is not None:
        raise ReopenAlreadyDecided(request=request_id)
    needed = next(r for r in REOPEN_ROLES if r != request.requested_role)
    if role != needed or actor == request.requested_by:
        raise ReopenNeedsOtherRole(requested_role=request.requested_role, needed_role=needed)
    if head.closed_through != request.closed_through:
        current = head.closed_through.isoformat() if head.closed_through else "-"
        raise ReopenRequestStale(request=request_id,
                                 requested_at_close=request.closed_through.isoformat(),
                                 closed_through=current)
    appended = log.append(session, "period.reopened", {
        "through": request.through.isoformat() if request.through else None,
        "previous_through": request.closed_through.isoformat(),
        "request": request.id,
        "requested_role": request.requested_role,
        "approved_role": role,
        "reason": request.reason,
    })
    head.closed_through = request.through
    request.approved_by, request.approved_role = actor, role
    request.approved_at, request.seq = clock.now(), appended.seq
    return appended.seq
