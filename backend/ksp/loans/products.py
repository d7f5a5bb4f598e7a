"""Loan products: an AD/ART-level setting, versioned by the date it takes effect.

Like the AD/ART (ksp.coop.service), a product version is a log entry and a row; the version in
force on a date is the latest one effective on or before it. The product "umum" exists from the
beginning with the rules of `DEFAULT_PRODUCT` (version 0), so a fresh cooperative can lend at
once; the pengurus changes it like any other product."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.core.money import MAX_AMOUNT, round_half_up
from ksp.ledger import dates, log
from ksp.loans.denda import DendaBasis, DendaRule
from ksp.loans.errors import InvalidLoanProduct, LoanProductUnchanged, UnknownLoanProduct
from ksp.loans.models import LoanProductVersion
from ksp.loans.schedule import Method

BPS = 10_000
DEFAULT_CODE = "umum"
CODE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"  # a product code: short, lower case
PRODUCT_LOG_KIND = "pinjaman.produk"


class AdminFeeTaken(StrEnum):
    DIPOTONG = "dipotong"  # deducted from the payout
    TUNAI = "tunai"  # paid in cash at the counter when the loan is paid out


class Prepayment(StrEnum):
    # Pay the last instalments' pokok first: the schedule's amounts stay, the loan ends sooner.
    KURANGI_TENOR = "kurangi_tenor"
    # Re-spread the rest over the remaining instalments. Not implemented: a new product
    # version with it is refused (set_product), so no setting silently does something else.
    # The value stays so versions stored before the refusal still load.
    KURANGI_ANGSURAN = "kurangi_angsuran"


class OverpaymentRule(StrEnum):
    TOLAK = "tolak"  # refused (422 overpayment)
    SIMPAN_SUKARELA = "simpan_sukarela"  # the rest goes to the member's simpanan sukarela


class DendaSetting(BaseModel):
    """The late penalty: `bps_per_day` of the overdue instalment (angsuran) or of the
    outstanding principal (sisa_pokok), charged after `grace_days` days late."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bps_per_day: int = Field(10, ge=0, le=BPS)
    basis: DendaBasis = DendaBasis.INSTALMENT
    grace_days: int = Field(3, ge=0, le=365)

    def rule(self) -> DendaRule:
        return DendaRule(bps_per_day=self.bps_per_day, basis=self.basis,
                         grace_days=self.grace_days)


