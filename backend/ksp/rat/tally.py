"""The RAT's arithmetic, pure: plain data in, plain data out, no database (docs/RAT.md).

Counts are laid out as the contract's tally: a yes/no item is [against, for, abstain]; an
election is [votes of candidate 0, ..., of candidate n-1, blank ballots]. An online choice
is 0/1/2 for a yes/no item and a bitmask of candidates (at most `seats` bits, 0 blank) for
an election."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BPS = 10_000
AGAINST, FOR, ABSTAIN = 0, 1, 2
YES_NO_SIZE = 3
# Decisions (the words of the minutes).
DITERIMA = "diterima"  # passed
DITOLAK = "ditolak"  # rejected
TERPILIH = "terpilih"  # election decided
SERI = "seri"  # election with a tie for the last seat: the RAT holds a run-off
TIDAK_KUORUM = "tidak_kuorum"  # quorum not reached: nothing is decided


class TallyError(ValueError):
    """Counts that cannot be: the service turns it into a 4xx naming the item."""

    def __init__(self, reason_id: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_id = reason_id
        self.reason_en = reason_en


@dataclass(frozen=True)
class Shape:
    """What an item's counts look like: `candidates` 0 for a yes/no item."""

    candidates: int = 0
    seats: int = 0

    @property
    def election(self) -> bool:
        return self.candidates > 0

    @property
    def size(self) -> int:
        return self.candidates + 1 if self.election else YES_NO_SIZE


def valid_choice(shape: Shape, choice: int) -> bool:
    if choice < 0:
        return False
    if not shape.election:
        return choice < YES_NO_SIZE
    return choice < (1 << shape.candidates) and choice.bit_count() <= shape.seats


def add_choice(shape: Shape, counts: list[int], choice: int) -> None:
    if not valid_choice(shape, choice):
        raise TallyError(f"pilihan {choice} tidak sah", f"choice {choice} is not valid")
    if not shape.election:
        counts[choice] += 1
    elif choice == 0:
        counts[shape.candidates] += 1
    else:
        for i in range(shape.candidates):
            if choice >> i & 1:
                counts[i] += 1


def counts_of(shape: Shape, choices: Iterable[int]) -> list[int]:
    """The tally of these online choices."""
    counts = [0] * shape.size
    for choice in choices:
        add_choice(shape, counts, choice)
    return counts


def check_paper_counts(shape: Shape, ballots: int, counts: Sequence[int]) -> None:
    """Paper counts agree with the number of paper ballots: a yes/no item's counts add up to
    it; an election's blanks plus marked ballots do, each candidate at most once a ballot and
    each marked ballot naming 1..seats candidates."""
    if len(counts) != shape.size:
        raise TallyError(f"harus {shape.size} angka", f"must be {shape.size} numbers")
    if ballots < 0 or any(c < 0 for c in counts):
        raise TallyError("angka tidak boleh negatif", "numbers cannot be negative")
    if not shape.election:
        if sum(counts) != ballots:
            raise TallyError(f"jumlah {sum(counts)} tidak sama dengan {ballots} surat suara",
                             f"they add up to {sum(counts)}, not {ballots} ballots")
        return
    marked = ballots - counts[-1]
    votes = sum(counts[:-1])
    if marked < 0 or any(c > marked for c in counts[:-1]):
        raise TallyError("suara calon melebihi surat suara yang diisi",
                         "a candidate has more votes than marked ballots")
    if not marked <= votes <= marked * shape.seats:
        raise TallyError(f"{votes} suara untuk {marked} surat suara berisi dan {shape.seats} "
                         "kursi tidak mungkin",
                         f"{votes} votes on {marked} marked ballots for {shape.seats} seats "
                         "cannot be")


def paper_allowance(present: set[int], online: set[int], overridden: set[int],
                    overrides_allowed: bool) -> int:
    """How many paper ballots an item may have: members present who did not vote online on
    it, plus (when the AD/ART lets a paper vote replace an online one) those present who did
    and whose online ballot is replaced. Raises when `overridden` names anyone else."""
    if overridden and not overrides_allowed:
        raise TallyError("AD/ART tidak membolehkan suara langsung menggantikan suara daring",
                         "the AD/ART does not let a paper vote replace an online ballot")
    strangers = overridden - (present & online)
    if strangers:
        listed = ", ".join(map(str, sorted(strangers)))
        raise TallyError(f"anggota {listed} tidak hadir atau tidak memilih daring",
                         f"members {listed} were not present or did not vote online")
    return len(present - online) + len(overridden)


def combine(online: Sequence[int], replaced: Sequence[int], paper: Sequence[int]) -> list[int]:
    """Online tally, minus the online ballots replaced by paper votes, plus paper counts."""
    if not len(online) == len(replaced) == len(paper):
        raise TallyError("bentuk hitungan berbeda", "tallies of different shapes")
    total = [o - r + p for o, r, p in zip(online, replaced, paper, strict=True)]
    if any(r > o for o, r in zip(online, replaced, strict=True)) or any(t < 0 for t in total):
        raise TallyError("suara daring yang diganti melebihi hitungan daring",
                         "more replaced online ballots than online votes")
    return total


def quorum_reached(participants: int, eligible: int, quorum_bps: int) -> bool:
    """At least quorum_bps of the members eligible on the record date took part."""
    return eligible > 0 and participants * BPS >= quorum_bps * eligible


def motion_passes(votes_for: int, base: int, threshold_bps: int) -> bool:
    """MORE than threshold_bps of the base voted for (5000: a simple majority)."""
    return base > 0 and votes_for * BPS > threshold_bps * base


@dataclass(frozen=True)
class Election:
    elected: tuple[int, ...]  # candidate indexes, most votes first (list order on equal votes)
    tied: tuple[int, ...]  # candidates tied for the last seats (empty: decided)


def elect(votes: Sequence[int], seats: int) -> Election:
    """The `seats` candidates with most votes. When candidates with equal votes straddle the
    last seat, the seats above them are filled and the tied ones go to a run-off: the
    system never breaks a tie by list order or lot."""
    order = sorted(range(len(votes)), key=lambda i: (-votes[i], i))
    if len(order) <= seats:
        return Election(tuple(order), ())
    cutoff = votes[order[seats - 1]]
    if votes[order[seats]] != cutoff:
        return Election(tuple(order[:seats]), ())
    above = tuple(i for i in order if votes[i] > cutoff)
    tied = tuple(i for i in order if votes[i] == cutoff)
    return Election(above, tied)
