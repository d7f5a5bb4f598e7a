"""Loan schedules: the worked Rp 10.000.000 loans by hand, due dates, and properties."""

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksp.core.money import round_half_up
from ksp.loans.schedule import (
    METHOD_CODE,
    Instalment,
    Method,
    annuity_exact,
    annuity_instalment,
    build_schedule,
    div_half_up,
    due_date,
    schedule_totals,
)

FIRST_DUE = dt.date(2026, 2, 15)


def worked(method: Method) -> tuple[Instalment, ...]:
    return build_schedule(10_000_000, 1800, 12, method, FIRST_DUE)


def test_flat_worked_loan():
    rows = worked(Method.FLAT)
    # 10.000.000 / 12 = 833.333 r 4; 10.000.000 x 18% / 12 = 150.000 each month.
    assert [r.pokok for r in rows] == [833_333] * 11 + [833_337]
    assert {r.jasa for r in rows} == {150_000}
    assert rows[0] == Instalment(1, dt.date(2026, 2, 15), 833_333, 150_000, 9_166_667)
    assert rows[-1] == Instalment(12, dt.date(2027, 1, 15), 833_337, 150_000, 0)
    assert rows[-1].total == 983_337
    assert schedule_totals(rows) == (10_000_000, 1_800_000)


def test_declining_worked_loan():
    rows = worked(Method.DECLINING)
    # Jasa on what is left before each instalment: 1,5% of 10.000.000, of 9.166.667, ...
    assert rows[0].jasa == 150_000
    assert rows[1].jasa == 137_500  # 9.166.667 x 1,5% = 137.500,005
    assert rows[2].jasa == 125_000  # 8.333.334 x 1,5% = 125.000,01
    assert rows[11] == Instalment(12, dt.date(2027, 1, 15), 833_337, 12_500, 0)
    assert schedule_totals(rows) == (10_000_000, 975_000)


def test_annuity_worked_loan():
    # A = 10.000.000 x 0,015 / (1 - 1,015^-12) = 916.799,93 -> 916.800.
    assert annuity_instalment(10_000_000, 1800, 12) == 916_800
    rows = worked(Method.ANNUITY)
    assert rows[0] == Instalment(1, dt.date(2026, 2, 15), 766_800, 150_000, 9_233_200)
    assert rows[1] == Instalment(2, dt.date(2026, 3, 15), 778_302, 138_498, 8_454_898)
    assert all(r.total == 916_800 for r in rows[:-1])
    # The last pays what is left (903.250) and its jasa: one rupiah less than A.
    assert rows[-1] == Instalment(12, dt.date(2027, 1, 15), 903_250, 13_549, 0)
    assert schedule_totals(rows) == (10_000_000, 1_001_599)


def test_annuity_exact_formula():
    i = Fraction(1800, 120_000)
    expected = 10_000_000 * i / (1 - (1 + i) ** -12)
    assert annuity_exact(10_000_000, 1800, 12) == expected
    assert annuity_exact(1200, 0, 12) == 100


def test_rate_zero():
    for method in Method:
        rows = build_schedule(1_000, 0, 3, method, FIRST_DUE)
        assert [r.jasa for r in rows] == [0, 0, 0]
        assert [r.pokok for r in rows] == [333, 333, 334]


def test_method_codes_match_the_contract_enum():
    assert [METHOD_CODE[m] for m in Method] == [0, 1, 2]  # Flat, Declining, Annuity
    assert [m.value for m in Method] == ["flat", "declining", "annuity"]


def test_due_dates_clamp_to_month_end_from_the_first_due_date():
    first = dt.date(2024, 1, 31)
    assert [due_date(first, k) for k in range(1, 6)] == [
        dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31),
        dt.date(2024, 4, 30), dt.date(2024, 5, 31)]
    assert due_date(dt.date(2025, 1, 31), 2) == dt.date(2025, 2, 28)
    assert due_date(dt.date(2026, 11, 30), 4) == dt.date(2027, 2, 28)
    assert due_date(dt.date(2026, 12, 15), 13) == dt.date(2027, 12, 15)
    with pytest.raises(ValueError):
        due_date(first, 0)


