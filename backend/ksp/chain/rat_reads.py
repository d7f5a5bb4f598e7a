"""Reading RatVoting, for the RAT results outside ksp/chain/ (reads only; writes go through
the outbox)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web3 import Web3

from ksp.chain.sender import contract

_FINALIZED = 7  # position of `finalized` in meeting(id)


def rat_voting(w3: Web3, deployment: dict[str, Any]) -> Any:
    return contract(w3, deployment, "RatVoting")


def finalized_tallies(voting: Any, meeting_id: int,
                      positions: Iterable[int]) -> dict[int, list[int]] | None:
    """Each item's online tally as the contract finalized it (yes/no: [against, for,
    abstain]; election: [candidate votes..., blank]), or None before finalize."""
    stored = voting.functions.meeting(meeting_id).call()
    if not stored[_FINALIZED]:
        return None
    return {p: [int(c) for c in voting.functions.tally(meeting_id, p).call()] for p in positions}


def has_voted(voting: Any, meeting_id: int, position: int, member: int) -> bool:
    """Whether the chain counted member `member`'s ballot on the item (own or by proxy)."""
    return bool(voting.functions.hasVoted(meeting_id, position, member).call())


def decode_ballots(records: bytes, width: int) -> list[tuple[int, int]]:
    """(member number, choice) of each counted ballot in a `BallotsCast` event: records of
    8 + `width` bytes, both big-endian (width 1 for yes/no, ceil(candidates / 8) for an
    election)."""
    size = 8 + width
    if len(records) % size:
        raise ValueError(f"BallotsCast data of {len(records)} bytes is not records of {size}")
    return [(int.from_bytes(records[i:i + 8], "big"), int.from_bytes(records[i + 8:i + size],
                                                                      "big"))
            for i in range(0, len(records), size)]


def counted_ballots(voting: Any, meeting_id: int, position: int, *,
                    from_block: int = 0) -> list[tuple[int, int]]:
    """Every ballot the chain counted on an item, from its `BallotsCast` events, in order:
    what an auditor (or a member looking for their own number) rebuilds the tally from."""
    kind, _seats, candidates, _hash = voting.functions.proposal(meeting_id, position).call()
    width = 1 if int(kind) == 0 else (int(candidates) + 7) // 8
    events = voting.events.BallotsCast().get_logs(
        from_block=from_block,
        argument_filters={"meetingId": meeting_id, "proposalIndex": position})
    found: list[tuple[int, int]] = []
    for event in sorted(events, key=lambda e: (e["blockNumber"], e["logIndex"])):
        found += decode_ballots(bytes(event["args"]["ballots"]), width)
    return found
