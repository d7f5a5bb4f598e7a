"""Money is whole rupiah in an int. The one place where rounding happens."""

from __future__ import annotations

from fractions import Fraction
from typing import NewType

Rupiah = NewType("Rupiah", int)

# Amounts beyond this are refused as input: Rp 1 quadrillion is more than any KSP holds
# and still fits in a signed 64-bit column with room for sums.
MAX_AMOUNT = 10**15


class LossyMoney(TypeError):
    """A float (or anything not an exact integer) was used as money."""


def rupiah(value: int) -> Rupiah:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LossyMoney(f"money must be an integer number of rupiah, got {type(value).__name__}")
    return Rupiah(value)


def round_half_up(value: Fraction) -> Rupiah:
    """Rounds an exact fraction of rupiah to whole rupiah, halves away from zero."""
    if value >= 0:
        return Rupiah(int((value + Fraction(1, 2)) // 1))
    return Rupiah(-int((-value + Fraction(1, 2)) // 1))


def format_rupiah(amount: int) -> str:
    """Rp 1.250.000 — Indonesian grouping with dots."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")