@pytest.mark.parametrize(("principal", "rate", "tenor"), [
    (0, 1800, 12), (-1, 1800, 12), (1000, -1, 12), (1000, 1800, 0), (1000.0, 1800, 12)])
def test_bad_input_is_refused(principal, rate, tenor):
    with pytest.raises(ValueError):
        build_schedule(principal, rate, tenor, Method.FLAT, FIRST_DUE)


@given(st.integers(0, 10**15), st.integers(1, 10**6))
def test_integer_rounding_is_round_half_up(numerator, denominator):
    assert div_half_up(numerator, denominator) == round_half_up(Fraction(numerator, denominator))


def annuity_drift_bound(rate_bps: int, tenor: int) -> Fraction:
    """How far the last annuity instalment can be from A: each month's jasa is rounded by at
    most half a rupiah, and A itself by half; those errors grow with interest, so at most
    ((1+i)^n − 1)/i rupiah (n when i = 0), the annuity's future-value factor."""
    if rate_bps == 0:
        return Fraction(tenor)
    i = Fraction(rate_bps, 120_000)
    return ((1 + i) ** tenor - 1) / i


@settings(max_examples=300, deadline=None)
@given(principal=st.integers(1, 10**12), rate=st.integers(0, 10_000),
       tenor=st.integers(1, 360), method=st.sampled_from(Method))
def test_any_schedule_repays_the_principal_exactly(principal, rate, tenor, method):
    rows = build_schedule(principal, rate, tenor, method, FIRST_DUE)
    assert len(rows) == tenor
    assert [r.number for r in rows] == list(range(1, tenor + 1))
    assert sum(r.pokok for r in rows) == principal
    assert all(r.pokok >= 0 and r.jasa >= 0 and r.outstanding_after >= 0 for r in rows)
    before = [principal] + [r.outstanding_after for r in rows[:-1]]
    assert all(b - r.pokok == r.outstanding_after for b, r in zip(before, rows, strict=True))
    assert all(a >= b for a, b in zip(before, before[1:], strict=False))  # never grows
    assert rows[-1].outstanding_after == 0
    if method is not Method.ANNUITY and principal >= tenor:
        assert all(a > b for a, b in zip(before, before[1:], strict=False))
    if method is Method.ANNUITY:
        amount = annuity_instalment(principal, rate, tenor)
        paid_off = [r for r in rows[:-1] if r.outstanding_after == 0]
        if not paid_off:  # the normal case: every instalment but the last is exactly A
            assert all(r.total == amount for r in rows[:-1])
            assert abs(rows[-1].total - amount) <= annuity_drift_bound(rate, tenor)


@settings(max_examples=300, deadline=None)
@given(principal=st.integers(1_000_000, 10**12), rate=st.integers(0, 4800),
       tenor=st.integers(1, 120))
def test_realistic_annuities_pay_down_every_month_and_end_within_a_few_rupiah(
        principal, rate, tenor):
    rows = build_schedule(principal, rate, tenor, Method.ANNUITY, FIRST_DUE)
    amount = annuity_instalment(principal, rate, tenor)
    assert all(r.pokok > 0 for r in rows)  # outstanding strictly decreases
    assert all(r.total == amount for r in rows[:-1])
    assert abs(rows[-1].total - amount) <= annuity_drift_bound(rate, tenor)


@settings(max_examples=100, deadline=None)
@given(principal=st.integers(1, 10**12), rate=st.integers(0, 10_000),
       tenor=st.integers(1, 360))
def test_declining_never_charges_more_jasa_than_flat(principal, rate, tenor):
    flat = build_schedule(principal, rate, tenor, Method.FLAT, FIRST_DUE)
    declining = build_schedule(principal, rate, tenor, Method.DECLINING, FIRST_DUE)
    assert schedule_totals(declining)[1] <= schedule_totals(flat)[1]
    assert declining[0].jasa == flat[0].jasa
