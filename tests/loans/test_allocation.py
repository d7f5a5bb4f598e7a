"""Repayment allocation: the order, the excess, and properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.loans.allocation import Allocation, Due, allocate

ORDERS = st.permutations(["denda", "jasa", "pokok"])


def test_default_order_fills_denda_then_jasa_then_pokok():
    # Owed: denda Rp 40.303, jasa Rp 150.000, pokok Rp 833.333; paid Rp 500.000.
    due = Due(denda=40_303, jasa=150_000, pokok=833_333)
    assert allocate(500_000, due) == Allocation(denda=40_303, jasa=150_000, pokok=309_697,
                                                excess=0)


def test_a_short_payment_stops_at_the_part_it_reaches():
    assert allocate(100_000, Due(40_303, 150_000, 833_333)) == Allocation(40_303, 59_697, 0, 0)


def test_the_rest_beyond_what_is_due_is_excess():
    allocation = allocate(1_100_000, Due(40_303, 150_000, 833_333))
    assert allocation == Allocation(40_303, 150_000, 833_333, 76_364)
    assert allocation.applied == 1_023_636
    assert allocation.total == 1_100_000


def test_another_order_from_the_adart():
    assert allocate(900_000, Due(40_303, 150_000, 833_333), ("pokok", "jasa", "denda")) == \
        Allocation(denda=0, jasa=66_667, pokok=833_333, excess=0)


@pytest.mark.parametrize("order", [("denda", "jasa"), ("denda", "jasa", "jasa"),
                                   ("denda", "jasa", "pokok", "pokok"), "denda,jasa,pokok",
                                   ("denda", "bunga", "pokok")])
def test_bad_order_is_refused(order):
    with pytest.raises(ValueError):
        allocate(1, Due(1, 1, 1), order)


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
def test_bad_amount_is_refused(amount):
    with pytest.raises(ValueError):
        allocate(amount, Due(1, 1, 1))


@given(amount=st.integers(1, 10**13), denda=st.integers(0, 10**12),
       jasa=st.integers(0, 10**12), pokok=st.integers(0, 10**12), order=ORDERS)
def test_allocation_never_negative_sums_to_amount_and_respects_order(
        amount, denda, jasa, pokok, order):
    due = Due(denda, jasa, pokok)
    allocation = allocate(amount, due, order)
    parts = {"denda": allocation.denda, "jasa": allocation.jasa, "pokok": allocation.pokok}
    assert min(*parts.values(), allocation.excess) >= 0
    assert allocation.total == amount
    assert all(parts[p] <= getattr(due, p) for p in parts)
    # A later part gets something only when every earlier part is paid in full.
    for i, part in enumerate(order):
        if parts[part] > 0:
            assert all(parts[earlier] == getattr(due, earlier) for earlier in order[:i])
    # Excess only when everything due is paid.
    if allocation.excess:
        assert allocation.applied == due.total
