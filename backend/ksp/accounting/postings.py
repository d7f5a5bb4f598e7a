"""Posting rules: pure functions from one domain event to one journal entry's kind, memo
and legs. `post` hands the result to the ledger, the only writer.

Adding an event (LoanDisbursement, LoanRepayment, ProvisionPosted, WriteOff, Recovery,
ShuDistribution) is its dataclass (added to `Event`), its accounts in `products.ACCOUNT_MAP`,
and one function registered on `posting_for`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import singledispatch
from typing import Any

from sqlalchemy.orm import Session

from ksp.accounting.products import AccountRole, Jenis, account_for, savings_product
from ksp.ledger import batch, journal
from ksp.ledger.journal import Leg, credit, debit
from ksp.ledger.models import JournalEntry


@dataclass(frozen=True)
class Posting:
    kind: str
    memo: str
    legs: tuple[Leg, ...]


@dataclass(frozen=True)
class SavingsDeposit:
    member: int
    jenis: Jenis
    amount: int
    cash_account: str | None = None  # None: the product's sumber_dana


@dataclass(frozen=True)
class SavingsWithdrawal:
    member: int
    jenis: Jenis
    amount: int
    cash_account: str | None = None


@dataclass(frozen=True)
class SavingsPayout:
    """One jenis paid back to a member who leaves the cooperative."""

    member: int
    jenis: Jenis
    amount: int
    cash_account: str | None = None


Event = SavingsDeposit | SavingsWithdrawal | SavingsPayout


def _cash(product: str, cash_account: str | None) -> str:
    return cash_account if cash_account is not None else account_for(product, AccountRole.FUNDING)


@singledispatch
def posting_for(event: object) -> Posting:
    raise TypeError(f"no posting rule for {type(event).__name__}")


@posting_for.register
def _deposit(event: SavingsDeposit) -> Posting:
    product = savings_product(event.jenis)
    return Posting(
        kind=f"{product}.setor", memo=f"Setoran simpanan {event.jenis.value}",
        legs=(debit(_cash(product, event.cash_account), event.amount),
              credit(account_for(product, AccountRole.SIMPANAN), event.amount, event.member)))


@posting_for.register
def _withdrawal(event: SavingsWithdrawal) -> Posting:
    product = savings_product(event.jenis)
    return Posting(
        kind=f"{product}.tarik", memo=f"Penarikan simpanan {event.jenis.value}",
        legs=(debit(account_for(product, AccountRole.SIMPANAN), event.amount, event.member),
              credit(_cash(product, event.cash_account), event.amount)))


@posting_for.register
def _payout(event: SavingsPayout) -> Posting:
    product = savings_product(event.jenis)
    return Posting(
        kind=f"{product}.kembali",
        memo=f"Pengembalian simpanan {event.jenis.value} anggota keluar",
        legs=(debit(account_for(product, AccountRole.SIMPANAN), event.amount, event.member),
              credit(_cash(product, event.cash_account), event.amount)))


def post(session: Session, event: Event, *, on: dt.date, reason: str | None = None
         ) -> JournalEntry:
    """Posts the event's entry, dated `on`, through the ledger in the caller's transaction
    (`reason`: why it is backdated, required by the date rules when `on` is past)."""
    posting = posting_for(event)
    return journal.post(session, entry_date=on, kind=posting.kind, memo=posting.memo,
                        legs=posting.legs, reason=reason)


def post_many(session: Session, events: Sequence[Event], *, on: dt.date,
              reason: str | None = None,
              log_data: Sequence[dict[str, Any]] | None = None) -> list[batch.Posted]:
    """Posts many events, all dated `on`, each its own entry, in the caller's transaction
    (bulk imports); `log_data[i]` adds to event i's log entry."""
    extra = log_data if log_data is not None else [{}] * len(events)
    entries = []
    for event, more in zip(events, extra, strict=True):
        posting = posting_for(event)
        entries.append(batch.NewEntry(posting.kind, posting.memo, posting.legs, more))
    return batch.post_many(session, entry_date=on, entries=entries, reason=reason)
