"""The RAT lines of the export, checked against each other and against RatVoting on chain.

For each meeting the export holds one `rat.hadir` entry per member present, the co-signed
paper counts (`rat.suara_langsung`) and one `rat.hasil` entry per item. The checks, each
finding naming the meeting and the item (docs/RAT.md, "What each party can check"):

- a result adds up: total = online − replaced + in_person, and its in-person part is the
  co-signed paper count of the item;
- the paper ballots of an item are at most the members present (the `rat.hadir` entries)
  who did not vote online on it, plus the members whose online ballot they replace
  (in person overrides online); without the chain, at most the members present;
- with RatVoting's address: the meeting is finalized on chain and each item's on-chain tally
  equals the result's `online` part; the online voters are the member numbers in the
  item's `BallotsCast` events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

RESULT_KIND = "rat.hasil"
ATTENDANCE_KIND = "rat.hadir"
PAPER_KIND = "rat.suara_langsung"

Add = Callable[[str, int, int, str, str], None]


class RatChain(Protocol):
    """What the check reads from RatVoting (see `chain_reader`)."""

    def tallies(self, meeting: int, positions: list[int]) -> dict[int, list[int]] | None: ...

    def voters(self, meeting: int, position: int) -> set[int]: ...


def chain_reader(w3: Any, address: str, from_block: int = 0) -> RatChain:
    """Reads RatVoting at `address` with the compiled ABI (no deployment file needed)."""
    from web3 import Web3

    from ksp.chain.compiler import load_artifact
    from ksp.chain.rat_reads import counted_ballots, finalized_tallies

    voting = w3.eth.contract(address=Web3.to_checksum_address(address),
                             abi=load_artifact("RatVoting").abi)

    class _Reader:
        def tallies(self, meeting: int, positions: list[int]) -> dict[int, list[int]] | None:
            return finalized_tallies(voting, meeting, positions)

        def voters(self, meeting: int, position: int) -> set[int]:
            return {number for number, _ in counted_ballots(voting, meeting, position,
                                                            from_block=from_block)}

    return _Reader()


def _where(meeting: int, position: int) -> tuple[str, str]:
    return (f"RAT {meeting} acara no. {position + 1} (posisi {position})",
            f"RAT {meeting} item no. {position + 1} (position {position})")


class RatCheck:
    def __init__(self, chain: RatChain | None = None) -> None:
        self.chain = chain
        self.present: dict[int, set[int]] = defaultdict(set)
        self.paper: dict[tuple[int, int], tuple[int, int, dict[str, Any]]] = {}
        self.results: dict[int, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)

    def see(self, seq: int, line: int, kind: str, value: dict[str, Any]) -> None:
        data = value.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("meeting"), int):
            return
        meeting = data["meeting"]
        if kind == ATTENDANCE_KIND and isinstance(data.get("member"), int):
            self.present[meeting].add(data["member"])
        elif kind == PAPER_KIND and isinstance(data.get("position"), int):
            self.paper[(meeting, data["position"])] = (seq, line, data)
        elif kind == RESULT_KIND and isinstance(data.get("position"), int):
            self.results[meeting].append((seq, line, data))

    def finish(self, add: Add) -> None:
        for meeting in sorted(self.results):
            try:
                self._meeting(meeting, add)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                seq, line, _ = self.results[meeting][0]
                add("rat_unreadable", seq, line,
                    f"hasil RAT {meeting} tidak dapat diperiksa ({type(exc).__name__}: {exc})",
                    f"the results of RAT {meeting} cannot be checked "
                    f"({type(exc).__name__}: {exc})")

    def _meeting(self, meeting: int, add: Add) -> None:
        results = self.results[meeting]
        positions = [data["position"] for _, _, data in results]
        tallies = None
        if self.chain is not None:
            try:
                tallies = self.chain.tallies(meeting, positions)
            except Exception as exc:  # whatever the node says: a finding, never a traceback
                seq, line, _ = results[0]
                add("rat_chain_unreadable", seq, line,
                    f"RatVoting tidak dapat dibaca untuk RAT {meeting} ({type(exc).__name__})",
                    f"RatVoting cannot be read for RAT {meeting} ({type(exc).__name__})")
                return
        if self.chain is not None and tallies is None:
            seq, line, _ = results[0]
            add("rat_not_finalized", seq, line,
                f"RAT {meeting} punya hasil di log tetapi belum difinalisasi di RatVoting",
                f"RAT {meeting} has results in the log but is not finalized on RatVoting")
        present = self.present[meeting]
        for seq, line, data in results:
            position = data["position"]
            where_id, where_en = _where(meeting, position)
            online, replaced, in_person = data["online"], data["replaced"], data["in_person"]
            total = [o - r + p for o, r, p in zip(online, replaced, in_person, strict=True)]
            if total != data["total"]:
                add("rat_total_mismatch", seq, line,
                    f"{where_id}: total {data['total']} bukan daring − diganti + langsung "
                    f"= {total}",
                    f"{where_en}: total {data['total']} is not online − replaced + in person "
                    f"= {total}")
            if tallies is not None and [int(c) for c in online] != tallies.get(position):
                add("rat_online_mismatch", seq, line,
                    f"{where_id}: hitungan daring di log {online} tidak sama dengan tally "
                    f"RatVoting {tallies.get(position)}",
                    f"{where_en}: the online count in the log {online} is not RatVoting's "
                    f"tally {tallies.get(position)}")
            self._paper(meeting, position, seq, line, data, present, add)

    def _paper(self, meeting: int, position: int, seq: int, line: int, data: dict[str, Any],
               present: set[int], add: Add) -> None:
        where_id, where_en = _where(meeting, position)
        in_person = [int(c) for c in data["in_person"]]
        paper = self.paper.get((meeting, position))
        if paper is None:
            if any(in_person):
                add("rat_paper_unsigned", seq, line,
                    f"{where_id}: hasil memuat suara langsung {in_person} tanpa hitungan yang "
                    "ditandatangani pengawas",
                    f"{where_en}: the result carries in-person votes {in_person} without a "
                    "count co-signed by a pengawas")
            return
        p_seq, p_line, counted = paper
        if [int(c) for c in counted["counts"]] != in_person:
            add("rat_paper_mismatch", seq, line,
                f"{where_id}: suara langsung di hasil {in_person} tidak sama dengan hitungan "
                f"yang ditandatangani {counted['counts']} (seq {p_seq})",
                f"{where_en}: the in-person votes in the result {in_person} are not the "
                f"co-signed count {counted['counts']} (seq {p_seq})")
        ballots = int(counted["ballots"])
        # A yes/no item's counts are its ballots; an election's are marks (several a ballot).
        if data.get("kind") != "election":
            ballots = max(ballots, sum(in_person))
        overridden = {int(n) for n in counted.get("overridden", [])}
        if self.chain is not None:
            online = self.chain.voters(meeting, position)
            allowed = len(present - online) + len(overridden & present & online)
            rule_id, rule_en = "hadir dan tidak memilih daring, ditambah yang suaranya diganti", \
                "present and not voting online, plus those whose ballot is replaced"
        else:
            allowed = len(present)
            rule_id, rule_en = "hadir", "present"
        if ballots > allowed:
            add("rat_paper_exceeds_attendance", p_seq, p_line,
                f"{where_id}: {ballots} surat suara langsung melebihi {allowed} anggota "
                f"{rule_id} ({len(present)} entri rat.hadir)",
                f"{where_en}: {ballots} in-person ballots exceed the {allowed} members "
                f"{rule_en} ({len(present)} rat.hadir entries)")
