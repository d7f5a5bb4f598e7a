"""The worked RAT without a chain (issue #12): 30 members, 3 items (LPJ, SHU split, election
of 3 pengurus from 5). 18 vote online, 4 by proxy (member 22 revokes and votes themself),
6 in person, 2 stay away. Every figure below is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from ksp.chain.outbox import OutboxItem, OutboxKind
from ksp.core import clock
from ksp.ledger.models import LogEntry
from ksp.notifications.models import Notification
from ksp.rat import service
from ksp.rat.models import AttendanceHow, MeetingStatus
from tests.rat.conftest import HELD_AT, VOTING_END, Coop, announced_meeting

FOR, AGAINST, ABSTAIN = 1, 0, 2
C = [1 << i for i in range(5)]  # candidate bits: members 1..5 in list order


def log_kinds(coop: Coop) -> list[str]:
    with coop.factory() as session:
        return list(session.scalars(select(LogEntry.kind).where(LogEntry.kind.like("rat.%"))
                                    .order_by(LogEntry.seq)))


def test_the_worked_meeting_without_chain(coop: Coop) -> None:
    meeting, items = announced_meeting(coop)
    lpj, shu, election = items
    with coop.factory() as session:
        notices = list(session.scalars(select(Notification)))
        kinds = [o.kind for o in session.scalars(select(OutboxItem).where(
            OutboxItem.ref.like("rat:%")).order_by(OutboxItem.id))]
    assert len(notices) == 30 and all(n.template == "rat.undangan" for n in notices)
    assert "Jumat, 20 November 2026 pukul 09.00 WIB" in notices[0].body
    assert kinds == [OutboxKind.CREATE_MEETING] + [OutboxKind.ADD_PROPOSAL] * 3

    # Proxies: 19..22 appoint 1..4; 22 revokes before use and votes themself.
    for principal, proxy in ((19, 1), (20, 2), (21, 3), (22, 4)):
        coop.appoint(meeting, principal, proxy)
        coop.accept(meeting, principal, proxy)
    coop.revoke(meeting, 22)

    clock.freeze(HELD_AT)
    # LPJ: 1..14 for, 15..16 against, 17..18 abstain; proxies vote for 19..21; 22 against.
    for n in range(1, 19):
        coop.ballot(meeting.id, lpj, n, FOR if n <= 14 else AGAINST if n <= 16 else ABSTAIN)
    for principal, proxy in ((19, 1), (20, 2), (21, 3)):
        coop.ballot(meeting.id, lpj, proxy, FOR, principal=principal)
    coop.ballot(meeting.id, lpj, 22, AGAINST)
    # SHU: 1..8 for, 9..18 against; the proxies against; 22 for.
    for n in range(1, 19):
        coop.ballot(meeting.id, shu, n, FOR if n <= 8 else AGAINST)
    for principal, proxy in ((19, 1), (20, 2), (21, 3)):
        coop.ballot(meeting.id, shu, proxy, AGAINST, principal=principal)
    coop.ballot(meeting.id, shu, 22, FOR)
    # Election: 1..6 mark {1,2,3}; 7..12 {1,2,4}; 13..18 {4,5}; proxies {1,3}; 22 blank.
    for n in range(1, 19):
        choice = (C[0] | C[1] | C[2] if n <= 6 else C[0] | C[1] | C[3] if n <= 12
                  else C[3] | C[4])
        coop.ballot(meeting.id, election, n, choice)
    for principal, proxy in ((19, 1), (20, 2), (21, 3)):
        coop.ballot(meeting.id, election, proxy, C[0] | C[2], principal=principal)
    coop.ballot(meeting.id, election, 22, 0)

    for n in range(23, 29):
        coop.run(lambda s, n=n: service.record_attendance(
            s, meeting.id, member=n, how=AttendanceHow.QR, actor="sekretaris"))

    clock.freeze(VOTING_END + dt.timedelta(minutes=5))
    coop.run(lambda s: service.request_finalize(s, meeting.id, actor="ketua"))
    paper = {0: (6, [1, 4, 1]),  # against, for, abstain
             1: (6, [1, 5, 0]),
             2: (6, [0, 1, 4, 0, 4, 2])}  # 4 marked ballots, 9 marks, 2 blank
    for position, (ballots, counts) in paper.items():
        coop.run(lambda s, p=position, b=ballots, c=counts: service.record_counts(
            s, meeting.id, position=p, ballots=b, counts=c, overridden=[], chair="ketua"))
        coop.run(lambda s, p=position: service.cosign_counts(s, meeting.id, position=p,
                                                             pengawas="pengawas1"))
    coop.run(lambda s: service.record_results(s, meeting.id, actor="ketua"))

    with coop.factory() as session:
        results = {i.position: json.loads(r.data)
                   for i, r in service.results_of(session, meeting.id)}
        officers = service.officers_of(session, meeting.id)
        status = service.get_meeting(session, meeting.id).status
    # 18 + 3 by proxy + 22 online, 6 in person: 28 of 30 eligible, quorum 50% reached.
    assert {(r["participants"], r["eligible"], r["quorum_reached"])
            for r in results.values()} == {(28, 30, True)}
    # LPJ online [3, 17, 2] + paper [1, 4, 1] = [4, 21, 3]; 21 of 25 is more than half.
    assert results[0]["online"] == [3, 17, 2] and results[0]["total"] == [4, 21, 3]
    assert (results[0]["base"], results[0]["decision"]) == (25, "diterima")
    # SHU online [13, 9, 0] + paper [1, 5, 0] = [14, 14, 0]: exactly half is not a majority.
    assert results[1]["total"] == [14, 14, 0]
    assert (results[1]["base"], results[1]["decision"]) == (28, "ditolak")
    # Election online: c1 6+6+3=15, c2 12, c3 6+3=9, c4 12, c5 6, blank 1; + paper.
    assert results[2]["online"] == [15, 12, 9, 12, 6, 1]
    assert results[2]["total"] == [15, 13, 13, 12, 10, 3]
    assert (results[2]["decision"], results[2]["elected"]) == ("terpilih", [1, 2, 3])
    assert [(o.member_number, o.role.value, o.term_from, o.term_to) for o in officers] == [
        (n, "pengurus", dt.date(2026, 11, 20), dt.date(2031, 11, 19)) for n in (1, 2, 3)]
    assert status is MeetingStatus.DECIDED
    kinds = log_kinds(coop)
    assert kinds.count("rat.hasil") == 3 and kinds.count("rat.pejabat_terpilih") == 1
    assert kinds.count("rat.kuasa_dicabut") == 1 and kinds.count("rat.suara_langsung") == 3
    with coop.factory() as session:
        ballots = list(session.scalars(select(OutboxItem).where(
            OutboxItem.kind.in_([OutboxKind.CAST_BALLOT, OutboxKind.CAST_PROXY_BALLOT]))))
    assert len(ballots) == 66  # 22 online ballots on each of 3 items, one row each
    assert sum(o.kind is OutboxKind.CAST_PROXY_BALLOT for o in ballots) == 9
