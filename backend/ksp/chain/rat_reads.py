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
