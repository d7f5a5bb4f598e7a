"""Bad input, each refused with its 4xx code before anything is stored or queued for the
chain: a ballot after close, a double ballot, a non-member, a proxy over the AD/ART limit, a
ballot for a different item text, a meeting announced with too short a notice; and paper
counts above attendance, or co-signed by the chair."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.errors import KspError
from ksp.core.settings import Settings
from ksp.members import service as members
from ksp.rat import service
from ksp.rat.models import AttendanceHow
from tests.rat.conftest import (
    HELD_AT,
    TODAY,
    VOTING_END,
    VOTING_START,
    Coop,
    announced_meeting,
    draft,
    make_coop,
)


def refused(coop: Coop, code: str, status: int, action: Callable[[], Any]) -> KspError:
    before = coop.rows()
    with pytest.raises(KspError) as caught:
        action()
    assert (caught.value.code, caught.value.status) == (code, status)
    assert caught.value.render_id() and caught.value.render_en()
    assert coop.rows() == before
    return caught.value


@pytest.fixture
def small(settings: Settings) -> Coop:
    return make_coop(settings, size=6)


def test_meeting_with_notice_shorter_than_the_adart_is_refused(small: Coop) -> None:
    # Voting would start on 14 November: 13 days from 1 November, the AD/ART asks 14.
    short = draft(voting_start=dt.datetime(2026, 11, 14, 1, tzinfo=dt.UTC),
                  held_at=dt.datetime(2026, 11, 14, 2, tzinfo=dt.UTC),
                  voting_end=dt.datetime(2026, 11, 14, 8, tzinfo=dt.UTC))
    error = refused(small, "rat_notice_too_short", 422, lambda: small.run(
        lambda s: service.create_meeting(s, short, actor="ketua")))
    assert error.details == {"start": "2026-11-14", "days": 13, "required": 14}
    exact = draft(voting_start=dt.datetime(2026, 11, 15, 1, tzinfo=dt.UTC),
                  held_at=dt.datetime(2026, 11, 15, 2, tzinfo=dt.UTC),
                  voting_end=dt.datetime(2026, 11, 15, 8, tzinfo=dt.UTC))
    assert small.run(lambda s: service.create_meeting(s, exact, actor="ketua")).id == 1


def test_ballot_before_open_and_after_close_is_refused(small: Coop) -> None:
    meeting, (lpj, _shu, _election) = announced_meeting(small)
    refused(small, "rat_voting_not_open", 409, lambda: small.ballot(meeting.id, lpj, 1, 1))
    clock.freeze(VOTING_START - dt.timedelta(seconds=1))
    refused(small, "rat_voting_not_open", 409, lambda: small.ballot(meeting.id, lpj, 1, 1))
    clock.freeze(VOTING_END)  # the window is [start, end)
    refused(small, "rat_voting_not_open", 409, lambda: small.ballot(meeting.id, lpj, 1, 1))
    clock.freeze(VOTING_START)
    assert small.ballot(meeting.id, lpj, 1, 1).member_number == 1


def test_second_ballot_on_an_item_is_refused_and_the_first_stands(small: Coop) -> None:
    meeting, (lpj, shu, _election) = announced_meeting(small)
    clock.freeze(HELD_AT)
    first = small.ballot(meeting.id, lpj, 2, 1)
    error = refused(small, "rat_already_voted", 409, lambda: small.ballot(meeting.id, lpj, 2, 0))
    assert error.details == {"member": 2, "position": 0}
    assert small.ballot(meeting.id, shu, 2, 0).id == first.id + 1  # other items stay open


def test_ballot_of_a_non_member_is_refused(settings: Settings, small: Coop) -> None:
    meeting, (lpj, _shu, _election) = announced_meeting(small)
    with transaction(small.factory) as session:
        member = members.get_member(session, 6)
        members.mark_exited(session, member, on=TODAY.date())
    clock.freeze(HELD_AT)
    refused(small, "rat_not_eligible", 403, lambda: small.ballot(meeting.id, lpj, 6, 1))
    # A key that belongs to no member signs for member 5: the signer is not member 5's wallet.
    small.keys[5], real = small.keys[6], small.keys[5]
    refused(small, "rat_signer_mismatch", 403, lambda: small.ballot(meeting.id, lpj, 5, 1))
    small.keys[5] = real
    assert small.ballot(meeting.id, lpj, 5, 1).cast_by == 5


def test_ballot_for_a_different_item_text_is_refused(small: Coop) -> None:
    meeting, (lpj, shu, _election) = announced_meeting(small)
    clock.freeze(HELD_AT)
    error = refused(small, "rat_content_hash_mismatch", 409, lambda: small.ballot(
        meeting.id, lpj, 3, 1, content_hash=shu.content_hash))
    assert error.details["expected"] == lpj.content_hash


def test_proxy_over_the_adart_limit_is_refused(small: Coop) -> None:
    meeting, _items = announced_meeting(small)
    small.appoint(meeting, 2, 1)
    small.accept(meeting, 2, 1)
    # The default AD/ART lets a proxy hold one principal: member 1 is full.
    error = refused(small, "rat_proxy_limit", 409, lambda: small.appoint(meeting, 3, 1))
    assert error.details == {"proxy": 1, "count": 1, "limit": 1}
    # An appointment never accepted fills no quota: 4 -> 5 pending does not stop 3 -> 5.
    small.appoint(meeting, 4, 5)
    small.appoint(meeting, 3, 5)
    small.accept(meeting, 3, 5)
    refused(small, "rat_proxy_limit", 409, lambda: small.accept(meeting, 4, 5))


def test_revoked_proxy_cannot_vote_and_used_proxy_cannot_be_revoked(small: Coop) -> None:
    meeting, (lpj, _shu, _election) = announced_meeting(small)
    small.appoint(meeting, 2, 1)
    small.accept(meeting, 2, 1)
    small.appoint(meeting, 4, 3)
    small.accept(meeting, 4, 3)
    small.revoke(meeting, 2)
    # A revocation is final for the meeting: no new appointment, to anyone.
    refused(small, "rat_proxy_state", 409, lambda: small.appoint(meeting, 2, 5))
    clock.freeze(HELD_AT)
    refused(small, "rat_proxy_not_found", 404,
            lambda: small.ballot(meeting.id, lpj, 1, 1, principal=2))
    # Member 4 still has a proxy: they must revoke before voting themself.
    refused(small, "rat_proxy_state", 409, lambda: small.ballot(meeting.id, lpj, 4, 1))
    small.ballot(meeting.id, lpj, 3, 0, principal=4)
    refused(small, "rat_proxy_state", 409, lambda: small.revoke(meeting, 4))
    assert small.ballot(meeting.id, lpj, 2, 1).cast_by == 2


def test_paper_counts_above_attendance_or_cosigned_by_the_chair_are_refused(
        small: Coop) -> None:
    meeting, (lpj, _shu, _election) = announced_meeting(small)
    clock.freeze(HELD_AT)
    small.ballot(meeting.id, lpj, 1, 1)
    for n in (1, 2, 3):
        small.run(lambda s, n=n: service.record_attendance(
            s, meeting.id, member=n, how=AttendanceHow.IN_PERSON, actor="sekretaris"))
    # Paper counts wait for online voting to close, so "not voted online" is final.
    refused(small, "rat_voting_not_closed", 409, lambda: small.run(
        lambda s: service.record_counts(s, meeting.id, position=0, ballots=2,
                                        counts=[0, 2, 0], overridden=[], chair="ketua")))
    clock.freeze(VOTING_END)
    # Present 1, 2, 3; member 1 voted online: two paper ballots, or three if 1's is replaced.
    error = refused(small, "rat_counts_exceed_attendance", 409, lambda: small.run(
        lambda s: service.record_counts(s, meeting.id, position=0, ballots=3,
                                        counts=[0, 3, 0], overridden=[], chair="ketua")))
    assert error.details == {"position": 0, "ballots": 3, "allowed": 2}
    refused(small, "rat_counts_invalid", 422, lambda: small.run(
        lambda s: service.record_counts(s, meeting.id, position=0, ballots=2,
                                        counts=[0, 3, 0], overridden=[], chair="ketua")))
    refused(small, "rat_counts_invalid", 422, lambda: small.run(
        lambda s: service.record_counts(s, meeting.id, position=0, ballots=3,
                                        counts=[0, 3, 0], overridden=[4], chair="ketua")))
    small.run(lambda s: service.record_counts(s, meeting.id, position=0, ballots=3,
                                              counts=[0, 3, 0], overridden=[1], chair="ketua"))
    refused(small, "rat_cosign_same_user", 403, lambda: small.run(
        lambda s: service.cosign_counts(s, meeting.id, position=0, pengawas="ketua")))
    assert small.run(lambda s: service.cosign_counts(
        s, meeting.id, position=0, pengawas="pengawas1")).seq is not None
