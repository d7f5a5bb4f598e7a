"""The worked RAT without a chain (issue #12; the story is in tests/rat/story.py): notices,
proxies with one revoked, a key replaced mid-window, online and paper votes, results and
the elected pengurus, with every figure worked out by hand."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ksp.chain.outbox import OutboxItem, OutboxKind
from ksp.core import clock
from ksp.ledger.models import LogEntry
from ksp.notifications.models import Notification
from ksp.rat import service
from ksp.rat.models import MeetingStatus
from tests.rat import story
from tests.rat.conftest import HELD_AT, VOTING_END, Coop, announced_meeting


def test_the_worked_meeting_without_chain(coop: Coop) -> None:
    meeting, items = announced_meeting(coop)
    with coop.factory() as session:
        notices = list(session.scalars(select(Notification)))
        kinds = [o.kind for o in session.scalars(select(OutboxItem).where(
            OutboxItem.ref.like("rat:%")).order_by(OutboxItem.id))]
    assert len(notices) == 30 and all(n.template == "rat.undangan" for n in notices)
    assert "Jumat, 20 November 2026 pukul 09.00 WIB" in notices[0].body
    assert kinds == [OutboxKind.CREATE_MEETING] + [OutboxKind.ADD_PROPOSAL] * 3

    story.appoint_proxies(coop, meeting)
    clock.freeze(HELD_AT)
    story.vote_online(coop, meeting, items)
    story.attend(coop, meeting)
    clock.freeze(VOTING_END + dt.timedelta(minutes=5))
    coop.run(lambda s: service.request_finalize(s, meeting.id, actor="ketua"))
    story.count_paper(coop, meeting)
    coop.run(lambda s: service.record_results(s, meeting.id, actor="ketua"))

    story.assert_worked_results(story.results(coop, meeting))
    with coop.factory() as session:
        officers = service.officers_of(session, meeting.id)
        status = service.get_meeting(session, meeting.id).status
        kinds_in_log = list(session.scalars(select(LogEntry.kind).where(
            LogEntry.kind.like("rat.%")).order_by(LogEntry.seq)))
        ballots = list(session.scalars(select(OutboxItem).where(
            OutboxItem.kind.in_([OutboxKind.CAST_BALLOT, OutboxKind.CAST_PROXY_BALLOT]))))
    assert [(o.member_number, o.role.value, o.term_from, o.term_to) for o in officers] == [
        (n, "pengurus", dt.date(2026, 11, 20), dt.date(2031, 11, 19)) for n in (1, 2, 3)]
    assert status is MeetingStatus.DECIDED
    assert kinds_in_log.count("rat.hasil") == 3 and kinds_in_log.count("rat.pejabat_terpilih") == 1
    assert kinds_in_log.count("rat.kuasa_dicabut") == 1
    assert kinds_in_log.count("rat.suara_langsung") == 3 and kinds_in_log.count("rat.hadir") == 6
    assert len(ballots) == 66  # 22 online ballots on each of 3 items, one outbox row each
    assert sum(o.kind is OutboxKind.CAST_PROXY_BALLOT for o in ballots) == 9
