"""The prudential figures as pure computation: plain balances and portfolio figures in, exact
ratios out (plain data, no database).

Each ratio is kept as an exact `Fraction` and shown in basis points by ONE rule, `to_bps`:
numerator x 10.000 / denominator, rounded half-up (away from zero) to a whole bps. A ratio
whose denominator is zero (no short-term liabilities, no assets, no savings) has no value
(`None`, shown "—"): it is never shown as 0 or as infinity.

What goes in (accounts of ksp.ledger.chart, balances by normal side on the date):
- likuiditas = (kas + bank) / kewajiban jangka pendek. Every liability of the chart is
  short-term: simpanan sukarela is withdrawable on demand, SHU payable and the funds of the
  SHU split are paid within the year.
- modal sendiri / total aset = equity (incl. SHU not yet closed) / assets (net of the
  allowance, a contra asset).
- pinjaman / simpanan anggota = piutang pinjaman (gross) / (pokok + wajib + sukarela).
- NPL and its health band, provisions, related parties: from ksp.loans.portfolio.
- members above the BMPP: a member's outstanding pokok over all their open loans, against
  the largest BMPP of the products (as in force on the date) of those loans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ksp.coop.adart import BPS
from ksp.core.money import round_half_up


def to_bps(ratio: Fraction | None) -> int | None:
    """The one rounding of this module: an exact ratio to whole basis points, half-up."""
    return None if ratio is None else int(round_half_up(ratio * BPS))


def percent_text(bps: int | None) -> str:
    """1234 -> "12,34%", -5 -> "-0,05%", None -> "—" (Indonesian decimal comma)."""
    if bps is None:
        return "—"
    sign = "-" if bps < 0 else ""
    whole, rest = divmod(abs(bps), 100)
    return f"{sign}{whole},{rest:02d}%"


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator, denominator)


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def exact(self) -> Fraction | None:
        return ratio(self.numerator, self.denominator)

    @property
    def bps(self) -> int | None:
        return to_bps(self.exact)

    @property
    def text(self) -> str:
        return percent_text(self.bps)


@dataclass(frozen=True)
class Balances:
    """Ledger balances on the date, by normal side (rupiah)."""

    kas: int
    bank: int
    short_term_liabilities: int
    own_capital: int
    total_assets: int
    loans: int  # piutang pinjaman, gross of the allowance
    member_savings: int  # pokok + wajib + sukarela


@dataclass(frozen=True)
class MemberExposure:
    member: int
    outstanding: int
    bmpp: int

    @property
    def excess(self) -> int:
        return self.outstanding - self.bmpp


@dataclass(frozen=True)
class LoanQuality:
    """What ksp.loans.portfolio says on the date."""

    outstanding: int
    npl_bps: int
    health_band: str
    health_band_en: str
    provision_required: int
    provision_posted: int
    related_party_outstanding: int
    related_party_cap: int
    related_party_cap_bps: int
    by_class: Mapping[str, int] = field(default_factory=dict)  # kolektibilitas -> outstanding


@dataclass(frozen=True)
class Prudential:
    date: dt.date
    balances: Balances
    quality: LoanQuality
    liquidity: Ratio
    capital_to_assets: Ratio
    loans_to_savings: Ratio
    related_party_to_capital: Ratio
    above_bmpp: tuple[MemberExposure, ...]

    @property
    def related_party_within_cap(self) -> bool:
        return self.quality.related_party_outstanding <= self.quality.related_party_cap

    @property
    def provision_shortfall(self) -> int:
        """Required minus posted: > 0 the allowance is short, < 0 it is above what is needed."""
        return self.quality.provision_required - self.quality.provision_posted


def above_bmpp(outstanding_by_member: Mapping[int, int],
               bmpp_by_member: Mapping[int, int]) -> tuple[MemberExposure, ...]:
    """Members whose outstanding is above their BMPP, by member number."""
    return tuple(MemberExposure(m, amount, bmpp_by_member[m])
                 for m, amount in sorted(outstanding_by_member.items())
                 if amount > bmpp_by_member[m])


def compute(day: dt.date, balances: Balances, quality: LoanQuality,
            exposures: Sequence[MemberExposure] = ()) -> Prudential:
    return Prudential(
        date=day, balances=balances, quality=quality,
        liquidity=Ratio(balances.kas + balances.bank, balances.short_term_liabilities),
        capital_to_assets=Ratio(balances.own_capital, balances.total_assets),
        loans_to_savings=Ratio(balances.loans, balances.member_savings),
        related_party_to_capital=Ratio(quality.related_party_outstanding, balances.own_capital),
        above_bmpp=tuple(exposures))
