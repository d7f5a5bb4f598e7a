"""A loan's life: application, assessment, maker-checker approval, the agreement and its hash,
the member's signed acceptance, disbursement and repayments.

Service functions take the caller's session (the route's Writer owns the transaction). Every
step is a log entry naming who took it; money moves only through `ksp.accounting.postings`;
chain writes are outbox rows (docs/LOAN_PROCESS.md)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.accounting import postings
from ksp.accounting.products import Jenis
from ksp.anchoring.merkle import keccak256
from ksp.auth.models import Role
from ksp.chain import loan_terms
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus, enqueue
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.errors import InvalidInput
from ksp.core.money import MAX_AMOUNT, format_rupiah
from ksp.ledger import chart, log
from ksp.ledger.models import JournalLine
from ksp.ledger.reports import balance_sheet, member_balances
from ksp.loans import scoring
from ksp.loans.allocation import Due, allocate
from ksp.loans.errors import (
    AboveBmpp,
    AcceptanceDeadlineInvalid,
    AcceptanceSignerMismatch,
    AlreadyDecided,
    ApproverIsProposer,
    CollateralRequired,
    GuarantorAlreadyConsented,
    GuarantorConsentMissing,
    GuarantorSignerMismatch,
    InvalidLoanState,
    LoanClosed,
    LoanNotAcceptedOnChain,
    NotTheBorrower,
    NotTheGuarantor,
    OfferExpired,
    Overpayment,
    PengawasNotNeeded,
    RateOutsideProduct,
    RelatedPartyCap,
    SavingsRequirementUnmet,
    TenorOutsideProduct,
    UnknownGuarantor,
    UnknownLoan,
    WalletNotLinked,
)
from ksp.loans.models import (
    Loan,
    LoanCollateral,
    LoanDecision,
    LoanDendaAccrual,
    LoanGuarantor,
    LoanRepayment,
    LoanStatus,
)
from ksp.loans.position import Paid, Position, position
from ksp.loans.products import (
    BPS,
    LoanProduct,
    OverpaymentRule,
    product_at,
    product_version,
)
from ksp.loans.schedule import METHOD_CODE, Instalment, Method, build_schedule, due_date
from ksp.members import service as members
from ksp.members.errors import MemberNotActive
from ksp.members.models import Member, MemberStatus
from ksp.savings import service as savings
from ksp.savings.errors import InsufficientBalance

ACCEPTANCE_MAX_DAYS = 30  # the contract's cap on an acceptance's deadline
# On chain (ILoanAgreements.LoanStatus).
CHAIN_REPAID = 3
CHAIN_DEFAULTED = 4
# Statuses in which a loan is, or is about to be, owed by the member.
COMMITTED = (LoanStatus.DISETUJUI, LoanStatus.DITERIMA)
REPAYABLE = (LoanStatus.AKTIF, LoanStatus.MACET)
CLOSED = (LoanStatus.LUNAS, LoanStatus.DIHAPUSBUKUKAN, LoanStatus.DIRESTRUKTURISASI,
          LoanStatus.DIBATALKAN, LoanStatus.DITOLAK)
BEFORE_ACCEPTANCE = (LoanStatus.DIAJUKAN, LoanStatus.DIUSULKAN, LoanStatus.DISETUJUI)


@dataclass(frozen=True)
class CollateralIn:
    kind: str
    document_number: str
    appraised_value: int


@dataclass(frozen=True)
class Application:
    member: int
    product_code: str
    principal: int
    tenor_months: int
    purpose: str
    rate_bps: int | None = None  # None: the product's lowest rate
    declared_income: int | None = None
    collateral: tuple[CollateralIn, ...] = ()
    guarantors: tuple[int, ...] = ()


# --- reading ----------------------------------------------------------------------------


def get_loan(session: Session, loan_id: int, *, lock: bool = False) -> Loan:
    query = select(Loan).where(Loan.id == loan_id)
    if lock:
        query = query.with_for_update()
    loan = session.scalars(query).first()
    if loan is None:
        raise UnknownLoan(loan_id=loan_id)
    return loan


def loans(session: Session, *, status: LoanStatus | None = None, member: int | None = None,
          limit: int = 100, offset: int = 0) -> list[Loan]:
    query = select(Loan).order_by(Loan.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(Loan.status == status)
    if member is not None:
        query = query.where(Loan.member_number == member)
    return list(session.scalars(query))


def decisions(session: Session, loan_id: int) -> list[LoanDecision]:
    return list(session.scalars(select(LoanDecision).where(LoanDecision.loan_id == loan_id)
                                .order_by(LoanDecision.seq)))


def repayments(session: Session, loan_id: int) -> list[LoanRepayment]:
    return list(session.scalars(select(LoanRepayment).where(LoanRepayment.loan_id == loan_id)
                                .order_by(LoanRepayment.seq)))


def collateral_of(session: Session, loan_id: int) -> list[LoanCollateral]:
    return list(session.scalars(select(LoanCollateral).where(LoanCollateral.loan_id == loan_id)
                                .order_by(LoanCollateral.id)))


def guarantors_of(session: Session, loan_id: int) -> list[LoanGuarantor]:
    return list(session.scalars(select(LoanGuarantor).where(LoanGuarantor.loan_id == loan_id)
                                .order_by(LoanGuarantor.member_number)))


def product_of(session: Session, loan: Loan) -> LoanProduct:
    return product_version(session, loan.product_code, loan.product_version)


def first_due_after(day: dt.date) -> dt.date:
    """The product rule for the first instalment: the same day of the next month as the
    (expected) disbursement day, clamped to the month's end."""
    return due_date(day, 2)


