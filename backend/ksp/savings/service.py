"""Deposits, withdrawals, exit payouts, statements and wajib arrears. Every movement is
a journal entry posted by the ledger, plus a SavingsToken mirror row in the chain outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.accounting import postings, products
from ksp.accounting.products import Jenis as Jenis  # defined beside its accounts
from ksp.chain.outbox import OutboxKind, enqueue
from ksp.coop.service import adart_at, adart_on, adart_timeline
from ksp.core import clock
from ksp.core.errors import KspError
from ksp.core.money import MAX_AMOUNT, format_rupiah
from ksp.ledger import chart, dates, log
from ksp.ledger.models import JournalEntry, JournalLine
from ksp.ledger.reports import member_balances
from ksp.loans.models import Loan, LoanRepayment, LoanStatus
from ksp.members import service as members
from ksp.members.errors import MemberNotActive, UnknownMember
from ksp.members.models import Member, MemberStatus
from ksp.savings.errors import (
    ExitBeforeJoining,
    InsufficientBalance,
    InvalidAmount,
    MemberHasOpenLoan,
    PokokAlreadyPaid,
    PokokAmountMismatch,
    WithdrawalNotAllowed,
)

ACCOUNT = products.SAVINGS_ACCOUNT
JENIS_OF_ACCOUNT = products.JENIS_OF_ACCOUNT


@dataclass(frozen=True)
class Movement:
    seq: int
    entry_id: int
    member: int
    jenis: Jenis
    amount: int
    balance: int
    date: dt.date


def check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(reason_id="harus bilangan bulat rupiah",
                            reason_en="must be a whole number of rupiah")
    if amount <= 0:
        raise InvalidAmount(reason_id="harus lebih dari nol", reason_en="must be positive")
    if amount > MAX_AMOUNT:
        raise InvalidAmount(reason_id="terlalu besar", reason_en="too large")
    return amount


def balances(session: Session, member: int, through: dt.date | None = None) -> dict[Jenis, int]:
    by_account = member_balances(session, member=member, through=through)
    return {jenis: by_account.get(code, 0) for jenis, code in ACCOUNT.items()}


def _mirror(session: Session, seq: int, member: Member, jenis: Jenis, delta: int) -> None:
    """Queues the SavingsToken mirror of one posting; a member without a wallet has nothing
    to mirror to yet (linking a wallet mints the balances then)."""
    if member.wallet_address is None:
        return
    enqueue(session, seq=seq, kind=OutboxKind.MIRROR_SAVINGS,
            data={"member": member.number, "wallet": member.wallet_address,
                  "token_id": products.token_id(jenis), "delta": delta})


# Public for the corrections package: a reversed savings posting is mirrored the same way.
mirror_movement = _mirror


def deposit(
    session: Session, *, member_number: int, jenis: Jenis, amount: int, on: dt.date,
    cash_account: str = chart.KAS, reason: str | None = None,
) -> Movement:
    amount = check_amount(amount)
    member = members.get_member(session, member_number, lock=True)
    if jenis is Jenis.POKOK:
        if member.status is not MemberStatus.CALON:
            raise PokokAlreadyPaid(number=member.number)
        rules = adart_at(session, on)  # only pokok has its amount set by the AD/ART
        if amount != rules.simpanan_pokok:
            raise PokokAmountMismatch(expected=format_rupiah(rules.simpanan_pokok))
    elif member.status is not MemberStatus.ANGGOTA:
        raise MemberNotActive(number=member.number, status=member.status.value)
    # Read before posting: the member row is locked, and the log lock is then held briefly.
    balance = balances(session, member.number)[jenis] + amount
    entry = postings.post(
        session, postings.SavingsDeposit(member.number, jenis, amount, cash_account),
        on=on, reason=reason)
    _mirror(session, entry.seq, member, jenis, amount)
    if jenis is Jenis.POKOK:
        members.admit(session, member, on=on)
    return Movement(entry.seq, entry.id, member.number, jenis, amount, balance, on)


@dataclass(frozen=True)
class DepositItem:
    """One deposit of a bulk import; `log_data` is added to its log entry (its source)."""

    member: int
    jenis: Jenis
    amount: int
    log_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Deposited:
    seq: int
    entry_id: int
    member: int
    jenis: Jenis
    amount: int


@dataclass(frozen=True)
class _Locked:
    status: MemberStatus
    joined_on: dt.date | None
    wallet: str | None


def _lock_members(session: Session, numbers: Sequence[int]) -> dict[int, _Locked]:
    """The members' rows, locked until the transaction ends (as `deposit` locks one)."""
    found: dict[int, _Locked] = {}
    ordered = sorted(set(numbers))
    for start in range(0, len(ordered), 1000):
        rows = session.execute(
            select(Member.number, Member.status, Member.joined_on, Member.wallet_address)
            .where(Member.number.in_(ordered[start : start + 1000])).with_for_update())
        found.update((number, _Locked(status, joined, wallet))
                     for number, status, joined, wallet in rows)
    return found


