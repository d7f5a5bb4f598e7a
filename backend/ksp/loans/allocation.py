"""How a repayment is split over what is owed: in the AD/ART's order (default denda, then
jasa, then pokok), each part filled up to what is due before the next gets anything.
What is left over is `excess`: the service refuses it, keeps it as credit or applies it to
future pokok as a prepayment (its choice, not this module's). Pure: plain data in and out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PARTS = ("denda", "jasa", "pokok")
DEFAULT_ORDER: tuple[str, ...] = PARTS


@dataclass(frozen=True)
class Due:
    """What is owed now, in rupiah."""

    denda: int
    jasa: int
    pokok: int

    @property
    def total(self) -> int:
        return self.denda + self.jasa + self.pokok


@dataclass(frozen=True)
class Allocation:
    denda: int
    jasa: int
    pokok: int
    excess: int

    @property
    def total(self) -> int:
        return self.denda + self.jasa + self.pokok + self.excess

    @property
    def applied(self) -> int:
        """What went to the loan (everything but the excess)."""
        return self.denda + self.jasa + self.pokok


def check_order(order: Sequence[str]) -> tuple[str, ...]:
    if isinstance(order, str) or sorted(order) != sorted(PARTS):
        raise ValueError(f"order must list denda, jasa and pokok once each, got {order!r}")
    return tuple(order)


def allocate(amount: int, due: Due, order: Sequence[str] = DEFAULT_ORDER) -> Allocation:
    """Splits `amount` over `due` in `order`; never negative, and the parts add up to amount."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"amount must be an int, got {type(amount).__name__}")
    if amount <= 0:
        raise ValueError("amount must be more than 0")
    if min(due.denda, due.jasa, due.pokok) < 0:
        raise ValueError("amounts due must not be negative")
    left = amount
    parts: dict[str, int] = {}
    for part in check_order(order):
        parts[part] = min(left, getattr(due, part))
        left -= parts[part]
    return Allocation(denda=parts["denda"], jasa=parts["jasa"], pokok=parts["pokok"],
                      excess=left)
