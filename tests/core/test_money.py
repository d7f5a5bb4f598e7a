from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.core.money import (
    MAX_AMOUNT,
    AmountNotUnderstood,
    LossyMoney,
    format_rupiah,
    parse_rupiah,
    round_half_up,
    rupiah,
)


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


@pytest.mark.parametrize(("text", "amount"), [
    ("50.000", 50_000), ("Rp 50.000", 50_000), ("Rp50.000", 50_000), ("50000", 50_000),
    ("1.250.000", 1_250_000), ("rp 1.250.000", 1_250_000), ("Rp. 75.500", 75_500),
    ("Rp 50.000,-", 50_000), ("50.000,00", 50_000), ("  7.500 ", 7_500), ("999", 999),
])
def test_parse_rupiah_reads_amounts_as_indonesians_write_them(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text", [
    "50,5", "50.00", "5.0000", "-5", "0", "abc", "", "Rp", "50,000", "1.25", "0.000",
    "050.000", "50 000", "5e4", "Rp -5.000", "1.000.000.000.000.001", "٥٠٠٠", "+5",
])
def test_parse_rupiah_refuses_ambiguous_or_wrong_forms(text):
    with pytest.raises(AmountNotUnderstood) as refused:
        parse_rupiah(text)
    error = refused.value
    assert error.status == 422 and error.code == "amount_not_understood"
    assert "50.000" in error.render_id() and "50.000" in error.render_en()
    assert error.render_id() != error.render_en()


@given(st.integers(1, MAX_AMOUNT))
def test_parse_rupiah_reads_back_what_format_rupiah_writes(amount):
    assert parse_rupiah(format_rupiah(amount)) == amount
    assert parse_rupiah(str(amount)) == amount
    assert parse_rupiah(format_rupiah(amount).replace(" ", "")) == amount
