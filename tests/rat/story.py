"""The worked RAT of issue #12, step by step, shared by the test without a chain and the one
on a real Anvil: 30 members; LPJ, SHU split, election of 3 pengurus from 5 (members 1..5).
18 vote online (member 17's key is replaced after the first item and the new key votes on),
19..22 appoint 1..4 as proxies (22 revokes and votes themself), 23..28 vote in person,
29 and 30 stay away."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_account import Account

from ksp.core.errors import KspError
from ksp.members import keys
from ksp.rat import service
from ksp.rat.models import AttendanceHow
from tests.rat.conftest import Coop, announced_meeting

__all__ = ["announced_meeting"]

FOR, AGAINST, ABSTAIN = 1, 0, 2
C = [1 << i for i in range(5)]  # candidate bits: members 1..5 in list order
PROXIES = ((19, 1), (20, 2), (21, 3))
PAPER = {0: (6, [1, 4, 1]),  # against, for, abstain
         1: (6, [1, 5, 0]),
         2: (6, [0, 1, 4, 0, 4, 2])}  # 4 marked ballots with 9 marks, 2 blank


def appoint_proxies(coop: Coop, meeting: Any) -> None:
    for principal, proxy in (*PROXIES, (22, 4)):
        coop.appoint(meeting, principal, proxy)
        coop.accept(meeting, principal, proxy)
    coop.revoke(meeting, 22)


def replace_key(coop: Coop, number: int) -> Any:
    """The board replaces a member's lost key (maker-checker); returns the new account."""
    new = Account.create()
    proposal = coop.run(lambda s: keys.propose(s, member_number=number, new_address=new.address,
                                               reason="HP hilang", actor="admin",
                                               role="admin"))
    coop.run(lambda s: keys.approve(s, proposal_id=proposal.id, actor="ketua", role="pengurus"))
    return new


def vote_online(coop: Coop, meeting: Any, items: list[Any], between: Any = None) -> None:
    lpj, shu, election = items
    # LPJ: 1..14 for, 15..16 against, 17..18 abstain; proxies for 19..21; 22 against.
    for n in range(1, 19):
        coop.ballot(meeting.id, lpj, n, FOR if n <= 14 else AGAINST if n <= 16 else ABSTAIN)
    for principal, proxy in PROXIES:
        coop.ballot(meeting.id, lpj, proxy, FOR, principal=principal)
    coop.ballot(meeting.id, lpj, 22, AGAINST)
    old = coop.keys[17]
    coop.keys[17] = replace_key(coop, 17)
    if between is not None:
        between()
    coop.keys[17], new = old, coop.keys[17]
    with pytest.raises(KspError) as caught:  # the stolen key votes no more
        coop.ballot(meeting.id, shu, 17, FOR)
    assert caught.value.code == "rat_signer_mismatch"
    coop.keys[17] = new
    # SHU: 1..8 for, 9..18 against; the proxies against; 22 for.
    for n in range(1, 19):
        coop.ballot(meeting.id, shu, n, FOR if n <= 8 else AGAINST)
    for principal, proxy in PROXIES:
        coop.ballot(meeting.id, shu, proxy, AGAINST, principal=principal)
    coop.ballot(meeting.id, shu, 22, FOR)
    # Election: 1..6 mark {1,2,3}; 7..12 {1,2,4}; 13..18 {4,5}; proxies {1,3}; 22 blank.
    for n in range(1, 19):
        choice = (C[0] | C[1] | C[2] if n <= 6 else C[0] | C[1] | C[3] if n <= 12
                  else C[3] | C[4])
        coop.ballot(meeting.id, election, n, choice)
    for principal, proxy in PROXIES:
        coop.ballot(meeting.id, election, proxy, C[0] | C[2], principal=principal)
    coop.ballot(meeting.id, election, 22, 0)


def attend(coop: Coop, meeting: Any) -> None:
    for n in range(23, 29):
        coop.run(lambda s, n=n: service.record_attendance(
            s, meeting.id, member=n, how=AttendanceHow.QR, actor="sekretaris"))


def count_paper(coop: Coop, meeting: Any) -> None:
    for position, (ballots, counts) in PAPER.items():
        coop.run(lambda s, p=position, b=ballots, c=counts: service.record_counts(
            s, meeting.id, position=p, ballots=b, counts=c, overridden=[], chair="ketua"))
        coop.run(lambda s, p=position: service.cosign_counts(s, meeting.id, position=p,
                                                             pengawas="pengawas1"))


def results(coop: Coop, meeting: Any) -> dict[int, dict[str, Any]]:
    with coop.factory() as session:
        return {i.position: json.loads(r.data)
                for i, r in service.results_of(session, meeting.id)}


def assert_worked_results(found: dict[int, dict[str, Any]]) -> None:
    # 18 + 3 by proxy + 22 online, 6 in person: 28 of 30 eligible, quorum 50% reached.
    assert {(r["participants"], r["eligible"], r["quorum_reached"])
            for r in found.values()} == {(28, 30, True)}
    # LPJ online [3, 17, 2] + paper [1, 4, 1] = [4, 21, 3]; 21 of 25 is more than half.
    assert found[0]["online"] == [3, 17, 2] and found[0]["total"] == [4, 21, 3]
    assert (found[0]["base"], found[0]["decision"]) == (25, "diterima")
    # SHU online [13, 9, 0] + paper [1, 5, 0] = [14, 14, 0]: exactly half is not a majority.
    assert found[1]["online"] == [13, 9, 0] and found[1]["total"] == [14, 14, 0]
    assert (found[1]["base"], found[1]["decision"]) == (28, "ditolak")
    # Election online: c1 6+6+3=15, c2 12, c3 6+3=9, c4 12, c5 6, blank 1; + paper.
    assert found[2]["online"] == [15, 12, 9, 12, 6, 1]
    assert found[2]["total"] == [15, 13, 13, 12, 10, 3]
    assert (found[2]["decision"], found[2]["elected"]) == ("terpilih", [1, 2, 3])