def _refusals(found: dict[int, _Locked], items: Sequence[DepositItem], on: dt.date
              ) -> list[KspError | None]:
    result: list[KspError | None] = []
    for item in items:
        if item.jenis is Jenis.POKOK:  # paid once on joining, with its own rules
            raise ValueError("deposit_many takes wajib and sukarela only")
        member = found.get(item.member)
        try:
            check_amount(item.amount)
            if member is None:
                raise UnknownMember(number=item.member)
            if member.status is not MemberStatus.ANGGOTA:
                raise MemberNotActive(number=item.member, status=member.status.value)
            if member.joined_on is not None and on < member.joined_on:
                raise dates.DateBeforeJoining(member=item.member,
                                              joined_on=member.joined_on.isoformat(),
                                              date=on.isoformat())
        except KspError as exc:
            result.append(exc)
        else:
            result.append(None)
    return result


def refusals(session: Session, items: Sequence[DepositItem], *, on: dt.date
             ) -> list[KspError | None]:
    """What `deposit` would refuse of each wajib or sukarela item (None: it would post),
    with the members' rows locked until the transaction ends."""
    return _refusals(_lock_members(session, [i.member for i in items]), items, on)


def deposit_many(
    session: Session, items: Sequence[DepositItem], *, on: dt.date,
    cash_account: str = chart.KAS, reason: str | None = None,
) -> list[Deposited]:
    """Many wajib/sukarela deposits, all dated `on`, in the caller's transaction: each
    checked as `deposit` checks it, each its own journal and log entry and SavingsToken
    mirror. All or nothing: the first refusal is raised (call `refusals` first to sort)."""
    found = _lock_members(session, [i.member for i in items])
    for refusal in _refusals(found, items, on):
        if refusal is not None:
            raise refusal
    posted = postings.post_many(
        session, [postings.SavingsDeposit(i.member, i.jenis, i.amount, cash_account)
                  for i in items],
        on=on, reason=reason, log_data=[i.log_data for i in items])
    for item, entry in zip(items, posted, strict=True):
        wallet = found[item.member].wallet
        if wallet is not None:
            enqueue(session, seq=entry.seq, kind=OutboxKind.MIRROR_SAVINGS,
                    data={"member": item.member, "wallet": wallet,
                          "token_id": products.token_id(item.jenis), "delta": item.amount})
    return [Deposited(p.seq, p.entry_id, i.member, i.jenis, i.amount)
            for i, p in zip(items, posted, strict=True)]


def withdraw(
    session: Session, *, member_number: int, jenis: Jenis, amount: int, on: dt.date,
    cash_account: str = chart.KAS, reason: str | None = None,
) -> Movement:
    amount = check_amount(amount)
    member = members.get_member(session, member_number, lock=True)
    if jenis is not Jenis.SUKARELA:
        raise WithdrawalNotAllowed(jenis=jenis.value)
    if member.status is not MemberStatus.ANGGOTA:
        raise MemberNotActive(number=member.number, status=member.status.value)
    # Neither on the booking date nor today may the balance go below zero.
    balance = min(balances(session, member.number, through=on)[jenis],
                  balances(session, member.number)[jenis])
    if amount > balance:
        raise InsufficientBalance(jenis=jenis.value, balance=format_rupiah(balance),
                                  amount=format_rupiah(amount))
    entry = postings.post(
        session, postings.SavingsWithdrawal(member.number, jenis, amount, cash_account),
        on=on, reason=reason)
    _mirror(session, entry.seq, member, jenis, -amount)
    return Movement(entry.seq, entry.id, member.number, jenis, amount, balance - amount, on)


