"""The SHU arithmetic: largest remainder and the pools, by example and by Hypothesis."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ksp.core.money import round_half_up
from ksp.shu import calc
from ksp.shu.calc import MemberInput, largest_remainder, pools_of
from ksp.shu.errors import SplitNotWhole

DEFAULT = {"cadangan": 4000, "jasa_anggota": 3500, "pengurus": 500, "karyawan": 500,
           "pendidikan": 500, "sosial": 500, "pembangunan_daerah": 500}


def test_three_equal_bases_share_ten_rupiah_with_the_extra_to_the_smallest_number():
    assert largest_remainder(10, {7: 1, 3: 1, 5: 1}) == {3: 4, 5: 3, 7: 3}


def test_the_largest_fraction_gets_the_rupiah_left_over():
    # 100 x 1/6 = 16.67, 100 x 2/6 = 33.33, 100 x 3/6 = 50: the .67 takes the last rupiah.
    assert largest_remainder(100, {1: 1, 2: 2, 3: 3}) == {1: 17, 2: 33, 3: 50}


def test_all_bases_zero_gives_nothing_to_anyone():
    assert largest_remainder(1_000, {1: 0, 2: 0}) == {1: 0, 2: 0}


def test_negative_pool_or_base_is_refused():
    with pytest.raises(ValueError):
        largest_remainder(-1, {1: 1})
    with pytest.raises(ValueError):
        largest_remainder(1, {1: -1, 2: 2})


def test_pools_of_a_year_add_up_to_the_shu_with_the_jasa_anggota_split_70_30():
    pools = pools_of(10_000_003, DEFAULT, 7000)
    # Exact parts: 4,000,001.2 / 3,500,001.05 / five times 500,000.15; the floors leave
    # one rupiah, which goes to the largest fraction: cadangan (.2).
    assert pools.amounts == {"cadangan": 4_000_002, "jasa_anggota": 3_500_001,
                             "pengurus": 500_000, "karyawan": 500_000, "pendidikan": 500_000,
                             "sosial": 500_000, "pembangunan_daerah": 500_000}
    assert sum(pools.amounts.values()) == 10_000_003
    # 2,450,000.7 and 1,050,000.3: the rupiah left goes to JUA (.7).
    assert (pools.jasa_usaha, pools.jasa_modal) == (2_450_001, 1_050_000)


def test_a_loss_year_has_every_pool_zero():
    pools = pools_of(-5_000, DEFAULT, 7000)
    assert set(pools.amounts.values()) == {0} and pools.jasa_usaha == pools.jasa_modal == 0


@pytest.mark.parametrize("split", [
    {**DEFAULT, "cadangan": 4500},  # 105%
    {**DEFAULT, "sosial": -500, "cadangan": 5000},
    {k: v for k, v in DEFAULT.items() if k != "sosial"},
])
def test_a_split_not_adding_to_100_percent_is_refused(split):
    with pytest.raises(SplitNotWhole):
        pools_of(1_000_000, split, 7000)


def test_nobody_paid_interest_so_jua_is_the_remainder():
    pools = pools_of(1_000_000, DEFAULT, 7000)  # jasa anggota 350,000: JUA 245,000
    alloc = calc.allocate(pools, [MemberInput(1, 100, 0), MemberInput(2, 300, 0)])
    assert alloc.shares == {1: 26_250, 2: 78_750}
    assert alloc.remainder == 245_000


def test_the_member_share_is_the_formula_rounded_to_the_rupiah():
    pools = pools_of(1_000_000, DEFAULT, 7000)
    inputs = [MemberInput(1, 100, 10), MemberInput(2, 200, 0), MemberInput(3, 0, 20)]
    alloc = calc.allocate(pools, inputs)
    for member in inputs:
        exact = calc.exact_share(pools, alloc.vuk, alloc.tms, member)
        assert abs(alloc.shares[member.member] - exact) < 1
    assert alloc.members_total == 350_000 and alloc.remainder == 0


def test_zero_reasons_name_what_is_missing():
    assert calc.zero_reasons(0, MemberInput(1, 5, 5), 0) == [calc.ZERO_SHU]
    assert calc.zero_reasons(10, MemberInput(1, 0, 0), 0) == [calc.NO_SAVINGS,
                                                              calc.NO_INTEREST]
    assert calc.zero_reasons(10, MemberInput(1, 5, 5), 3) == []


def test_figures_hash_is_keccak_of_canonical_json():
    pools = pools_of(1_000_000, DEFAULT, 7000)
    values = calc.figures(fiscal_year=2025, pools=pools, settlement=calc.Settlement.SUKARELA)
    reordered = dict(reversed(list(values.items())))
    assert calc.figures_hash(values) == calc.figures_hash(reordered)
    assert calc.figures_hash(values) != calc.figures_hash({**values, "shu": 1_000_001})
    assert len(calc.figures_hash(values)) == 66


# --- Hypothesis ------------------------------------------------------------------------

splits = st.lists(st.integers(0, 10_000), min_size=6, max_size=6).map(sorted).map(
    lambda cuts: [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)])
bases = st.dictionaries(st.integers(1, 10**9), st.integers(0, 10**15), max_size=40)


@given(pool=st.integers(0, 10**15), bases=bases)
def test_largest_remainder_is_exact_non_negative_and_monotone(pool, bases):
    shares = largest_remainder(pool, bases)
    assert set(shares) == set(bases)
    assert sum(shares.values()) == (pool if sum(bases.values()) else 0)
    assert all(s >= 0 for s in shares.values())
    for a in bases:
        for b in bases:
            if bases[a] > bases[b]:
                assert shares[a] >= shares[b]
    if sum(bases.values()):
        total = sum(bases.values())
        assert all(abs(shares[k] - Fraction(pool * bases[k], total)) < 1 for k in bases)


@given(shu=st.integers(0, 10**14), cuts=splits, jua=st.integers(0, 10_000),
       members=st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 10**10)),
                        max_size=30))
@example(shu=1001, cuts=[0, 10_000, 0, 0, 0, 0, 0], jua=0, members=[(1, 0), (1, 1)])
def test_pools_and_shares_are_exact_for_any_split_summing_to_100_percent(
        shu, cuts, jua, members):
    split = dict(zip(calc.POOLS, cuts, strict=True))
    pools = pools_of(shu, split, jua)
    assert sum(pools.amounts.values()) == shu
    assert pools.jasa_usaha + pools.jasa_modal == pools.amounts["jasa_anggota"]
    inputs = [MemberInput(n + 1, sa, va) for n, (sa, va) in enumerate(members)]
    alloc = calc.allocate(pools, inputs)
    assert alloc.members_total + alloc.remainder == pools.amounts["jasa_anggota"]
    assert all(s >= 0 for s in alloc.shares.values()) and alloc.remainder >= 0
    if alloc.vuk and alloc.tms:
        assert alloc.remainder == 0
    # A base only counts while its part has rupiah to share: with JUA 0 the interest paid
    # weighs nothing, so (Sa 1, Va 0) and (Sa 1, Va 1) are equal bases and the tie-break
    # (the smaller member number) decides.
    interest_counts = pools.jasa_usaha > 0 and alloc.vuk > 0
    savings_counts = pools.jasa_modal > 0 and alloc.tms > 0

    def base(m: MemberInput) -> tuple[int, int]:
        return (m.savings_base if savings_counts else 0,
                m.interest_paid if interest_counts else 0)

    for a in inputs:  # more savings and more interest never get less
        for b in inputs:
            if a.savings_base >= b.savings_base and a.interest_paid >= b.interest_paid:
                assert alloc.shares[a.member] >= alloc.shares[b.member] or base(a) == base(b)


@given(shu=st.integers(0, 10**12), jua=st.integers(0, 10_000),
       sa=st.integers(0, 10**12), va=st.integers(0, 10**10),
       others=st.tuples(st.integers(0, 10**12), st.integers(0, 10**10)))
def test_exact_sen_is_the_formula_rounded_half_up_to_the_sen(shu, jua, sa, va, others):
    pools = pools_of(shu, DEFAULT, jua)
    member = MemberInput(1, sa, va)
    vuk, tms = va + others[1], sa + others[0]
    exact = calc.exact_share(pools, vuk, tms, member)
    assert calc.exact_sen(pools, vuk, tms, member) == round_half_up(exact * 100)