def schedule_of(loan: Loan) -> tuple[Instalment, ...]:
    """The signed schedule (from the terms) once approved; before, the one it would get if
    approved and paid out on the day it was applied for."""
    if loan.terms_json is not None:
        return tuple(
            Instalment(number=row["number"], due_date=dt.date.fromisoformat(row["due_date"]),
                       pokok=row["pokok"], jasa=row["jasa"],
                       outstanding_after=row["outstanding_after"])
            for row in json.loads(loan.terms_json)["schedule"])
    return build_schedule(loan.principal, loan.rate_bps, loan.tenor_months, Method(loan.method),
                          first_due_after(loan.applied_on))


def position_of(session: Session, loan: Loan, as_of: dt.date) -> Position:
    paid = [Paid(on=r.paid_on, denda=r.denda, jasa=r.jasa, pokok=r.pokok)
            for r in repayments(session, loan.id)]
    accrued = session.scalar(select(func.coalesce(func.sum(LoanDendaAccrual.amount), 0))
                             .where(LoanDendaAccrual.loan_id == loan.id,
                                    LoanDendaAccrual.accrued_on <= as_of))
    return position(schedule_of(loan), paid, int(accrued or 0), as_of)


def piutang(session: Session, member: int) -> int:
    """The member's loans outstanding in the ledger (piutang pinjaman)."""
    return member_balances(session, member=member).get(chart.PIUTANG_PINJAMAN, 0)


def _committed_principal(session: Session, members_in: Sequence[int] | None,
                         exclude: int) -> int:
    """Approved loans not paid out yet: owed as soon as they are, so limits count them."""
    query = select(func.coalesce(func.sum(Loan.principal), 0)).where(
        Loan.status.in_(COMMITTED), Loan.id != exclude)
    if members_in is not None:
        query = query.where(Loan.member_number.in_(members_in))
    return int(session.scalar(query) or 0)


def related_party_outstanding(session: Session, *, exclude: int = 0) -> int:
    related = list(session.scalars(select(Member.number)
                                   .where(Member.related_party.is_not(None))))
    if not related:
        return 0
    debit = func.sum(func.coalesce(JournalLine.amount, 0))
    total = 0
    for side, sign in (("D", 1), ("C", -1)):
        value = session.scalar(select(debit).where(
            JournalLine.account_code == chart.PIUTANG_PINJAMAN, JournalLine.side == side,
            JournalLine.member_number.in_(related)))
        total += sign * int(value or 0)
    return total + _committed_principal(session, related, exclude)


def own_capital(session: Session, on: dt.date) -> int:
    """Modal sendiri on `on`: the equity section of the neraca (with the surplus not yet
    closed into it)."""
    rules = adart_at(session, on)
    return balance_sheet(session, date=on,
                         fiscal_start_month=rules.fiscal_year_start_month).equity.total


# --- assessment ---------------------------------------------------------------------------