def exit_member(
    session: Session, *, member_number: int, on: dt.date, cash_account: str = chart.KAS,
    reason: str | None = None,
) -> dict[Jenis, int]:
    """Returns pokok, wajib and sukarela to the leaving member, then marks them keluar."""
    member = members.get_member(session, member_number, lock=True)
    if member.status is MemberStatus.KELUAR:
        raise MemberNotActive(number=member.number, status=member.status.value)
    if member.joined_on is not None and on < member.joined_on:
        raise ExitBeforeJoining(joined_on=member.joined_on.isoformat(), date=on.isoformat())
    _refuse_open_loan(session, member.number)
    # The exit is dated like a posting, also when nothing is paid out.
    reason = dates.check_posting_date(on, today=clock.today(), reason=reason,
                                      closed_through=log.lock_head(session).closed_through)
    owed = {j: b for j, b in balances(session, member.number).items() if b > 0}
    for jenis, paid in owed.items():
        entry = postings.post(
            session, postings.SavingsPayout(member.number, jenis, paid, cash_account),
            on=on, reason=reason)
        _mirror(session, entry.seq, member, jenis, -paid)
    members.mark_exited(session, member, on=on, reason=reason)
    return owed


# Loans paid out and not ended (lunas, written off, restructured) are owed; an application
# or an offer not yet paid out does not hold up an exit (it is refused at approval or
# disbursement once the member has left).
LOAN_OPEN = (LoanStatus.AKTIF, LoanStatus.MACET)


def _refuse_open_loan(session: Session, member_number: int) -> None:
    """A member leaves only once every loan paid out to them has ended: the exit pays the
    savings out, which the cooperative would otherwise net against the loan."""
    loan = session.scalars(select(Loan).where(Loan.member_number == member_number,
                                              Loan.status.in_(LOAN_OPEN))
                           .order_by(Loan.id)).first()
    if loan is None:
        return
    repaid = session.scalar(select(func.coalesce(func.sum(LoanRepayment.pokok), 0))
                            .where(LoanRepayment.loan_id == loan.id))
    outstanding = loan.principal - int(repaid or 0)
    raise MemberHasOpenLoan(number=member_number, loan_id=loan.id, status=loan.status.value,
                            outstanding=format_rupiah(outstanding))


@dataclass(frozen=True)
class StatementLine:
    seq: int
    date: dt.date
    jenis: Jenis
    kind: str
    deposit: int
    withdrawal: int
    balance: int


def statement(session: Session, *, member_number: int) -> list[StatementLine]:
    """Every savings movement of the member by posting date, then seq (a backdated entry
    sits at its date, not where it was typed), with the running balance per jenis in that
    order."""
    members.get_member(session, member_number)
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.entry_date, JournalEntry.kind,
               JournalLine.account_code, JournalLine.side, JournalLine.amount)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(JournalLine.member_number == member_number,
               JournalLine.account_code.in_(list(ACCOUNT.values())))
        .order_by(JournalEntry.entry_date, JournalEntry.seq, JournalLine.id)
    )
    running = dict.fromkeys(Jenis, 0)
    lines = []
    for seq, date, kind, code, side, amount in rows:
        jenis = JENIS_OF_ACCOUNT[code]
        is_deposit = side == "C"  # savings are credit-normal (equity or liability)
        running[jenis] += amount if is_deposit else -amount
        lines.append(StatementLine(seq, date, jenis, kind, amount if is_deposit else 0,
                                   0 if is_deposit else amount, running[jenis]))
    return lines


@dataclass(frozen=True)
class WajibArrears:
    months_due: int
    amount_due: int
    paid: int

    @property
    def arrears(self) -> int:
        return max(self.amount_due - self.paid, 0)


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from `start`'s month through `end`."""
    months, current = [], dt.date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        if current.year == dt.MAXYEAR and current.month == 12:
            break
        current = dt.date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def wajib_arrears(session: Session, *, member_number: int, as_of: dt.date) -> WajibArrears:
    """Wajib is due for every month from the joining month through `as_of`, at the amount
    the AD/ART set for that month; arrears are what is due minus what was paid."""
    member = members.get_member(session, member_number)
    if member.joined_on is None:
        return WajibArrears(0, 0, 0)
    end = min(as_of, member.exited_on) if member.exited_on else as_of
    months = month_starts(member.joined_on, end)
    timeline = adart_timeline(session)
    due = sum(adart_on(timeline, month).simpanan_wajib for month in months)
    paid = sum(
        line.deposit for line in statement(session, member_number=member_number)
        if line.jenis is Jenis.WAJIB and line.date <= as_of
    )
    return WajibArrears(len(months), due, paid)
