"""Results at the rules' edges, without a chain: a paper vote replacing an online ballot
(in person overrides online), a quorum not reached, an election tied for the last seat."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from ksp.core import clock
from ksp.core.settings import Settings
from ksp.rat import service
from ksp.rat.models import AttendanceHow, ItemKind, Office
from tests.rat.conftest import HELD_AT, VOTING_END, Coop, draft, make_coop


@pytest.fixture
def small(settings: Settings) -> Coop:
    return make_coop(settings, size=6)


def meeting_with(coop: Coop, *drafts: service.ItemDraft) -> tuple[Any, list[Any]]:
    meeting = coop.run(lambda s: service.create_meeting(s, draft(), actor="ketua"))
    items = [coop.run(lambda s, d=d: service.add_item(s, meeting.id, d)) for d in drafts]
    coop.run(lambda s: service.announce(s, meeting.id, actor="ketua"))
    return coop.run(lambda s: service.get_meeting(s, meeting.id)), items


def close_and_count(coop: Coop, meeting: Any, present: list[int],
                    paper: dict[int, tuple[int, list[int], list[int]]],
                    **results: Any) -> dict[int, dict[str, Any]]:
    for n in present:
        coop.run(lambda s, n=n: service.record_attendance(
            s, meeting.id, member=n, how=AttendanceHow.IN_PERSON, actor="sekretaris"))
    clock.freeze(VOTING_END + dt.timedelta(minutes=1))
    coop.run(lambda s: service.request_finalize(s, meeting.id, actor="ketua"))
    for position, (ballots, counts, overridden) in paper.items():
        coop.run(lambda s, p=position, b=ballots, c=counts, o=overridden: service.record_counts(
            s, meeting.id, position=p, ballots=b, counts=c, overridden=o, chair="ketua"))
        coop.run(lambda s, p=position: service.cosign_counts(s, meeting.id, position=p,
                                                             pengawas="pengawas1"))
    coop.run(lambda s: service.record_results(s, meeting.id, actor="ketua", **results))
    with coop.factory() as session:
        return {i.position: json.loads(r.data)
                for i, r in service.results_of(session, meeting.id)}


MOTION = service.ItemDraft(ItemKind.MOTION, "Usul", "Usul anggota tentang jam layanan.")


def test_a_paper_vote_replaces_the_members_online_ballot(small: Coop) -> None:
    meeting, (motion,) = meeting_with(small, MOTION)
    clock.freeze(HELD_AT)
    for n in (1, 2, 3):
        small.ballot(meeting.id, motion, n, 1)
    # 1 (voted online for) and 4 come to the hall; both vote against on paper.
    found = close_and_count(small, meeting, [1, 4], {0: (2, [2, 0, 0], [1])})
    assert (found[0]["online"], found[0]["replaced"], found[0]["in_person"],
            found[0]["total"]) == ([0, 3, 0], [0, 1, 0], [2, 0, 0], [2, 2, 0])
    assert (found[0]["participants"], found[0]["decision"]) == (4, "ditolak")


def test_a_ballot_the_chain_skipped_is_not_taken_out_again(small: Coop) -> None:
    meeting, (motion,) = meeting_with(small, MOTION)
    clock.freeze(HELD_AT)
    for n in (1, 2, 3):
        small.ballot(meeting.id, motion, n, 1)
    # The chain counted 2 and 3 only (member 1's ballot was skipped): its tally is [0, 2, 0].
    found = close_and_count(small, meeting, [1, 4], {0: (2, [1, 1, 0], [1])},
                            online={0: [0, 2, 0]}, counted=lambda _p, member: member != 1)
    assert (found[0]["replaced"], found[0]["total"]) == ([0, 0, 0], [1, 3, 0])
    assert found[0]["decision"] == "diterima"


def test_without_quorum_nothing_is_decided(small: Coop) -> None:
    meeting, (motion,) = meeting_with(small, MOTION)
    clock.freeze(HELD_AT)
    small.ballot(meeting.id, motion, 1, 1)
    small.ballot(meeting.id, motion, 2, 1)
    found = close_and_count(small, meeting, [], {})
    # 2 of 6 took part: below the default quorum of 50%.
    assert (found[0]["participants"], found[0]["eligible"]) == (2, 6)
    assert (found[0]["quorum_reached"], found[0]["decision"]) == (False, "tidak_kuorum")


def test_a_tie_for_the_last_seat_goes_to_a_run_off_and_elects_nobody_yet(small: Coop) -> None:
    election = service.ItemDraft(ItemKind.ELECTION, "Pengawas", "Satu kursi pengawas.",
                                 office=Office.PENGAWAS, seats=1, candidates=[5, 6])
    meeting, (item,) = meeting_with(small, election)
    clock.freeze(HELD_AT)
    for n, choice in ((1, 0b01), (2, 0b01), (3, 0b10), (4, 0b10)):
        small.ballot(meeting.id, item, n, choice)
    found = close_and_count(small, meeting, [], {})
    assert (found[0]["total"], found[0]["decision"]) == ([2, 2, 0], "seri")
    assert (found[0]["elected"], found[0]["tied"]) == ([], [5, 6])
    with small.factory() as session:
        assert service.officers_of(session, meeting.id) == []