class Scorecard(BaseModel):
    """The assessment's weights: the most points each factor can give, the thresholds where a
    factor gives all its points, and the advice bands (docs/LOAN_PROCESS.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wajib_points: int = Field(25, ge=0, le=1000)
    savings_points: int = Field(20, ge=0, le=1000)
    history_points: int = Field(25, ge=0, le=1000)
    membership_points: int = Field(10, ge=0, le=1000)
    dsr_points: int = Field(20, ge=0, le=1000)
    savings_full_bps: int = Field(2000, gt=0, le=100 * BPS)  # savings / amount for all points
    membership_full_months: int = Field(24, gt=0, le=600)
    dsr_good_bps: int = Field(3000, ge=0, le=BPS)  # at or below: all points
    dsr_bad_bps: int = Field(5000, ge=0, le=BPS)  # at or above: none
    layak_from_bps: int = Field(7000, ge=0, le=BPS)  # share of the maximum for "layak"
    pertimbangan_from_bps: int = Field(5000, ge=0, le=BPS)

    @model_validator(mode="after")
    def _ordered(self) -> Scorecard:
        if self.dsr_good_bps >= self.dsr_bad_bps:
            raise ValueError("dsr_good_bps must be below dsr_bad_bps")
        if self.pertimbangan_from_bps > self.layak_from_bps:
            raise ValueError("pertimbangan_from_bps must not exceed layak_from_bps")
        return self


class LoanProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    method: Method = Method.ANNUITY
    rate_min_bps: int = Field(ge=0, le=BPS)  # annual
    rate_max_bps: int = Field(ge=0, le=BPS)
    tenor_min: int = Field(ge=1, le=360)  # months
    tenor_max: int = Field(ge=1, le=360)
    admin_fee_bps: int = Field(100, ge=0, le=BPS)  # of the principal, rounded half-up
    admin_fee_taken: AdminFeeTaken = AdminFeeTaken.DIPOTONG
    denda: DendaSetting = DendaSetting()
    repayment_order: tuple[str, ...] = ("denda", "jasa", "pokok")
    bmpp: int = Field(50_000_000, gt=0, le=MAX_AMOUNT)  # most a member may owe, outstanding
    min_savings: int = Field(0, ge=0, le=MAX_AMOUNT)  # pokok + wajib at least this
    savings_multiple_bps: int = Field(0, ge=0, le=1000 * BPS)  # 0: none; else principal <=
    collateral_required: bool = False  # (pokok + wajib) x multiple
    prepayment: Prepayment = Prepayment.KURANGI_TENOR
    overpayment: OverpaymentRule = OverpaymentRule.TOLAK
    scorecard: Scorecard = Scorecard()

    @model_validator(mode="after")
    def _ranges(self) -> LoanProduct:
        if self.rate_min_bps > self.rate_max_bps:
            raise ValueError("rate_min_bps must not exceed rate_max_bps")
        if self.tenor_min > self.tenor_max:
            raise ValueError("tenor_min must not exceed tenor_max")
        if sorted(self.repayment_order) != ["denda", "jasa", "pokok"]:
            raise ValueError("repayment_order must list denda, jasa and pokok once each")
        return self

    def admin_fee(self, principal: int) -> int:
        """The provisi of a loan: admin_fee_bps of the principal, rounded half-up."""
        return round_half_up(Fraction(principal * self.admin_fee_bps, BPS))


# Annuity: the instalment stays the same, which members find easiest to budget for.
DEFAULT_PRODUCT = LoanProduct(name="Pinjaman Umum", method=Method.ANNUITY, rate_min_bps=1200,
                              rate_max_bps=2400, tenor_min=1, tenor_max=36)


def _latest(session: Session, code: str, date: dt.date | None) -> LoanProductVersion | None:
    query = select(LoanProductVersion).where(LoanProductVersion.code == code)
    if date is not None:
        query = query.where(LoanProductVersion.effective_date <= date)
    return session.scalars(
        query.order_by(LoanProductVersion.effective_date.desc(),
                       LoanProductVersion.version.desc())).first()


def product_at(session: Session, code: str, date: dt.date) -> tuple[int, LoanProduct]:
    """(version, rules) of product `code` in force on `date`; "umum" is version 0 before any
    version of it."""
    found = _latest(session, code, date)
    if found is not None:
        return found.version, LoanProduct.model_validate_json(found.rules)
    if code == DEFAULT_CODE:
        return 0, DEFAULT_PRODUCT
    raise UnknownLoanProduct(code=code, date=date.isoformat())


def product_version(session: Session, code: str, version: int) -> LoanProduct:
    """The rules of one version (the version a loan was made under)."""
    if version == 0 and code == DEFAULT_CODE:
        return DEFAULT_PRODUCT
    found = session.scalars(select(LoanProductVersion).where(
        LoanProductVersion.code == code, LoanProductVersion.version == version)).first()
    if found is None:
        raise UnknownLoanProduct(code=f"{code} v{version}", date="-")
    return LoanProduct.model_validate_json(found.rules)


def set_product(session: Session, code: str, effective_date: dt.date, rules: LoanProduct
                ) -> LoanProductVersion:
    """A new version of product `code` from `effective_date` (a log entry). Not inside a
    closed period, and not a version that changes nothing."""
    if rules.prepayment is Prepayment.KURANGI_ANGSURAN:
        raise InvalidLoanProduct(
            reason_id="prepayment kurangi_angsuran belum tersedia; pelunasan dipercepat "
                      "memperpendek jangka waktu (kurangi_tenor)",
            reason_en="prepayment kurangi_angsuran is not available; a prepayment shortens "
                      "the tenor (kurangi_tenor)")
    head = log.lock_head(session)  # serialises with closing the books
    dates.check_effective_date(effective_date, closed_through=head.closed_through)
    try:
        if product_at(session, code, effective_date)[1] == rules:
            raise LoanProductUnchanged(code=code, date=effective_date.isoformat())
    except UnknownLoanProduct:
        pass
    newest = session.scalars(select(LoanProductVersion.version)
                             .where(LoanProductVersion.code == code)
                             .order_by(LoanProductVersion.version.desc())).first()
    version = (newest or 0) + 1
    values = rules.model_dump(mode="json")
    appended = log.append(session, PRODUCT_LOG_KIND, {
        "code": code, "version": version, "effective_date": effective_date.isoformat(),
        "rules": values})
    row = LoanProductVersion(code=code, version=version, effective_date=effective_date,
                             rules=json.dumps(values), seq=appended.seq)
    session.add(row)
    session.flush()
    return row


def products_at(session: Session, date: dt.date) -> dict[str, tuple[int, LoanProduct]]:
    """Every product in force on `date`, by code."""
    codes = set(session.scalars(select(LoanProductVersion.code).distinct())) | {DEFAULT_CODE}
    found: dict[str, tuple[int, LoanProduct]] = {}
    for code in sorted(codes):
        try:
            found[code] = product_at(session, code, date)
        except UnknownLoanProduct:
            continue  # takes effect later
    return found
