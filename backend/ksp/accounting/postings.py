"""Posting rules: pure functions from one domain event to one journal entry's kind, memo
and legs. `post` hands the result to the ledger, the only writer.

Adding an event is its dataclass (added to `Event`), its accounts in
`products.ACCOUNT_MAP`, and one function registered on `posting_for`.

Loans post on a cash basis for income: jasa and denda become income when paid (an unpaid
penalty is no income; the daily close tracks it on the loan), the admin fee when the loan is
disbursed. Where the money comes from or goes: the cash account (the product's sumber_dana
when none is named) or, with `via_sukarela`, the member's simpanan sukarela."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import singledispatch
from typing import Any

from sqlalchemy.orm import Session

from ksp.accounting.products import (
    LOAN_PRODUCT,
    SAVINGS_ACCOUNT,
    SHU_PRODUCT,
    AccountRole,
    Jenis,
    account_for,
    savings_product,
)
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


@dataclass(frozen=True)
class LoanDisbursement:
    """The loan paid out: the member owes `principal`; the admin fee is income now, taken
    from what is paid out (the member receives principal - admin_fee)."""

    member: int
    loan_id: int
    principal: int
    admin_fee: int
    via_sukarela: bool = False
    cash_account: str | None = None


@dataclass(frozen=True)
class LoanRepayment:
    """One repayment as allocated: denda and jasa are income, pokok reduces the loan."""

    member: int
    loan_id: int
    denda: int
    jasa: int
    pokok: int
    via_sukarela: bool = False
    cash_account: str | None = None


@dataclass(frozen=True)
class LoanProvision:
    """A change of the allowance for loan losses (CKPN): positive adds to it (an expense),
    negative releases it."""

    delta: int


@dataclass(frozen=True)
class LoanWriteOff:
    """Hapus buku: the outstanding leaves the books, first against the allowance
    (`from_allowance`), the rest as an expense now."""

    member: int
    loan_id: int
    amount: int
    from_allowance: int


@dataclass(frozen=True)
class LoanRecovery:
    """Money collected on a written-off loan: income (pemulihan)."""

    member: int
    loan_id: int
    amount: int
    cash_account: str | None = None


@dataclass(frozen=True)
class YearClosing:
    """Tutup buku: every income and expense account's balance for the fiscal year (signed
    by its normal side) moves into SHU tahun berjalan."""

    fiscal_year: int
    income: tuple[tuple[str, int], ...]  # (account, balance)
    expense: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ShuAllocation:
    """The approved split posted: SHU tahun berjalan into the pools; the members' part
    into utang SHU anggota (settled member by member next), what no member could take
    into selisih pembulatan."""

    fiscal_year: int
    shu: int
    pools: tuple[tuple[str, int], ...]  # (pool of ksp.shu.calc.POOLS, rupiah), not jasa anggota
    members_total: int
    remainder: int


@dataclass(frozen=True)
class ShuMemberSettlement:
    """One member's share out of utang SHU anggota: to their sukarela or wajib, or kept as
    their own payable (settlement "tunai")."""

    fiscal_year: int
    member: int
    amount: int
    settlement: str  # ksp.shu.calc.Settlement


Event = (SavingsDeposit | SavingsWithdrawal | SavingsPayout | LoanDisbursement | LoanRepayment
         | LoanProvision | LoanWriteOff | LoanRecovery | YearClosing | ShuAllocation
         | ShuMemberSettlement)


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


def _loan(role: AccountRole) -> str:
    return account_for(LOAN_PRODUCT, role)


def _member_money(member: int, via_sukarela: bool, cash_account: str | None
                  ) -> tuple[str, int | None]:
    """Where a loan's money moves: the member's sukarela, or a cash/bank account."""
    if via_sukarela:
        return SAVINGS_ACCOUNT[Jenis.SUKARELA], member
    return _cash(LOAN_PRODUCT, cash_account), None


def _legs(*legs: Leg) -> tuple[Leg, ...]:
    return tuple(leg for leg in legs if leg.amount > 0)  # a zero part is no leg


@posting_for.register
def _disbursement(event: LoanDisbursement) -> Posting:
    paid_to, owner = _member_money(event.member, event.via_sukarela, event.cash_account)
    return Posting(
        kind="pinjaman.cair", memo=f"Pencairan pinjaman #{event.loan_id}",
        legs=_legs(debit(_loan(AccountRole.PIUTANG_POKOK), event.principal, event.member),
                   credit(paid_to, event.principal - event.admin_fee, owner),
                   credit(_loan(AccountRole.PENDAPATAN_PROVISI), event.admin_fee)))


@posting_for.register
def _repayment(event: LoanRepayment) -> Posting:
    paid_from, owner = _member_money(event.member, event.via_sukarela, event.cash_account)
    total = event.denda + event.jasa + event.pokok
    return Posting(
        kind="pinjaman.angsur", memo=f"Angsuran pinjaman #{event.loan_id}",
        legs=_legs(debit(paid_from, total, owner),
                   credit(_loan(AccountRole.PENDAPATAN_DENDA), event.denda),
                   credit(_loan(AccountRole.PENDAPATAN_JASA), event.jasa),
                   credit(_loan(AccountRole.PIUTANG_POKOK), event.pokok, event.member)))


@posting_for.register
def _provision(event: LoanProvision) -> Posting:
    expense, allowance = _loan(AccountRole.BEBAN_PENYISIHAN), _loan(AccountRole.CADANGAN_KERUGIAN)
    if event.delta >= 0:
        legs = (debit(expense, event.delta), credit(allowance, event.delta))
    else:
        legs = (debit(allowance, -event.delta), credit(expense, -event.delta))
    return Posting(kind="pinjaman.penyisihan", memo="Penyisihan kerugian piutang (CKPN)",
                   legs=legs)


@posting_for.register
def _write_off(event: LoanWriteOff) -> Posting:
    return Posting(
        kind="pinjaman.hapus_buku", memo=f"Hapus buku pinjaman #{event.loan_id}",
        legs=_legs(debit(_loan(AccountRole.CADANGAN_KERUGIAN), event.from_allowance),
                   debit(_loan(AccountRole.BEBAN_PENYISIHAN),
                         event.amount - event.from_allowance),
                   credit(_loan(AccountRole.PIUTANG_POKOK), event.amount, event.member)))


@posting_for.register
def _recovery(event: LoanRecovery) -> Posting:
    return Posting(
        kind="pinjaman.pemulihan", memo=f"Pemulihan pinjaman hapus buku #{event.loan_id}",
        legs=(debit(_cash(LOAN_PRODUCT, event.cash_account), event.amount),
              credit(_loan(AccountRole.PEMULIHAN), event.amount)))


def _shu(role: AccountRole) -> str:
    return account_for(SHU_PRODUCT, role)


@posting_for.register
def _year_closing(event: YearClosing) -> Posting:
    legs: list[Leg] = []
    for code, balance in event.income:
        legs.append(debit(code, balance) if balance > 0 else credit(code, -balance))
    for code, balance in event.expense:
        legs.append(credit(code, balance) if balance > 0 else debit(code, -balance))
    net = sum(b for _, b in event.income) - sum(b for _, b in event.expense)
    result = _shu(AccountRole.SHU_TAHUN_BERJALAN)
    legs.append(credit(result, net) if net > 0 else debit(result, -net))
    return Posting(kind="tutup_buku", memo=f"Tutup buku tahun {event.fiscal_year}",
                   legs=_legs(*legs))


# The account of each pool but jasa anggota (which goes to utang SHU anggota).
POOL_ROLE = {"cadangan": AccountRole.CADANGAN, "pengurus": AccountRole.DANA_PENGURUS,
             "karyawan": AccountRole.DANA_KARYAWAN, "pendidikan": AccountRole.DANA_PENDIDIKAN,
             "sosial": AccountRole.DANA_SOSIAL,
             "pembangunan_daerah": AccountRole.DANA_PEMBANGUNAN_DAERAH}


@posting_for.register
def _shu_allocation(event: ShuAllocation) -> Posting:
    return Posting(
        kind="shu.bagi", memo=f"Pembagian SHU tahun {event.fiscal_year}",
        legs=_legs(debit(_shu(AccountRole.SHU_TAHUN_BERJALAN), event.shu),
                   *(credit(_shu(POOL_ROLE[name]), amount) for name, amount in event.pools),
                   credit(_shu(AccountRole.UTANG_SHU), event.members_total),
                   credit(_shu(AccountRole.SELISIH_PEMBULATAN), event.remainder)))


@posting_for.register
def _shu_member(event: ShuMemberSettlement) -> Posting:
    payable = _shu(AccountRole.UTANG_SHU)
    to = {"sukarela": SAVINGS_ACCOUNT[Jenis.SUKARELA], "wajib": SAVINGS_ACCOUNT[Jenis.WAJIB],
          "tunai": payable}[event.settlement]
    return Posting(
        kind="shu.anggota", memo=f"SHU tahun {event.fiscal_year} ({event.settlement})",
        legs=(debit(payable, event.amount), credit(to, event.amount, event.member)))


def log_data_of(event: Event) -> dict[str, Any]:
    """What an event's log entry carries besides its lines: a loan event names its loan, so
    an auditor can match the log's repayments with the chain's by loan and seq."""
    loan_id = getattr(event, "loan_id", None)
    return {"loan_id": loan_id} if loan_id is not None else {}


def post(session: Session, event: Event, *, on: dt.date, reason: str | None = None
         ) -> JournalEntry:
    """Posts the event's entry, dated `on`, through the ledger in the caller's transaction
    (`reason`: why it is backdated, required by the date rules when `on` is past)."""
    posting = posting_for(event)
    return journal.post(session, entry_date=on, kind=posting.kind, memo=posting.memo,
                        legs=posting.legs, reason=reason, log_data=log_data_of(event))


def post_many(session: Session, events: Sequence[Event], *, on: dt.date,
              reason: str | None = None,
              log_data: Sequence[dict[str, Any]] | None = None) -> list[batch.Posted]:
    """Posts many events, all dated `on`, each its own entry, in the caller's transaction
    (bulk imports); `log_data[i]` adds to event i's log entry."""
    extra = log_data if log_data is not None else [{}] * len(events)
    entries = []
    for event, more in zip(events, extra, strict=True):
        posting = posting_for(event)
        entries.append(batch.NewEntry(posting.kind, posting.memo, posting.legs,
                                      log_data_of(event) | more))
    return batch.post_many(session, entry_date=on, entries=entries, reason=reason)
