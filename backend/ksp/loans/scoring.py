"""The explainable assessment of an application: plain data in, plain data out.

Five factors from the cooperative's own books, each worth at most the points the product's
scorecard gives it; points are rounded half-up to whole points from an exact fraction. The total
against the maximum gives an advice band. It advises; a person decides (docs/LOAN_PROCESS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ksp.core.money import format_rupiah, round_half_up
from ksp.loans.products import BPS, Scorecard

LAYAK = "layak"
PERTIMBANGAN = "perlu pertimbangan"
BERISIKO = "berisiko"


@dataclass(frozen=True)
class Applicant:
    """What the books say about the applicant, gathered by the service."""

    principal: int
    new_instalment: int  # the largest instalment of the proposed schedule
    wajib_due: int  # rupiah of wajib due since joining
    wajib_paid: int
    savings: int  # pokok + wajib + sukarela now
    months_member: int
    previous_loans: int  # loans before this one that were disbursed
    worst_days_late: int  # the most days past due any of them reached (as the close kept it)
    bad_loans: int  # of them: macet or written off
    existing_instalments: int  # monthly, of the member's active loans
    declared_income: int | None  # monthly


@dataclass(frozen=True)
class Factor:
    key: str
    points: int
    max_points: int
    reason_id: str
    reason_en: str


@dataclass(frozen=True)
class Assessment:
    factors: tuple[Factor, ...]
    total: int
    max_total: int
    band: str  # layak / perlu pertimbangan / berisiko


def _share(max_points: int, ratio: Fraction) -> int:
    return round_half_up(max_points * min(max(ratio, Fraction(0)), Fraction(1)))


def _wajib(a: Applicant, card: Scorecard) -> Factor:
    top = card.wajib_points
    if a.wajib_due == 0:
        return Factor("wajib", 0, top, "Belum ada simpanan wajib yang jatuh tempo.",
                      "No simpanan wajib has fallen due yet.")
    paid = min(a.wajib_paid, a.wajib_due)
    points = _share(top, Fraction(paid, a.wajib_due))
    return Factor("wajib", points, top,
                  f"Simpanan wajib dibayar {format_rupiah(paid)} dari "
                  f"{format_rupiah(a.wajib_due)} yang jatuh tempo.",
                  f"Simpanan wajib paid {format_rupiah(paid)} of "
                  f"{format_rupiah(a.wajib_due)} due.")


def _savings(a: Applicant, card: Scorecard) -> Factor:
    top = card.savings_points
    full = Fraction(a.principal * card.savings_full_bps, BPS)
    points = _share(top, Fraction(a.savings) / full)
    pct = f"{card.savings_full_bps // 100}%"
    return Factor("simpanan", points, top,
                  f"Simpanan {format_rupiah(a.savings)}; nilai penuh bila mencapai {pct} "
                  f"dari pinjaman ({format_rupiah(round_half_up(full))}).",
                  f"Savings {format_rupiah(a.savings)}; full points at {pct} of the loan "
                  f"({format_rupiah(round_half_up(full))}).")


def _history(a: Applicant, card: Scorecard) -> Factor:
    top = card.history_points
    if a.previous_loans == 0:
        return Factor("riwayat", round_half_up(Fraction(top, 2)), top,
                      "Belum ada riwayat pinjaman; diberi setengah nilai.",
                      "No loan history yet; half the points.")
    if a.bad_loans > 0:
        return Factor("riwayat", 0, top,
                      f"{a.bad_loans} pinjaman sebelumnya macet atau dihapusbukukan.",
                      f"{a.bad_loans} earlier loan(s) defaulted or were written off.")
    late = a.worst_days_late
    ratio = (Fraction(1) if late == 0 else Fraction(6, 10) if late <= 30
             else Fraction(3, 10) if late <= 90 else Fraction(0))
    return Factor("riwayat", _share(top, ratio), top,
                  f"{a.previous_loans} pinjaman sebelumnya; keterlambatan terlama {late} hari.",
                  f"{a.previous_loans} earlier loan(s); the longest delay {late} days.")


def _membership(a: Applicant, card: Scorecard) -> Factor:
    top = card.membership_points
    months = max(a.months_member, 0)
    return Factor("keanggotaan", _share(top, Fraction(months, card.membership_full_months)), top,
                  f"Anggota selama {months} bulan; nilai penuh pada "
                  f"{card.membership_full_months} bulan.",
                  f"A member for {months} months; full points at "
                  f"{card.membership_full_months} months.")


def _dsr(a: Applicant, card: Scorecard) -> Factor:
    top = card.dsr_points
    if not a.declared_income:
        return Factor("dsr", 0, top, "Penghasilan bulanan tidak dinyatakan.",
                      "No monthly income declared.")
    monthly = a.new_instalment + a.existing_instalments
    dsr_bps = Fraction(monthly * BPS, a.declared_income)
    ratio = Fraction(card.dsr_bad_bps - dsr_bps, card.dsr_bad_bps - card.dsr_good_bps)
    shown = round_half_up(dsr_bps / 100)
    return Factor("dsr", _share(top, ratio), top,
                  f"Angsuran per bulan {format_rupiah(monthly)} adalah {shown}% dari penghasilan "
                  f"{format_rupiah(a.declared_income)} (baik ≤ {card.dsr_good_bps // 100}%).",
                  f"Monthly instalments {format_rupiah(monthly)} are {shown}% of the income "
                  f"{format_rupiah(a.declared_income)} (good ≤ {card.dsr_good_bps // 100}%).")


def assess(applicant: Applicant, card: Scorecard) -> Assessment:
    factors = tuple(f(applicant, card) for f in (_wajib, _savings, _history, _membership, _dsr))
    total = sum(f.points for f in factors)
    top = sum(f.max_points for f in factors)
    share = Fraction(total * BPS, top) if top else Fraction(0)
    band = (LAYAK if share >= card.layak_from_bps
            else PERTIMBANGAN if share >= card.pertimbangan_from_bps else BERISIKO)
    return Assessment(factors, total, top, band)
