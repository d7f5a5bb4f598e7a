from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.core.money import LossyMoney, format_rupiah, round_half_up, rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "Rp 0"), (100_000, "Rp 100.000"), (1_250_000, "Rp 1.250.000"), (-5_000, "-Rp 5.000")],
)
def test_format_rupiah_uses_indonesian_grouping(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize("bad", [1.0, 0.5, "100", True, None])
def test_rupiah_refuses_anything_but_int(bad):
    with pytest.raises(LossyMoney):
        rupiah(bad)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(Fraction(5, 2), 3), (Fraction(3, 2), 2), (Fraction(7, 3), 2), (Fraction(-5, 2), -3)],
)
def test_round_half_up_rounds_halves_away_from_zero(value, rounded):
    assert round_half_up(value) == rounded


@given(st.integers(-10**12, 10**12), st.integers(1, 10**6))
def test_round_half_up_is_within_half_a_rupiah(numerator, denominator):
    value = Fraction(numerator, denominator)
    assert abs(round_half_up(value) - value) <= Fraction(1, 2)
