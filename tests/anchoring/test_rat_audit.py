"""The audit's RAT check on hand-made export entries (the worked meeting's figures; the real
chain's side is in tests/rat/test_chain_meeting.py): each finding names the meeting and the
item, and an untouched meeting gives none."""

from __future__ import annotations

from typing import Any

from ksp.anchoring.verify.rat import RatCheck

PRESENT = list(range(23, 29))  # six members in the hall
ONLINE = set(range(1, 23))  # 22 online voters on each item
TALLIES = {0: [3, 17, 2], 1: [13, 9, 0]}


class FakeChain:
    def __init__(self, tallies: dict[int, list[int]] | None = None,
                 voters: set[int] | None = None) -> None:
        self._tallies = TALLIES if tallies is None else tallies
        self._voters = ONLINE if voters is None else voters
        self.finalized = True

    def tallies(self, meeting: int, positions: list[int]) -> dict[int, list[int]] | None:
        return {p: self._tallies[p] for p in positions} if self.finalized else None

    def voters(self, meeting: int, position: int) -> set[int]:
        return set(self._voters)


def _entries(paper_ballots: int = 6, online0: list[int] | None = None,
             present: list[int] | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    seq = 0
    out: list[tuple[int, str, dict[str, Any]]] = []

    def add(kind: str, data: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        out.append((seq, kind, {"seq": seq, "kind": kind, "data": data}))

    for n in PRESENT if present is None else present:
        add("rat.hadir", {"meeting": 1, "member": n, "how": "qr"})
    paper = {0: [1, 4, 1], 1: [1, 5, 0]}
    for position, counts in paper.items():
        add("rat.suara_langsung", {"meeting": 1, "position": position, "counts": counts,
                                   "ballots": paper_ballots if position == 0 else 6,
                                   "overridden": [], "present": 6})
    online = {0: online0 or [3, 17, 2], 1: [13, 9, 0]}
    for position, counts in paper.items():
        total = [o + p for o, p in zip(online[position], counts, strict=True)]
        add("rat.hasil", {"meeting": 1, "position": position, "kind": "lpj",
                          "online": online[position], "replaced": [0, 0, 0],
                          "in_person": counts, "total": total})
    return out


def _findings(entries: list[tuple[int, str, dict[str, Any]]],
              chain: FakeChain | None = None) -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    check = RatCheck(chain if chain is not None else FakeChain())
    for seq, kind, value in entries:
        check.see(seq, seq, kind, value)
    check.finish(lambda code, seq, _line, msg_id, _msg_en: found.append((code, seq, msg_id)))
    return found


def test_an_untouched_meeting_has_no_finding() -> None:
    assert _findings(_entries()) == []


def test_a_changed_online_count_in_the_result_names_the_meeting_and_item() -> None:
    entries = _entries(online0=[3, 18, 2])
    [(code, seq, message)] = [f for f in _findings(entries) if f[0] == "rat_online_mismatch"]
    assert seq == 9  # the first rat.hasil entry
    assert message.startswith("RAT 1 acara no. 1 (posisi 0)")
    assert "[3, 18, 2]" in message and "[3, 17, 2]" in message


def test_a_total_that_does_not_add_up_is_named() -> None:
    entries = _entries()
    entries[-1][2]["data"]["total"] = [14, 15, 0]
    assert [(c, s) for c, s, _ in _findings(entries)] == [("rat_total_mismatch", 10)]


def test_paper_ballots_above_the_members_present_not_voting_online_are_named() -> None:
    # 6 present, none voted online: 7 paper ballots on item 0 cannot be.
    entries = _entries(paper_ballots=7)
    [(code, seq, message)] = _findings(entries)
    assert (code, seq) == ("rat_paper_exceeds_attendance", 7)
    assert "acara no. 1" in message and "melebihi 6" in message


def test_a_present_member_who_voted_online_lowers_the_allowance() -> None:
    # Member 23 is present but also voted online, with no override: 5 may vote on paper.
    chain = FakeChain(voters=ONLINE | {23})
    found = _findings(_entries(), chain)
    assert [(c, s) for c, s, _ in found] == [("rat_paper_exceeds_attendance", 7),
                                              ("rat_paper_exceeds_attendance", 8)]


def test_without_the_chain_the_cap_is_the_members_present() -> None:
    entries = _entries(present=PRESENT[:5])
    check = RatCheck(None)
    found: list[str] = []
    for seq, kind, value in entries:
        check.see(seq, seq, kind, value)
    check.finish(lambda code, *_: found.append(code))
    assert found == ["rat_paper_exceeds_attendance"] * 2


def test_a_meeting_not_finalized_on_chain_is_named() -> None:
    chain = FakeChain()
    chain.finalized = False
    assert [c for c, _, _ in _findings(_entries(), chain)] == ["rat_not_finalized"]


def test_in_person_votes_in_a_result_without_a_cosigned_count_are_named() -> None:
    entries = [e for e in _entries() if not (e[1] == "rat.suara_langsung"
                                             and e[2]["data"]["position"] == 1)]
    assert [c for c, _, _ in _findings(entries)] == ["rat_paper_unsigned"]