def _months_between(start: dt.date, end: dt.date) -> int:
    return max((end.year - start.year) * 12 + end.month - start.month
               - (end.day < start.day), 0)


def assessment(session: Session, loan: Loan, *, as_of: dt.date) -> scoring.Assessment:
    member = members.get_member(session, loan.member_number)
    arrears = savings.wajib_arrears(session, member_number=member.number, as_of=as_of)
    others = [x for x in loans(session, member=member.number, limit=1000) if x.id != loan.id]
    previous = [x for x in others if x.disbursed_on is not None]
    running = [x for x in others if x.status in REPAYABLE]
    applicant = scoring.Applicant(
        principal=loan.principal,
        new_instalment=max(i.total for i in schedule_of(loan)),
        wajib_due=arrears.amount_due, wajib_paid=arrears.paid,
        savings=sum(savings.balances(session, member.number).values()),
        months_member=_months_between(member.joined_on, as_of) if member.joined_on else 0,
        previous_loans=len(previous),
        worst_days_late=max((x.days_past_due for x in previous), default=0),
        bad_loans=sum(1 for x in previous if x.status in (LoanStatus.MACET,
                                                          LoanStatus.DIHAPUSBUKUKAN)),
        existing_instalments=sum(max(i.total for i in schedule_of(x)) for x in running),
        declared_income=loan.declared_income)
    return scoring.assess(applicant, product_of(session, loan).scorecard)


# --- decisions ---------------------------------------------------------------------------


def _decide(session: Session, loan: Loan, *, action: str, actor: str, role: str,
            note: str | None = None, data: dict[str, Any] | None = None) -> int:
    """One step: a log entry naming who took it, and its decision row. Returns the seq."""
    appended = log_append(session, f"pinjaman.{action}", {
        "loan_id": loan.id, "member": loan.member_number, "by": actor, "role": role,
        **({"note": note} if note else {}), **(data or {})})
    session.add(LoanDecision(loan_id=loan.id, action=action, actor=actor, role=role, note=note,
                             decided_at=clock.now(), seq=appended))
    session.flush()
    return appended


def log_append(session: Session, kind: str, data: dict[str, Any]) -> int:
    return log.append(session, kind, data).seq


def _check_terms(product: LoanProduct, *, rate_bps: int, tenor_months: int) -> None:
    if not product.tenor_min <= tenor_months <= product.tenor_max:
        raise TenorOutsideProduct(tenor=tenor_months, low=product.tenor_min,
                                  high=product.tenor_max)
    if not product.rate_min_bps <= rate_bps <= product.rate_max_bps:
        raise RateOutsideProduct(rate=_pct(rate_bps), low=_pct(product.rate_min_bps),
                                 high=_pct(product.rate_max_bps))


def _pct(bps: int) -> str:
    whole, rest = divmod(bps, 100)
    return f"{whole},{rest:02d}%" if rest else f"{whole}%"


def _require(loan: Loan, action: str, *allowed: LoanStatus) -> None:
    if loan.status not in allowed:
        if loan.status in CLOSED and action == "angsur":
            raise LoanClosed(loan_id=loan.id, status=loan.status.value)
        raise InvalidLoanState(loan_id=loan.id, status=loan.status.value, action=action)


