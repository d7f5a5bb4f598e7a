"""Kolektibilitas, the cooperative classes, provisions, NPL and the health bands."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.coop.adart import LoanClassDays
from ksp.loans.quality import (
    KELAS_KOPERASI_LABEL,
    KOLEKTIBILITAS_LABEL,
    PROVISION_BPS,
    SEVERITY,
    KelasKoperasi,
    Kolektibilitas,
    classify,
    health_band,
    health_band_labels,
    health_class,
    npl_bps,
    provision_required,
)

K = Kolektibilitas


@pytest.mark.parametrize(("days", "expected"), [
    (0, K.LANCAR), (1, K.DPK), (90, K.DPK), (91, K.KURANG_LANCAR), (120, K.KURANG_LANCAR),
    (121, K.DIRAGUKAN), (180, K.DIRAGUKAN), (181, K.MACET), (5000, K.MACET)])
def test_ojk_default_thresholds(days, expected):
    assert classify(days, LoanClassDays()) is expected
    assert classify(days) is expected


def test_thresholds_are_a_setting():
    days = LoanClassDays(dpk=8, kurang_lancar=31, diragukan=61, macet=91)
    assert [classify(d, days) for d in (7, 8, 30, 31, 60, 61, 90, 91)] == [
        K.LANCAR, K.DPK, K.DPK, K.KURANG_LANCAR, K.KURANG_LANCAR, K.DIRAGUKAN, K.DIRAGUKAN,
        K.MACET]


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        classify(-1)


@given(a=st.integers(0, 2000), b=st.integers(0, 2000))
def test_classify_is_monotone_in_days(a, b):
    low, high = sorted((a, b))
    assert SEVERITY.index(classify(low)) <= SEVERITY.index(classify(high))


def test_cooperative_classes_count_dpk_as_lancar():
    assert [health_class(k) for k in K] == [
        KelasKoperasi.LANCAR, KelasKoperasi.LANCAR, KelasKoperasi.KURANG_LANCAR,
        KelasKoperasi.DIRAGUKAN, KelasKoperasi.MACET]


def test_every_class_has_both_labels():
    assert set(KOLEKTIBILITAS_LABEL) == set(K)
    assert set(KELAS_KOPERASI_LABEL) == set(KelasKoperasi)
    assert KOLEKTIBILITAS_LABEL[K.DPK] == ("Dalam Perhatian Khusus", "Special mention")


def test_provision_weights_and_rounding():
    assert [PROVISION_BPS[k] for k in K] == [100, 500, 1500, 5000, 10_000]
    assert provision_required(10_000_000, K.LANCAR) == 100_000
    assert provision_required(9_166_667, K.DPK) == 458_333  # 458.333,35
    assert provision_required(9_166_670, K.DPK) == 458_334  # 458.333,5 rounds up
    assert provision_required(5_000_001, K.DIRAGUKAN) == 2_500_001  # 2.500.000,5
    assert provision_required(7_500_001, K.MACET) == 7_500_001
    assert provision_required(0, K.MACET) == 0


def test_npl_is_kl_plus_d_plus_m_over_all():
    # Rp 100.000.000 out: 80 lancar, 10 DPK (counted good), 5 KL, 3 D, 2 M -> 10%.
    book = {K.LANCAR: 80_000_000, K.DPK: 10_000_000, K.KURANG_LANCAR: 5_000_000,
            K.DIRAGUKAN: 3_000_000, K.MACET: 2_000_000}
    assert npl_bps(book) == 1000
    assert health_band(npl_bps(book)) == "Cukup Sehat"
    assert npl_bps({}) == 0
    assert npl_bps({K.MACET: 1, K.LANCAR: 2}) == 3333  # 33,333...%


@given(st.dictionaries(st.sampled_from(K), st.integers(0, 10**12)))
def test_npl_is_the_same_counted_in_cooperative_classes(book):
    total = sum(book.values())
    bad = sum(v for k, v in book.items()
              if health_class(k) is not KelasKoperasi.LANCAR)
    assert 0 <= npl_bps(book) <= 10_000
    if total:
        # npl_bps is bad/total in bps rounded half-up: within half a bps of the exact ratio.
        assert abs(2 * npl_bps(book) * total - 2 * 10_000 * bad) <= total


@pytest.mark.parametrize(("npl", "band"), [
    (0, "Sehat"), (500, "Sehat"), (501, "Cukup Sehat"), (1000, "Cukup Sehat"),
    (1001, "Kurang Sehat"), (1500, "Kurang Sehat"), (1501, "Tidak Sehat"),
    (10_000, "Tidak Sehat")])
def test_health_band_edges_belong_to_the_better_band(npl, band):
    assert health_band(npl) == band


def test_health_band_has_english_too():
    assert health_band_labels(1501) == ("Tidak Sehat", "Unhealthy")
    with pytest.raises(ValueError):
        health_band(-1)
