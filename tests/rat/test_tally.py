"""The pure arithmetic of a RAT result (ksp.rat.tally): properties over many counts, and the
threshold and tie rules at their exact edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.rat import tally
from ksp.rat.tally import Shape, TallyError

YES_NO = Shape()


@st.composite
def election_ballots(draw: st.DrawFn) -> tuple[Shape, list[int]]:
    candidates = draw(st.integers(1, 8))
    seats = draw(st.integers(1, candidates))
    choice = st.sets(st.integers(0, candidates - 1), max_size=seats).map(
        lambda s: sum(1 << i for i in s))
    return Shape(candidates, seats), draw(st.lists(choice, max_size=40))


@given(election_ballots())
def test_election_counts_are_never_negative_and_agree_with_the_ballots(
        case: tuple[Shape, list[int]]) -> None:
    shape, choices = case
    counts = tally.counts_of(shape, choices)
    assert len(counts) == shape.candidates + 1 and min(counts) >= 0
    assert counts[-1] == choices.count(0)
    assert sum(counts[:-1]) == sum(c.bit_count() for c in choices)
    # The same ballots, counted as paper, pass the paper checks.
    tally.check_paper_counts(shape, len(choices), counts)


@given(st.lists(st.integers(0, 2), max_size=50), st.data())
def test_replacing_online_ballots_by_paper_keeps_one_vote_per_member(
        online: list[int], data: st.DataObject) -> None:
    replaced_members = data.draw(st.sets(st.integers(0, max(len(online) - 1, 0)))
                                 if online else st.just(set()))
    paper_choices = data.draw(st.lists(st.integers(0, 2), min_size=len(replaced_members),
                                       max_size=len(replaced_members) + 10))
    total = tally.combine(tally.counts_of(YES_NO, online),
                          tally.counts_of(YES_NO, (online[i] for i in replaced_members)),
                          tally.counts_of(YES_NO, paper_choices))
    assert min(total) >= 0
    assert sum(total) == len(online) - len(replaced_members) + len(paper_choices)


def test_combine_refuses_replacing_more_than_was_cast() -> None:
    with pytest.raises(TallyError):
        tally.combine([1, 0, 0], [0, 1, 0], [0, 1, 0])


@given(st.sets(st.integers(1, 60)), st.sets(st.integers(1, 60)), st.booleans(), st.data())
def test_paper_allowance_is_present_minus_online_plus_replaced(
        present: set[int], online: set[int], overrides: bool, data: st.DataObject) -> None:
    both = sorted(present & online)
    replaced = set(data.draw(st.lists(st.sampled_from(both), unique=True))) if both and \
        overrides else set()
    allowed = tally.paper_allowance(present, online, replaced, overrides)
    assert allowed == len(present - online) + len(replaced)
    assert 0 <= allowed <= len(present)


def test_paper_allowance_refuses_strangers_and_overrides_the_adart_forbids() -> None:
    with pytest.raises(TallyError):
        tally.paper_allowance({1, 2}, {2, 3}, {3}, True)  # 3 voted online but is absent
    with pytest.raises(TallyError):
        tally.paper_allowance({1, 2}, {2, 3}, {1}, True)  # 1 did not vote online
    with pytest.raises(TallyError):
        tally.paper_allowance({1, 2}, {2, 3}, {2}, False)
    assert tally.paper_allowance({1, 2}, {2, 3}, set(), False) == 1


@given(st.integers(0, 10_000), st.integers(1, 10_000), st.integers(0, 9_999))
def test_motion_passes_exactly_when_for_is_more_than_the_threshold_share(
        votes_for: int, base: int, threshold: int) -> None:
    votes_for = min(votes_for, base)
    from fractions import Fraction
    assert tally.motion_passes(votes_for, base, threshold) is (
        Fraction(votes_for, base) > Fraction(threshold, tally.BPS))


@pytest.mark.parametrize(("votes_for", "base", "bps", "passes"), [
    (14, 28, 5000, False),  # exactly half is no majority
    (15, 28, 5000, True),
    (2, 3, 6666, True),  # 2 of 3 is "at least 2/3"
    (3333, 5000, 6666, False),  # 66.66%: below 2/3
    (3334, 5001, 6666, True),  # 66.67%
    (0, 0, 5000, False),  # nobody voted: nothing passes
])
def test_threshold_edges(votes_for: int, base: int, bps: int, passes: bool) -> None:
    assert tally.motion_passes(votes_for, base, bps) is passes


@pytest.mark.parametrize(("participants", "eligible", "reached"), [
    (15, 30, True), (14, 30, False), (0, 0, False), (1, 1, True)])
def test_quorum_at_least_half_of_the_eligible(participants: int, eligible: int,
                                              reached: bool) -> None:
    assert tally.quorum_reached(participants, eligible, 5000) is reached


@given(st.lists(st.integers(0, 20), min_size=1, max_size=10), st.data())
def test_election_elects_the_most_voted_or_sends_ties_to_a_run_off(
        votes: list[int], data: st.DataObject) -> None:
    seats = data.draw(st.integers(1, len(votes)))
    outcome = tally.elect(votes, seats)
    if not outcome.tied:
        assert len(outcome.elected) == seats
        assert min(votes[i] for i in outcome.elected) >= max(
            [votes[i] for i in range(len(votes)) if i not in outcome.elected], default=0)
    else:
        cutoff = votes[outcome.tied[0]]
        assert all(votes[i] == cutoff for i in outcome.tied)
        assert all(votes[i] > cutoff for i in outcome.elected)
        assert len(outcome.elected) < seats < len(outcome.elected) + len(outcome.tied)


def test_a_tie_for_the_last_seat_is_not_broken_by_list_order() -> None:
    assert tally.elect([15, 13, 13, 12, 10], 3) == tally.Election((0, 1, 2), ())
    assert tally.elect([15, 13, 12, 12, 10], 3) == tally.Election((0, 1), (2, 3))


def test_choices_outside_the_item_are_invalid() -> None:
    assert [tally.valid_choice(YES_NO, c) for c in (-1, 0, 2, 3)] == [False, True, True, False]
    three_of_five = Shape(5, 3)
    assert tally.valid_choice(three_of_five, 0b00111)
    assert not tally.valid_choice(three_of_five, 0b01111)  # four marks for three seats
    assert not tally.valid_choice(three_of_five, 1 << 5)  # no sixth candidate
