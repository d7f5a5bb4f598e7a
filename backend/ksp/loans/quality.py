"""Loan quality: the OJK five classes by days past due, the cooperative health
assessment's four, provisions (PPAP) and NPL. Pure: plain data in and out.

NPL = (kurang lancar + diragukan + macet) / total outstanding, the same in both schemes:
the cooperative assessment has no DPK class and counts DPK loans as lancar.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from ksp.coop.adart import LoanClassDays
from ksp.loans.schedule import BPS, div_half_up


class Kolektibilitas(StrEnum):
    LANCAR = "lancar"
    DPK = "dpk"
    KURANG_LANCAR = "kurang_lancar"
    DIRAGUKAN = "diragukan"
    MACET = "macet"


KOLEKTIBILITAS_LABEL: Mapping[Kolektibilitas, tuple[str, str]] = {
    Kolektibilitas.LANCAR: ("Lancar", "Current"),
    Kolektibilitas.DPK: ("Dalam Perhatian Khusus", "Special mention"),
    Kolektibilitas.KURANG_LANCAR: ("Kurang Lancar", "Substandard"),
    Kolektibilitas.DIRAGUKAN: ("Diragukan", "Doubtful"),
    Kolektibilitas.MACET: ("Macet", "Loss"),
}

# Worst last: the order in which a loan's class gets worse.
SEVERITY: tuple[Kolektibilitas, ...] = tuple(Kolektibilitas)


class KelasKoperasi(StrEnum):
    """The cooperative health assessment's four classes."""

    LANCAR = "lancar"
    KURANG_LANCAR = "kurang_lancar"
    DIRAGUKAN = "diragukan"
    MACET = "macet"


KELAS_KOPERASI_LABEL: Mapping[KelasKoperasi, tuple[str, str]] = {
    KelasKoperasi.LANCAR: ("Lancar", "Current"),
    KelasKoperasi.KURANG_LANCAR: ("Kurang Lancar", "Substandard"),
    KelasKoperasi.DIRAGUKAN: ("Diragukan", "Doubtful"),
    KelasKoperasi.MACET: ("Macet", "Loss"),
}

# Provisioning weights (PPAP) for reports: 1/5/15/50/100% of the outstanding pokok.
PROVISION_BPS: Mapping[Kolektibilitas, int] = {
    Kolektibilitas.LANCAR: 100,
    Kolektibilitas.DPK: 500,
    Kolektibilitas.KURANG_LANCAR: 1500,
    Kolektibilitas.DIRAGUKAN: 5000,
    Kolektibilitas.MACET: 10_000,
}

NON_PERFORMING = frozenset({Kolektibilitas.KURANG_LANCAR, Kolektibilitas.DIRAGUKAN,
                            Kolektibilitas.MACET})


def classify(days_past_due: int, days: LoanClassDays | None = None) -> Kolektibilitas:
    """The class for a loan `days_past_due` days late: each threshold is the first day of
    its class (OJK defaults: 0 lancar, 1-90 DPK, 91-120 KL, 121-180 D, 181 and more M)."""
    if days_past_due < 0:
        raise ValueError("days past due must not be negative")
    days = days or LoanClassDays()
    if days_past_due >= days.macet:
        return Kolektibilitas.MACET
    if days_past_due >= days.diragukan:
        return Kolektibilitas.DIRAGUKAN
    if days_past_due >= days.kurang_lancar:
        return Kolektibilitas.KURANG_LANCAR
    if days_past_due >= days.dpk:
        return Kolektibilitas.DPK
    return Kolektibilitas.LANCAR


def health_class(k: Kolektibilitas) -> KelasKoperasi:
    """The cooperative class of an OJK class: DPK counts as lancar, the rest keep their name
    (so NPL = KL + D + M is the same in both schemes)."""
    k = Kolektibilitas(k)
    return KelasKoperasi.LANCAR if k is Kolektibilitas.DPK else KelasKoperasi(k.value)


def provision_required(outstanding: int, k: Kolektibilitas) -> int:
    """The provision for one loan: outstanding pokok x the class's weight, rounded half-up
    to the rupiah per loan (a portfolio's provision is the sum of its loans')."""
    if outstanding < 0:
        raise ValueError("outstanding must not be negative")
    return div_half_up(outstanding * PROVISION_BPS[Kolektibilitas(k)], BPS)


def npl_bps(outstanding_by_class: Mapping[Kolektibilitas, int]) -> int:
    """NPL in basis points of the total outstanding, rounded half-up; 0 with no loans."""
    if any(v < 0 for v in outstanding_by_class.values()):
        raise ValueError("outstanding must not be negative")
    total = sum(outstanding_by_class.values())
    if total == 0:
        return 0
    bad = sum(v for k, v in outstanding_by_class.items() if Kolektibilitas(k) in NON_PERFORMING)
    return div_half_up(bad * BPS, total)


# (upper edge in bps, included; Indonesian, English)
HEALTH_BANDS: tuple[tuple[int, str, str], ...] = (
    (500, "Sehat", "Healthy"),
    (1000, "Cukup Sehat", "Fairly healthy"),
    (1500, "Kurang Sehat", "Less healthy"),
)
UNHEALTHY = ("Tidak Sehat", "Unhealthy")


def health_band_labels(npl: int) -> tuple[str, str]:
    """(Indonesian, English) band of an NPL in bps. Each edge belongs to the better band:
    exactly 5,00% is Sehat, 5,01% Cukup Sehat; exactly 10,00% Cukup Sehat; exactly 15,00%
    Kurang Sehat; above 15,00% Tidak Sehat. npl_bps rounds half-up first (5,004% -> 500)."""
    if npl < 0:
        raise ValueError("NPL must not be negative")
    for edge, label_id, label_en in HEALTH_BANDS:
        if npl <= edge:
            return label_id, label_en
    return UNHEALTHY


def health_band(npl: int) -> str:
    """The Indonesian band name of an NPL in bps (see health_band_labels for the edges)."""
    return health_band_labels(npl)[0]