def apply(session: Session, application: Application, *, actor: str, role: str,
          on: dt.date) -> Loan:
    """A member applies (themself, or at the counter through staff): the loan is DIAJUKAN."""
    a = application
    member = members.get_member(session, a.member, lock=True)
    if member.status is not MemberStatus.ANGGOTA:
        raise MemberNotActive(number=member.number, status=member.status.value)
    if not 0 < a.principal <= MAX_AMOUNT:
        raise InvalidInput(field="principal", reason_id="harus lebih dari nol",
                           reason_en="must be positive")
    version, product = product_at(session, a.product_code, on)
    rate = product.rate_min_bps if a.rate_bps is None else a.rate_bps
    _check_terms(product, rate_bps=rate, tenor_months=a.tenor_months)
    for g in a.guarantors:
        if g == member.number:
            raise InvalidInput(field="guarantors", reason_id="peminjam bukan penjaminnya sendiri",
                               reason_en="the borrower cannot guarantee their own loan")
        guarantor = members.get_member(session, g)
        if guarantor.status is not MemberStatus.ANGGOTA:
            raise MemberNotActive(number=g, status=guarantor.status.value)
    loan = Loan(member_number=member.number, product_code=a.product_code,
                product_version=version, principal=a.principal, rate_bps=rate,
                method=product.method.value, tenor_months=a.tenor_months,
                admin_fee=product.admin_fee(a.principal), purpose=a.purpose,
                declared_income=a.declared_income,
                related_party=member.related_party is not None, status=LoanStatus.DIAJUKAN,
                applied_on=on, applied_by=actor)
    session.add(loan)
    session.flush()
    for c in a.collateral:
        session.add(LoanCollateral(loan_id=loan.id, kind=c.kind, document_number=c.document_number,
                                   appraised_value=c.appraised_value))
    for g in sorted(set(a.guarantors)):
        session.add(LoanGuarantor(loan_id=loan.id, member_number=g))
    _decide(session, loan, action="ajukan", actor=actor, role=role, data={
        "product": a.product_code, "version": version, "principal": a.principal,
        "rate_bps": rate, "method": product.method.value, "tenor_months": a.tenor_months,
        "applied_on": on.isoformat()})
    return loan


def propose(session: Session, loan_id: int, *, actor: str, role: str,
            note: str | None = None) -> Loan:
    """The loan officer (maker) proposes the application for approval."""
    loan = get_loan(session, loan_id, lock=True)
    _require(loan, "usulkan", LoanStatus.DIAJUKAN)
    loan.status = LoanStatus.DIUSULKAN
    _decide(session, loan, action="usulkan", actor=actor, role=role, note=note)
    return loan


@dataclass(frozen=True)
class Approved:
    loan: Loan
    seq: int
    final: bool  # all approvals are in: the offer is registered


def approve(session: Session, loan_id: int, *, actor: str, role: Role, on: dt.date,
            note: str | None = None) -> Approved:
    """A checker's approval: a pengurus who did not propose it; a related-party loan also
    needs a pengawas. The last approval checks the limits, fixes the terms and registers the
    offer on chain for the member to sign."""
    loan = get_loan(session, loan_id, lock=True)
    _require(loan, "setujui", LoanStatus.DIUSULKAN)
    steps = decisions(session, loan.id)
    proposer = next(d.actor for d in steps if d.action == "usulkan")
    if role is Role.PENGAWAS and not loan.related_party:
        raise PengawasNotNeeded(loan_id=loan.id)
    if actor == proposer:
        raise ApproverIsProposer(actor=actor)
    if any(d.action == "setujui" and d.actor == actor for d in steps):
        raise AlreadyDecided(actor=actor, action="setujui", loan_id=loan.id)
    approvals = {d.role for d in steps if d.action == "setujui"} | {role.value}
    final = Role.PENGURUS.value in approvals and (
        not loan.related_party or Role.PENGAWAS.value in approvals)
    if final:
        _check_limits(session, loan, on)
    seq = _decide(session, loan, action="setujui", actor=actor, role=role.value, note=note)
    if final:
        _register_offer(session, loan, seq=seq, on=on)
    return Approved(loan, seq, final)


