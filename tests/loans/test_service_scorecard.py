"""The scorecard (pure): each factor's points from its ratio, the reasons in both languages,
the advice bands, and the weights as a setting."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from ksp.loans.products import Scorecard
from ksp.loans.scoring import Applicant, assess

GOOD = Applicant(principal=10_000_000, new_instalment=916_800, wajib_due=650_000,
                 wajib_paid=650_000, savings=2_750_000, months_member=24, previous_loans=2,
                 worst_days_late=0, bad_loans=0, existing_instalments=0,
                 declared_income=5_000_000)
CARD = Scorecard()


def points(applicant, card=CARD):
    return {f.key: f.points for f in assess(applicant, card).factors}


def test_a_regular_saver_with_a_clean_history_is_layak():
    a = assess(GOOD, CARD)
    assert (a.total, a.max_total, a.band) == (100, 100, "layak")
    wajib = a.factors[0]
    assert wajib.reason_id == "Simpanan wajib dibayar Rp 650.000 dari Rp 650.000 yang jatuh tempo."
    assert wajib.reason_en == "Simpanan wajib paid Rp 650.000 of Rp 650.000 due."


def test_each_factor_scales_with_its_ratio():
    # wajib half paid: 12,5 -> 13; savings Rp 1.000.000 of the Rp 2.000.000 for all: 10;
    # worst delay 45 days: 0,3 x 25 = 7,5 -> 8; 6 of 24 months: 2,5 -> 3;
    # instalments 2.000.000 of 5.000.000 = 40%, halfway from 30% to 50%: 10.
    p = points(replace(GOOD, wajib_paid=325_000, savings=1_000_000, worst_days_late=45,
                       months_member=6, existing_instalments=1_083_200))
    assert p == {"wajib": 13, "simpanan": 10, "riwayat": 8, "keanggotaan": 3, "dsr": 10}
    a = assess(replace(GOOD, wajib_paid=325_000, savings=1_000_000, worst_days_late=45,
                       months_member=6, existing_instalments=1_083_200), CARD)
    assert (a.total, a.band) == (44, "berisiko")


def test_no_history_no_income_and_a_bad_loan():
    assert points(replace(GOOD, previous_loans=0))["riwayat"] == 13
    assert points(replace(GOOD, bad_loans=1))["riwayat"] == 0
    none = assess(replace(GOOD, declared_income=None), CARD).factors[4]
    assert (none.points, none.reason_id) == (0, "Penghasilan bulanan tidak dinyatakan.")
    assert points(replace(GOOD, wajib_due=0))["wajib"] == 0


def test_the_weights_are_a_setting():
    card = Scorecard(wajib_points=50, dsr_points=0, layak_from_bps=9000)
    a = assess(replace(GOOD, savings=0), card)
    assert (a.total, a.max_total, a.band) == (85, 105, "perlu pertimbangan")


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 10**8),
       st.integers(0, 400), st.integers(0, 10**9))
def test_points_stay_within_their_maximum(paid, savings, income, late, existing):
    a = assess(replace(GOOD, wajib_paid=paid, savings=savings, declared_income=income or None,
                       worst_days_late=late, existing_instalments=existing), CARD)
    assert all(0 <= f.points <= f.max_points for f in a.factors)
    assert a.total == sum(f.points for f in a.factors) <= a.max_total
