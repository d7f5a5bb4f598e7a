"""The year end: closing the books, the SHU simulation and proposal, the distribution after
the RAT, and each member's SHU line. Owns the transactions' content; the ledger posts.

Rules chosen here (docs/SHU.md):
- Fiscal year Y runs from the first day of the AD/ART's `fiscal_year_start_month` in
  calendar year Y (the AD/ART in force on 1 January of Y) for twelve months.
- Years close in order: closing refuses a year while income or expense from before it is
  still unclosed (`earlier_year_not_closed`).
- Closing refuses a year whose posted allowance for loan losses (CKPN) is below what the
  loans as last classified by the daily close require at the year end (`provisions_not_posted`).
- The members of a year are those who joined on or before its last day and had not left by
  then; their jasa modal base is pokok + wajib, as rupiah-days over the year (the average
  basis: the average daily balance times the days, so the proportions are the same) or the
  balance on the last day; their jasa usaha base is the jasa of their loan repayments paid in
  the year (`loan_repayments`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import rfc8785
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.accounting import postings
from ksp.accounting.products import Jenis
from ksp.coop.adart import SavingsBasis
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.db import table_of
from ksp.core.money import round_half_up
from ksp.ledger import batch, chart, dates, journal, log
from ksp.ledger.models import AccountType, JournalEntry, JournalLine, LogEntry, Side
from ksp.ledger.reports import trial_balance
from ksp.loans.models import Loan, LoanRepayment, LoanStatus
from ksp.loans.quality import Kolektibilitas, provision_required
from ksp.members.models import Member
from ksp.savings import service as savings
from ksp.shu import calc
from ksp.shu.calc import MemberInput, Settlement
from ksp.shu.errors import (
    EarlierYearNotClosed,
    NothingToDistribute,
    ProvisionsNotPosted,
    SameCalculatorAndApprover,
    ShuAlreadyDistributed,
    ShuAlreadyProposed,
    ShuApprovalMismatch,
    ShuApprovalNotAnchored,
    ShuLineNotFound,
    ShuNotApproved,
    ShuNotProposed,
    YearAlreadyClosed,
    YearNotClosed,
    YearNotEnded,
)
from ksp.shu.gate import anchored, approved_split, latest_result
from ksp.shu.models import ShuMemberLine, ShuYear

LINE_KIND = "journal.shu.anggota"  # each member's SHU line in the log
ALLOCATION_KIND = "journal.shu.bagi"
# Member entries per ledger call: the member check's IN list stays far below the
# 65,535 parameters PostgreSQL takes in one statement.
POST_CHUNK = 10_000


def fiscal_year_bounds(session: Session, year: int) -> tuple[dt.date, dt.date]:
    """(first day, last day) of fiscal year `year`."""
    dates.check_range(dt.date(year, 1, 1), "tahun")
    month = adart_at(session, dt.date(year, 1, 1)).fiscal_year_start_month
    since = dt.date(year, month, 1)
    following = dt.date(year + 1, month, 1)
    return since, following - dt.timedelta(days=1)


# --- closing ---------------------------------------------------------------------------


def provisions(session: Session, through: dt.date) -> tuple[int, int]:
    """(required, posted) allowance for loan losses on `through`: every loan disbursed by
    then, its outstanding pokok on that day at the class the daily close last gave it."""
    repaid = dict(session.execute(
        select(LoanRepayment.loan_id, func.sum(LoanRepayment.pokok))
        .where(LoanRepayment.paid_on <= through).group_by(LoanRepayment.loan_id)).all())
    required = 0
    for loan in session.scalars(select(Loan).where(Loan.disbursed_on <= through)):
        if loan.status is LoanStatus.DIHAPUSBUKUKAN and loan.closed_on is not None \
                and loan.closed_on <= through:
            continue
        outstanding = loan.principal - int(repaid.get(loan.id) or 0)
        if outstanding > 0:
            required += provision_required(outstanding, Kolektibilitas(loan.kolektibilitas))
    allowance = next((row for row in trial_balance(session, through=through)
                      if row.code == chart.CADANGAN_KERUGIAN_PIUTANG), None)
    posted = -allowance.balance if allowance is not None else 0  # a contra asset
    return required, posted


def close_year(session: Session, year: int) -> ShuYear:
    """Tutup buku (SAK EP): one entry dated the year's last day moves every income and
    expense balance of the year into SHU tahun berjalan; then the books are closed through
    that day (#6). A year reopened by the #6 rules closes again the same way (the entry
    moves what was posted meanwhile)."""
    since, through = fiscal_year_bounds(session, year)
    today = clock.today()
    if through >= today:
        raise YearNotEnded(year=year, through=through.isoformat())
    head = log.lock_head(session)
    row = session.get(ShuYear, year)
    if row is not None and (row.distribution_seq is not None or (
            head.closed_through is not None and head.closed_through >= through)):
        raise YearAlreadyClosed(year=year, seq=row.closing_seq)
    before = trial_balance(session, through=since - dt.timedelta(days=1))
    if any(r.balance for r in before if r.type in (AccountType.INCOME, AccountType.EXPENSE)):
        raise EarlierYearNotClosed(since=since.isoformat())
    required, posted = provisions(session, through)
    if posted < required:
        raise ProvisionsNotPosted(required=required, posted=posted, through=through.isoformat())
    balances = trial_balance(session, through=through, since=since)
    event = postings.YearClosing(
        fiscal_year=year,
        income=tuple((r.code, r.balance) for r in balances
                     if r.type is AccountType.INCOME and r.balance),
        expense=tuple((r.code, r.balance) for r in balances
                      if r.type is AccountType.EXPENSE and r.balance))
    net = sum(b for _, b in event.income) - sum(b for _, b in event.expense)
    details = {"fiscal_year": year, "since": since.isoformat(), "through": through.isoformat(),
               "shu": net}
    posting = postings.posting_for(event)
    if posting.legs:
        entry = journal.post(session, entry_date=through, kind=posting.kind, memo=posting.memo,
                             legs=posting.legs, reason=f"Tutup buku tahun {year}",
                             log_data=details)
        seq = entry.seq
    else:  # nothing earned or spent: the closing is still on the log
        seq = log.append(session, "shu.tutup_buku", details).seq
    journal.close_period(session, through=through)
    if row is None:
        row = ShuYear(fiscal_year=year, since=since, through=through, shu=net, closing_seq=seq)
        session.add(row)
    else:
        row.shu, row.closing_seq = row.shu + net, seq
    session.flush()
    return row


def closed_year(session: Session, year: int) -> ShuYear:
    fiscal_year_bounds(session, year)  # the range check
    row = session.get(ShuYear, year)
    if row is None:
        raise YearNotClosed(year=year)
    return row


# --- inputs of the year ----------------------------------------------------------------


@dataclass(frozen=True)
class MemberBase:
    input: MemberInput
    savings_year_end: int
    savings_rupiah_days: int


def year_inputs(session: Session, row: ShuYear) -> tuple[SavingsBasis, list[MemberBase]]:
    """Every member of the year with their jasa modal and jasa usaha bases."""
    basis = adart_at(session, row.through).shu_savings_basis
    since, through = row.since, row.through
    days = (through - since).days + 1
    numbers = list(session.scalars(
        select(Member.number).where(Member.joined_on <= through)
        .where((Member.exited_on.is_(None)) | (Member.exited_on > through))
        .order_by(Member.number)))
    opening: dict[int, int] = defaultdict(int)
    balance_days: dict[int, int] = defaultdict(int)
    deltas = session.execute(
        select(JournalLine.member_number, JournalEntry.entry_date, JournalLine.side,
               func.sum(JournalLine.amount))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_code.in_([chart.SIMPANAN_POKOK, chart.SIMPANAN_WAJIB]))
        .where(JournalLine.member_number.is_not(None))
        .where(JournalEntry.entry_date <= through)
        .group_by(JournalLine.member_number, JournalEntry.entry_date, JournalLine.side))
    year_end: dict[int, int] = defaultdict(int)
    for number, on, side, amount in deltas:
        member = int(number or 0)  # the query keeps member lines only
        signed = int(amount) if side == Side.CREDIT else -int(amount)  # equity: credit-normal
        year_end[member] += signed
        if on < since:
            opening[member] += signed
        else:  # held from that day through the last day of the year
            balance_days[member] += signed * ((through - on).days + 1)
    interest = dict(session.execute(
        select(Loan.member_number, func.sum(LoanRepayment.jasa))
        .join(Loan, Loan.id == LoanRepayment.loan_id)
        .where(LoanRepayment.paid_on >= since, LoanRepayment.paid_on <= through)
        .group_by(Loan.member_number)).all())
    bases = []
    for number in numbers:
        rupiah_days = opening[number] * days + balance_days[number]
        savings_base = rupiah_days if basis is SavingsBasis.AVERAGE else year_end[number]
        bases.append(MemberBase(
            MemberInput(number, max(savings_base, 0), int(interest.get(number) or 0)),
            savings_year_end=year_end[number], savings_rupiah_days=rupiah_days))
    return basis, bases


# --- simulation and proposal -----------------------------------------------------------


@dataclass(frozen=True)
class MemberShare:
    base: MemberBase
    share: int
    exact: str  # the formula before rounding, e.g. "12345.67"
    reasons: list[tuple[str, str]]


@dataclass(frozen=True)
class Simulation:
    row: ShuYear
    basis: SavingsBasis
    days: int
    allocation: calc.Allocation
    members: list[MemberShare]
    figures: dict[str, Any]
    figures_hash: str


def _decimal(value: Fraction) -> str:
    """An exact share shown to the sen (display only; the rupiah come from the allocation)."""
    cents = round_half_up(value * 100)
    return f"{cents // 100}.{cents % 100:02d}"


def simulate(session: Session, year: int, *, split: dict[str, int] | None = None,
             jasa_usaha_bps: int | None = None, settlement: Settlement | None = None
             ) -> Simulation:
    """The SHU of a closed year under a split: given, or the proposal's, or the AD/ART's."""
    row = closed_year(session, year)
    proposal = json.loads(row.figures) if row.figures else None
    adart = adart_at(session, row.through)
    if split is None:
        split = proposal["split"] if proposal else adart.shu_split.model_dump()
    if jasa_usaha_bps is None:
        jasa_usaha_bps = proposal["jasa_usaha_bps"] if proposal else adart.shu_jasa_usaha_bps
    if settlement is None:
        settlement = Settlement(proposal["settlement"]) if proposal else Settlement.SUKARELA
    pools = calc.pools_of(row.shu, split, jasa_usaha_bps)
    basis, bases = year_inputs(session, row)
    allocation = calc.allocate(pools, [b.input for b in bases])
    members = []
    for base in bases:
        share = allocation.shares[base.input.member]
        sen = calc.exact_sen(pools, allocation.vuk, allocation.tms, base.input)
        members.append(MemberShare(base, share, f"{sen // 100}.{sen % 100:02d}",
                                   calc.zero_reasons(row.shu, base.input, share)))
    values = calc.figures(fiscal_year=year, pools=pools, settlement=settlement)
    return Simulation(row=row, basis=basis, days=(row.through - row.since).days + 1,
                      allocation=allocation, members=members, figures=values,
                      figures_hash=calc.figures_hash(values))


def propose(session: Session, year: int, *, actor: str, split: dict[str, int] | None,
            jasa_usaha_bps: int | None, settlement: Settlement) -> Simulation:
    """The pengurus's proposal for the RAT's SHU agenda item: its figures and their hash
    go on the log; who made it is the calculator of the maker-checker."""
    log.lock_head(session)  # one proposal at a time
    row = closed_year(session, year)
    if row.proposal_seq is not None:
        # A new proposal only after the RAT turned the last one down (ditolak, no quorum):
        # the meeting then needs figures it can approve.
        decided = latest_result(session, year)
        if decided is None or decided.approved or decided.seq < row.proposal_seq:
            raise ShuAlreadyProposed(year=year, seq=row.proposal_seq)
    simulation = simulate(session, year, split=split, jasa_usaha_bps=jasa_usaha_bps,
                          settlement=settlement)
    appended = log.append(session, "shu.usulan", {
        "fiscal_year": year, "figures": simulation.figures,
        "figures_hash": simulation.figures_hash, "proposed_by": actor})
    row.proposed_by, row.proposal_seq = actor, appended.seq
    row.figures = rfc8785.dumps(simulation.figures).decode()
    row.figures_hash = simulation.figures_hash
    session.flush()
    return simulation


# --- distribution ----------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    fiscal_year: int
    seq: int  # the allocation entry
    rat_seq: int
    pools: calc.Pools
    members_total: int
    remainder: int
    lines: int
    settlement: Settlement


def distribute(session: Session, year: int, *, actor: str) -> Distribution:
    """Posts the SHU of a closed year exactly as the RAT approved it (module doc)."""
    log.lock_head(session)  # serialises two distributions of the same year
    row = closed_year(session, year)
    if row.distribution_seq is not None:
        raise ShuAlreadyDistributed(year=year, seq=row.distribution_seq)
    if row.proposed_by is None:
        raise ShuNotProposed(year=year)
    approved = approved_split(session, year)
    if approved is None:
        raise ShuNotApproved(year=year)
    if not anchored(session, approved.seq):
        raise ShuApprovalNotAnchored(year=year, seq=approved.seq)
    if actor == row.proposed_by:
        raise SameCalculatorAndApprover(proposed_by=row.proposed_by)
    # The RAT approved an agenda item built from the proposal: its figures hash to what it
    # recorded, and that hash is the proposal's (so the percentages are the proposal's).
    if (approved.figures_hash is None
            or calc.figures_hash(approved.figures) != approved.figures_hash):
        raise ShuApprovalMismatch(seq=approved.seq, year=year,
                                  reason_id="angka hasil RAT tidak sesuai hash-nya",
                                  reason_en="the RAT result's figures do not match their hash")
    if approved.figures_hash != row.figures_hash:
        raise ShuApprovalMismatch(seq=approved.seq, year=year,
                                  reason_id="RAT memutus usulan lain (hash angka berbeda)",
                                  reason_en="the RAT decided on another proposal (the figures "
                                            "hash differs)")
    split = calc.check_split(approved.split)
    if not 0 <= approved.jasa_usaha_bps <= calc.BPS:
        raise ShuApprovalMismatch(seq=approved.seq, year=year,
                                  reason_id="porsi jasa usaha di luar 0..10.000 bps",
                                  reason_en="jasa usaha share outside 0..10,000 bps")
    if approved.shu != row.shu:
        raise ShuApprovalMismatch(seq=approved.seq, year=year,
                                  reason_id=f"SHU disetujui {approved.shu}, buku {row.shu}",
                                  reason_en=f"approved SHU {approved.shu}, books {row.shu}")
    try:
        settlement = Settlement(approved.settlement or json.loads(row.figures or "{}")
                                .get("settlement", Settlement.SUKARELA))
    except ValueError:
        raise ShuApprovalMismatch(seq=approved.seq, year=year,
                                  reason_id=f"penyelesaian tidak dikenal: {approved.settlement}",
                                  reason_en=f"unknown settlement: {approved.settlement}"
                                  ) from None
    if row.shu <= 0:
        raise NothingToDistribute(year=year, shu=row.shu)
    simulation = simulate(session, year, split=split, jasa_usaha_bps=approved.jasa_usaha_bps,
                          settlement=settlement)
    allocation, pools = simulation.allocation, simulation.allocation.pools
    today = clock.today()
    summary = {"fiscal_year": year, "pools": pools.to_json(), "vuk": allocation.vuk,
               "tms": allocation.tms, "members_total": allocation.members_total,
               "remainder": allocation.remainder, "rat_seq": approved.seq,
               "savings_basis": simulation.basis.value, "settlement": settlement.value,
               "proposed_by": row.proposed_by, "approved_by": actor}
    posted = postings.post_many(session, [postings.ShuAllocation(
        fiscal_year=year, shu=row.shu,
        pools=tuple((name, amount) for name, amount in pools.amounts.items()
                    if name != "jasa_anggota"),
        members_total=allocation.members_total, remainder=allocation.remainder)],
        on=today, log_data=[summary])[0]
    paid = [m for m in simulation.members if m.share > 0]
    common = {"fiscal_year": year, "settlement": settlement.value,
              "savings_basis": simulation.basis.value, "vuk": allocation.vuk,
              "tms": allocation.tms, "jasa_usaha": pools.jasa_usaha,
              "jasa_modal": pools.jasa_modal, "pools": pools.amounts, "split": pools.split,
              "jasa_usaha_bps": pools.jasa_usaha_bps, "rat_seq": approved.seq,
              "allocation_seq": posted.seq}
    lines: list[batch.Posted] = []
    for start in range(0, len(paid), POST_CHUNK):  # one transaction, bounded statements
        chunk = paid[start:start + POST_CHUNK]
        lines += postings.post_many(
            session,
            [postings.ShuMemberSettlement(year, m.base.input.member, m.share, settlement.value)
             for m in chunk],
            on=today,
            log_data=[{"shu": {**common, "member": m.base.input.member, "amount": m.share,
                               "savings_base": m.base.input.savings_base,
                               "interest_paid": m.base.input.interest_paid}} for m in chunk])
    batch.insert_rows(session, table_of(ShuMemberLine), [
        {"fiscal_year": year, "member_number": m.base.input.member, "amount": m.share,
         "settlement": settlement.value, "seq": line.seq}
        for m, line in zip(paid, lines, strict=True)])
    if settlement is not Settlement.TUNAI:
        jenis = Jenis.SUKARELA if settlement is Settlement.SUKARELA else Jenis.WAJIB
        wallets = {m.number: m for m in session.scalars(
            select(Member).where(Member.wallet_address.is_not(None)))}
        for m, line in zip(paid, lines, strict=True):
            member = wallets.get(m.base.input.member)
            if member is not None:
                savings.mirror_movement(session, line.seq, member, jenis, m.share)
    row.distributed_by, row.distribution_seq = actor, posted.seq
    session.flush()
    return Distribution(fiscal_year=year, seq=posted.seq, rat_seq=approved.seq, pools=pools,
                        members_total=allocation.members_total,
                        remainder=allocation.remainder, lines=len(paid),
                        settlement=settlement)


# --- a member's SHU --------------------------------------------------------------------


@dataclass(frozen=True)
class MemberShu:
    member: int
    fiscal_year: int
    amount: int
    seq: int | None  # the SHU line's log entry (None: no share)
    inputs: dict[str, Any]
    recomputed: str  # the formula from the inputs, before rounding
    reasons: list[tuple[str, str]]


def member_shu(session: Session, *, member: int, year: int) -> MemberShu:
    """A member's SHU of a distributed year with the inputs to recompute it."""
    row = closed_year(session, year)
    if row.distribution_seq is None:
        raise ShuLineNotFound(member=member, year=year)
    line = session.get(ShuMemberLine, (year, member))
    if line is not None:
        payload = session.scalar(select(LogEntry.payload).where(LogEntry.seq == line.seq))
        inputs = json.loads(payload or "{}")["data"]["shu"]
        recomputed = recompute(inputs)
        return MemberShu(member, year, line.amount, line.seq, inputs, _decimal(recomputed), [])
    _basis, bases = year_inputs(session, row)
    base = next((b for b in bases if b.input.member == member), None)
    if base is None:
        raise ShuLineNotFound(member=member, year=year)
    inputs = {"savings_base": base.input.savings_base,
              "interest_paid": base.input.interest_paid}
    return MemberShu(member, year, 0, None, inputs, "0.00",
                     calc.zero_reasons(row.shu, base.input, 0))


def recompute(inputs: dict[str, Any]) -> Fraction:
    """SHU_a from a line's own inputs (what the member page and the auditor do)."""
    pools = calc.Pools(shu=0, split=inputs["split"], jasa_usaha_bps=inputs["jasa_usaha_bps"],
                       amounts=inputs["pools"], jasa_usaha=inputs["jasa_usaha"],
                       jasa_modal=inputs["jasa_modal"])
    return calc.exact_share(pools, inputs["vuk"], inputs["tms"], MemberInput(
        inputs["member"], inputs["savings_base"], inputs["interest_paid"]))