def _check_limits(session: Session, loan: Loan, on: dt.date) -> None:
    # The log head first: approvals wait for each other here, so two loans cannot both pass
    # a limit that only one of them fits.
    log.lock_head(session)
    product = product_of(session, loan)
    member = members.get_member(session, loan.member_number)
    if member.status is not MemberStatus.ANGGOTA:
        raise MemberNotActive(number=member.number, status=member.status.value)
    if member.wallet_address is None:
        raise WalletNotLinked(number=member.number)
    _check_terms(product, rate_bps=loan.rate_bps, tenor_months=loan.tenor_months)
    outstanding = (piutang(session, member.number)
                   + _committed_principal(session, [member.number], loan.id))
    # A restructured loan takes over the old one's pokok (ksp.loans.restructure): not twice.
    replaced = loan.principal if loan.restructured_from is not None else 0
    outstanding -= replaced
    if outstanding + loan.principal > product.bmpp:
        raise AboveBmpp(bmpp=format_rupiah(product.bmpp), outstanding=format_rupiah(outstanding),
                        principal=format_rupiah(loan.principal))
    held = savings.balances(session, member.number)
    own = held[Jenis.POKOK] + held[Jenis.WAJIB]
    needed = max(product.min_savings, -(-loan.principal * BPS // product.savings_multiple_bps)
                 if product.savings_multiple_bps else 0)
    if own < needed:
        raise SavingsRequirementUnmet(savings=format_rupiah(own), required=format_rupiah(needed))
    if product.collateral_required and not collateral_of(session, loan.id):
        raise CollateralRequired(loan_id=loan.id)
    if loan.related_party:
        capital = own_capital(session, on)
        cap = capital * adart_at(session, on).related_party_cap_bps // BPS
        related = related_party_outstanding(session, exclude=loan.id) - replaced
        if related + loan.principal > cap:
            raise RelatedPartyCap(cap=format_rupiah(cap), capital=format_rupiah(capital),
                                  outstanding=format_rupiah(related),
                                  principal=format_rupiah(loan.principal))


def terms_hash(terms: dict[str, Any]) -> str:
    """keccak256 of the terms' RFC 8785 canonical JSON, 0x-prefixed."""
    return "0x" + keccak256(rfc8785.dumps(terms)).hex()


def build_terms(session: Session, loan: Loan, *, on: dt.date, borrower: str) -> dict[str, Any]:
    product = product_of(session, loan)
    first_due = first_due_after(on)
    schedule = build_schedule(loan.principal, loan.rate_bps, loan.tenor_months,
                              Method(loan.method), first_due)
    return {
        "loan_id": loan.id, "member": loan.member_number, "borrower": borrower,
        "product": {"code": loan.product_code, "version": loan.product_version,
                    "name": product.name},
        "principal": loan.principal, "rate_bps": loan.rate_bps, "method": loan.method,
        "method_code": METHOD_CODE[Method(loan.method)], "tenor_months": loan.tenor_months,
        "first_due_date": first_due.isoformat(), "admin_fee": loan.admin_fee,
        "admin_fee_taken": product.admin_fee_taken.value,
        "denda": product.denda.model_dump(mode="json"),
        "repayment_order": list(product.repayment_order),
        "prepayment": product.prepayment.value, "overpayment": product.overpayment.value,
        "schedule": [{"number": i.number, "due_date": i.due_date.isoformat(), "pokok": i.pokok,
                      "jasa": i.jasa, "total": i.total, "outstanding_after": i.outstanding_after}
                     for i in schedule],
        "collateral": [{"kind": c.kind, "document_number": c.document_number,
                        "appraised_value": c.appraised_value}
                       for c in collateral_of(session, loan.id)],
        "guarantors": [g.member_number for g in guarantors_of(session, loan.id)],
        "approved_on": on.isoformat(),
    }


def unix_day(day: dt.date) -> int:
    """00:00 UTC of `day` in unix seconds (how the contract stores a date)."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _register_offer(session: Session, loan: Loan, *, seq: int, on: dt.date) -> None:
    member = members.get_member(session, loan.member_number)
    assert member.wallet_address is not None  # checked with the limits
    terms = build_terms(session, loan, on=on, borrower=member.wallet_address)
    loan.terms_json = json.dumps(terms, sort_keys=True)
    loan.terms_hash = terms_hash(terms)
    loan.first_due_date = dt.date.fromisoformat(terms["first_due_date"])
    loan.status = LoanStatus.DISETUJUI
    enqueue(session, kind=OutboxKind.REGISTER_LOAN, seq=seq, ref=f"loan:{loan.id}:register",
            data={"member": loan.member_number, "loan_id": loan.id,
                  "borrower": member.wallet_address, "principal": loan.principal,
                  "rate_bps": loan.rate_bps, "method": terms["method_code"],
                  "tenor_months": loan.tenor_months,
                  "first_due_date": unix_day(loan.first_due_date),
                  "terms_hash": loan.terms_hash})
    session.flush()


def refuse(session: Session, loan_id: int, *, actor: str, role: str, note: str | None) -> Loan:
    loan = get_loan(session, loan_id, lock=True)
    _require(loan, "tolak", LoanStatus.DIAJUKAN, LoanStatus.DIUSULKAN)
    loan.status = LoanStatus.DITOLAK
    loan.closed_on = clock.today()
    _decide(session, loan, action="tolak", actor=actor, role=role, note=note)
    return loan


def cancel(session: Session, loan_id: int, *, actor: str, role: str, note: str | None) -> Loan:
    """Withdraws an application or an offer before the member's acceptance; a registered
    offer is cancelled on chain too (so no old signature can activate it later)."""
    loan = get_loan(session, loan_id, lock=True)
    _require(loan, "batalkan", *BEFORE_ACCEPTANCE)
    registered = loan.status is LoanStatus.DISETUJUI
    loan.status = LoanStatus.DIBATALKAN
    loan.closed_on = clock.today()
    seq = _decide(session, loan, action="batalkan", actor=actor, role=role, note=note)
    if registered:
        enqueue(session, kind=OutboxKind.CANCEL_LOAN, seq=seq, ref=f"loan:{loan.id}:cancel",
                data={"member": loan.member_number, "loan_id": loan.id})
    return loan


# --- acceptance and disbursement ------------------------------------------------------------


@dataclass(frozen=True)
class ChainDomain:
    chain_id: int
    contract: str  # the LoanAgreements address


def acceptance_data(loan: Loan, domain: ChainDomain, deadline: int) -> dict[str, Any]:
    """The EIP-712 typed data the member signs to accept `loan`'s registered terms."""
    if loan.terms_hash is None or loan.first_due_date is None:
        raise InvalidLoanState(loan_id=loan.id, status=loan.status.value, action="terima")
    return loan_terms.acceptance_typed_data(
        domain.chain_id, domain.contract, loan.id, loan.principal, loan.rate_bps,
        METHOD_CODE[Method(loan.method)], loan.tenor_months, unix_day(loan.first_due_date),
        loan.terms_hash, deadline)


def accept(session: Session, loan_id: int, *, member_number: int, deadline: int,
           signature: str, domain: Callable[[], ChainDomain]) -> tuple[Loan, int]:
    """Relays the member's signed acceptance, once it is checked to come from the member's
    wallet over exactly the registered terms, with a deadline the contract will take.
    `domain` is asked only then (it may need the chain)."""
    loan = get_loan(session, loan_id, lock=True)
    if loan.member_number != member_number:
        raise NotTheBorrower()
    _require(loan, "terima", LoanStatus.DISETUJUI)
    now = int(clock.now().timestamp())
    if not now < deadline <= now + ACCEPTANCE_MAX_DAYS * 86_400:
        raise AcceptanceDeadlineInvalid(days=ACCEPTANCE_MAX_DAYS)
    missing = [g.member_number for g in guarantors_of(session, loan.id) if g.consented_at is None]
    if missing:
        raise GuarantorConsentMissing(numbers=", ".join(map(str, missing)), loan_id=loan.id)
    member = members.get_member(session, member_number)
    signer = loan_terms.recover_acceptance_signer(acceptance_data(loan, domain(), deadline),
                                                  signature)
    if member.wallet_address is None or signer.lower() != member.wallet_address.lower():
        raise AcceptanceSignerMismatch(number=member_number, loan_id=loan.id)
    loan.status = LoanStatus.DITERIMA
    loan.accepted_at = clock.now()
    seq = _decide(session, loan, action="terima", actor=f"anggota:{member_number}",
                  role=Role.ANGGOTA.value, data={"deadline": deadline, "signature": signature})
    enqueue(session, kind=OutboxKind.ACCEPT_LOAN, seq=seq, ref=f"loan:{loan.id}:accept",
            data={"member": member_number, "loan_id": loan.id, "deadline": deadline,
                  "signature": signature})
    return loan, seq


def guarantor_of(session: Session, loan: Loan, number: int) -> LoanGuarantor:
    guarantor = session.scalars(select(LoanGuarantor).where(
        LoanGuarantor.loan_id == loan.id, LoanGuarantor.member_number == number)).first()
    if guarantor is None:
        raise UnknownGuarantor(number=number, loan_id=loan.id)
    return guarantor


def consent_data(loan: Loan, guarantor: int, domain: ChainDomain) -> dict[str, Any]:
    """The EIP-712 GuarantorConsent member `guarantor` signs over `loan`'s registered terms."""
    if loan.terms_hash is None:
        raise InvalidLoanState(loan_id=loan.id, status=loan.status.value, action="jamin")
    return loan_terms.guarantor_consent_typed_data(domain.chain_id, domain.contract, loan.id,
                                                   guarantor, loan.terms_hash)


def consent(session: Session, loan_id: int, *, guarantor: int, member_number: int,
            signature: str, domain: Callable[[], ChainDomain]) -> tuple[LoanGuarantor, int]:
    """Records guarantor `guarantor`'s consent, signed by their linked wallet over the terms
    registered at approval; the member's acceptance waits for every guarantor's. Only while
    the offer stands (disetujui): the terms are fixed and not yet accepted."""
    loan = get_loan(session, loan_id, lock=True)
    row = guarantor_of(session, loan, guarantor)
    if member_number != guarantor:
        raise NotTheGuarantor()
    _require(loan, "jamin", LoanStatus.DISETUJUI)
    if row.consented_at is not None:
        raise GuarantorAlreadyConsented(number=guarantor, loan_id=loan.id)
    member = members.get_member(session, guarantor)
    if member.status is not MemberStatus.ANGGOTA:
        raise MemberNotActive(number=member.number, status=member.status.value)
    if member.wallet_address is None:
        raise WalletNotLinked(number=guarantor)
    signer = loan_terms.recover_signer(consent_data(loan, guarantor, domain()), signature)
    if signer.lower() != member.wallet_address.lower():
        raise GuarantorSignerMismatch(number=guarantor, loan_id=loan.id)
    row.consent_signature = signature
    row.consented_at = clock.now()
    seq = _decide(session, loan, action="jamin", actor=f"anggota:{guarantor}",
                  role=Role.ANGGOTA.value,
                  data={"guarantor": guarantor, "terms_hash": loan.terms_hash,
                        "signature": signature})
    return row, seq


def accepted_on_chain(session: Session, loan_id: int) -> bool:
    status = session.scalar(select(OutboxItem.status).where(
        OutboxItem.kind == OutboxKind.ACCEPT_LOAN, OutboxItem.ref == f"loan:{loan_id}:accept"))
    return status in (OutboxStatus.INCLUDED, OutboxStatus.CONFIRMED)


def disburse(session: Session, loan_id: int, *, on: dt.date, to_sukarela: bool,
             reason: str | None = None) -> tuple[Loan, int]:
    """Pays the loan out (cash, or into the member's sukarela), the admin fee taken as
    income; only once the member's acceptance is on chain."""
    loan = get_loan(session, loan_id, lock=True)
    _require(loan, "cairkan", LoanStatus.DITERIMA)
    if loan.restructured_from is not None:  # taken over, never paid out (loans.restructure)
        raise InvalidLoanState(loan_id=loan.id, status=loan.status.value, action="cairkan")
    if not accepted_on_chain(session, loan.id):
        raise LoanNotAcceptedOnChain(loan_id=loan.id)
    assert loan.first_due_date is not None
    if on >= loan.first_due_date:  # the signed schedule assumed a payout before it
        raise OfferExpired(loan_id=loan.id, first_due=loan.first_due_date.isoformat(),
                           date=on.isoformat())
    member = members.get_member(session, loan.member_number, lock=True)
    if member.status is not MemberStatus.ANGGOTA:  # left after approving: cancel the offer
        raise MemberNotActive(number=member.number, status=member.status.value)
    entry = postings.post(session, postings.LoanDisbursement(
        member.number, loan.id, loan.principal, loan.admin_fee, via_sukarela=to_sukarela),
        on=on, reason=reason)
    if to_sukarela:
        savings.mirror_movement(session, entry.seq, member, Jenis.SUKARELA,
                                loan.principal - loan.admin_fee)
    loan.status = LoanStatus.AKTIF
    loan.disbursed_on = on
    session.flush()
    return loan, entry.seq


# --- repayments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repaid:
    loan: Loan
    seq: int
    amount: int
    denda: int
    jasa: int
    pokok: int
    prepaid_pokok: int  # of `pokok`, what was not due yet
    to_sukarela: int  # overpayment kept as the member's sukarela
    closed: bool


def repay(session: Session, loan_id: int, *, amount: int, on: dt.date, channel: str,
          from_sukarela: bool = False, cash_account: str = chart.KAS,
          reason: str | None = None) -> Repaid:
    """One repayment: allocated by the product's order over what is due on `on` (denda, jasa,
    pokok); what is left pays pokok not yet due (the next instalments' pokok first, as
    `position` applies pokok); beyond everything owed it is refused or kept as sukarela by
    the product. Paying the last pokok closes the loan (jasa not due yet is not charged).
    Cash comes into `cash_account` (the bank for payroll deductions)."""
    savings.check_amount(amount)
    loan = get_loan(session, loan_id, lock=True)
    _require(loan, "angsur", *REPAYABLE)
    assert loan.disbursed_on is not None
    earlier = repayments(session, loan.id)
    last = max([loan.disbursed_on, *(r.paid_on for r in earlier)])
    if on < last:
        raise InvalidInput(field="tanggal",
                           reason_id=f"tidak boleh sebelum {last.isoformat()} (pencairan atau "
                                     "angsuran terakhir)",
                           reason_en=f"may not be before {last.isoformat()} (the disbursement "
                                     "or the last repayment)")
    product = product_of(session, loan)
    pos = position_of(session, loan, on)
    allocated = allocate(amount, Due(denda=pos.denda_due, jasa=pos.due_jasa,
                                     pokok=pos.due_pokok), product.repayment_order)
    not_due = pos.outstanding_pokok - allocated.pokok
    prepaid = min(allocated.excess, not_due)
    rest = allocated.excess - prepaid
    owed = pos.denda_due + pos.due_jasa + pos.outstanding_pokok
    if rest and (product.overpayment is OverpaymentRule.TOLAK or from_sukarela):
        raise Overpayment(amount=format_rupiah(amount), owed=format_rupiah(owed))
    member = members.get_member(session, loan.member_number, lock=True)
    paid_now = amount - rest
    if from_sukarela:
        balance = min(savings.balances(session, member.number, through=on)[Jenis.SUKARELA],
                      savings.balances(session, member.number)[Jenis.SUKARELA])
        if paid_now > balance:
            raise InsufficientBalance(jenis=Jenis.SUKARELA.value, balance=format_rupiah(balance),
                                      amount=format_rupiah(paid_now))
    pokok = allocated.pokok + prepaid
    entry = postings.post(session, postings.LoanRepayment(
        member.number, loan.id, allocated.denda, allocated.jasa, pokok,
        via_sukarela=from_sukarela, cash_account=None if from_sukarela else cash_account),
        on=on, reason=reason)
    if from_sukarela:
        savings.mirror_movement(session, entry.seq, member, Jenis.SUKARELA, -paid_now)
    session.add(LoanRepayment(loan_id=loan.id, seq=entry.seq, paid_on=on, amount=paid_now,
                              denda=allocated.denda, jasa=allocated.jasa, pokok=pokok,
                              channel=channel))
    enqueue(session, kind=OutboxKind.RECORD_REPAYMENT, seq=entry.seq,
            data={"member": member.number, "loan_id": loan.id, "amount": paid_now})
    if rest:
        savings.deposit(session, member_number=member.number, jenis=Jenis.SUKARELA,
                        amount=rest, on=on, cash_account=cash_account, reason=reason)
    session.flush()
    after = position_of(session, loan, on)
    closed = after.outstanding_pokok == 0 and after.due_jasa == 0 and after.denda_due == 0
    if closed:
        _close_repaid(session, loan, on=on, repayment_seq=entry.seq)
    return Repaid(loan, entry.seq, paid_now, allocated.denda, allocated.jasa, pokok, prepaid,
                  rest, closed)


def _close_repaid(session: Session, loan: Loan, *, on: dt.date, repayment_seq: int) -> None:
    loan.status = LoanStatus.LUNAS
    loan.closed_on = on
    for c in collateral_of(session, loan.id):
        c.released_on = on
    for g in guarantors_of(session, loan.id):
        g.released_on = on
    seq = log_append(session, "pinjaman.lunas", {
        "loan_id": loan.id, "member": loan.member_number, "on": on.isoformat(),
        "repayment_seq": repayment_seq})
    enqueue(session, kind=OutboxKind.SET_LOAN_STATUS, seq=seq,
            ref=f"loan:{loan.id}:status:{seq}",
            data={"member": loan.member_number, "loan_id": loan.id, "status": CHAIN_REPAID})
    session.flush()
