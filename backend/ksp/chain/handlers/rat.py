"""RatVoting (docs/RAT.md): the meeting and its items, proxies, members' signed ballots in
batches per item, and finalize. Ballots carry the member's own EIP-712 signature; the
operator only relays. A ballot the contract skips (BallotSkipped) still lands: the batch
goes on, and `hasVoted` says whether it counted."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from web3 import Web3

from ksp.chain.handlers import Owed
from ksp.chain.outbox import OutboxItem, OutboxKind

CONTRACT = "RatVoting"
YES_NO_ABSTAIN, ELECTION = 0, 1
PROXY_NONE, PROXY_APPOINTED, PROXY_ACCEPTED, PROXY_REVOKED = 0, 1, 2, 3
# meeting(id) tuple positions
_VOTING_START, _PROPOSAL_COUNT, _FINALIZED = 1, 5, 7


def compact_signature(signature: str) -> tuple[bytes, bytes]:
    """r and vs (ERC-2098: s with the parity of v in the top bit) of a 65-byte signature."""
    raw = bytes.fromhex(signature.removeprefix("0x"))
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    if v < 27:
        v += 27
    vs = s | ((v - 27) << 255)
    return r, vs.to_bytes(32, "big")


def _hash32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def record_block(w3: Any, before: int) -> int:
    """The last block with a timestamp before `before` (unix seconds): membership there is
    eligibility. When the chain has not reached that instant yet, the block before the
    latest (the contract wants a past block, and gas estimation runs at the latest)."""
    latest = w3.eth.get_block("latest")
    if int(latest["timestamp"]) < before:
        return max(int(latest["number"]) - 1, 0)
    low, high = 0, int(latest["number"])  # timestamp(low) < before <= timestamp(high)
    if int(w3.eth.get_block(0)["timestamp"]) >= before:
        return 0
    while high - low > 1:
        middle = (low + high) // 2
        if int(w3.eth.get_block(middle)["timestamp"]) < before:
            low = middle
        else:
            high = middle
    return min(low, max(int(latest["number"]) - 1, 0))


class _Single:
    """One row per call, nothing a member's mirror owes."""

    contract_name: ClassVar[str] = CONTRACT
    max_batch: ClassVar[int] = 1
    gas_per_item: ClassVar[int | None] = None

    def batch_key(self, item: OutboxItem) -> Hashable:
        return item.id

    def order_key(self, item: OutboxItem) -> Hashable:
        # A meeting's setup lands in queue order: proposals after the meeting, a proxy's
        # acceptance after its appointment, finalize after them all.
        return ("rat", item.data()["meeting"])

    def owed(self, item: OutboxItem) -> Owed | None:  # noqa: ARG002 - no mirror of a vote
        return None


class CreateMeeting(_Single):
    kind: ClassVar[OutboxKind] = OutboxKind.CREATE_MEETING

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        data = item.data()
        block = record_block(contract.w3, int(data["record_before"]))
        return contract.functions.createMeeting(
            data["meeting"], block, data["voting_start"], data["voting_end"],
            data["quorum_bps"], data["max_principals"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        stored = contract.functions.meeting(item.data()["meeting"]).call()
        return int(stored[_VOTING_START]) != 0


class AddProposal(_Single):
    kind: ClassVar[OutboxKind] = OutboxKind.ADD_PROPOSAL

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        data = item.data()
        return contract.functions.addProposal(
            data["meeting"], ELECTION if data["election"] else YES_NO_ABSTAIN, data["seats"],
            data["candidates"], _hash32(data["content_hash"]))

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        data = item.data()
        stored = contract.functions.meeting(data["meeting"]).call()
        return int(stored[_PROPOSAL_COUNT]) > int(data["position"])


def _proxy_status(contract: Any, item: OutboxItem) -> int:
    data = item.data()
    _number, status, _used = contract.functions.proxyOf(data["meeting"], data["member"]).call()
    return int(status)


class RegisterProxy(_Single):
    kind: ClassVar[OutboxKind] = OutboxKind.REGISTER_PROXY

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        data = item.data()
        return contract.functions.registerProxy(
            data["meeting"], data["member"], Web3.to_checksum_address(data["proxy"]),
            bytes.fromhex(data["signature"].removeprefix("0x")))

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return _proxy_status(contract, item) != PROXY_NONE


class AcceptProxy(_Single):
    kind: ClassVar[OutboxKind] = OutboxKind.ACCEPT_PROXY

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        data = item.data()
        return contract.functions.acceptProxy(data["meeting"], data["member"],
                                              bytes.fromhex(data["signature"].removeprefix("0x")))

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return _proxy_status(contract, item) in (PROXY_ACCEPTED, PROXY_REVOKED)


class RevokeProxy(_Single):
    kind: ClassVar[OutboxKind] = OutboxKind.REVOKE_PROXY

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        data = item.data()
        return contract.functions.revokeProxy(data["meeting"], data["member"],
                                              bytes.fromhex(data["signature"].removeprefix("0x")))

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        return _proxy_status(contract, item) == PROXY_REVOKED


class _Ballots:
    contract_name: ClassVar[str] = CONTRACT
    max_batch: ClassVar[int] = 100
    # A counted ballot costs under 10,000 gas in a batch of 100; the margin covers the
    # batch's fixed part spread over small batches.
    gas_per_item: ClassVar[int | None] = 15_000

    def batch_key(self, item: OutboxItem) -> Hashable:
        data = item.data()
        return (data["meeting"], data["position"])

    def order_key(self, item: OutboxItem) -> None:  # noqa: ARG002
        return None  # a ballot the chain refuses must never hold back the others

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        data = item.data()
        return bool(contract.functions.hasVoted(data["meeting"], data["position"],
                                                data["member"]).call())

    def owed(self, item: OutboxItem) -> Owed | None:  # noqa: ARG002 - no mirror of a vote
        return None


class CastBallot(_Ballots):
    kind: ClassVar[OutboxKind] = OutboxKind.CAST_BALLOT

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        first = items[0].data()
        ballots = []
        for item in items:
            data = item.data()
            r, vs = compact_signature(data["signature"])
            ballots.append((int(data["choice"]), r, vs))
        return contract.functions.castVotes(first["meeting"], first["position"], ballots)


class CastProxyBallot(_Ballots):
    kind: ClassVar[OutboxKind] = OutboxKind.CAST_PROXY_BALLOT

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        first = items[0].data()
        ballots = []
        for item in items:
            data = item.data()
            r, vs = compact_signature(data["signature"])
            ballots.append((int(data["choice"]), int(data["member"]), r, vs))
        return contract.functions.castProxyVotes(first["meeting"], first["position"], ballots)


class FinalizeMeeting(_Single):
    kind: ClassVar[OutboxKind] = OutboxKind.FINALIZE_MEETING

    def build_call(self, contract: Any, items: Sequence[OutboxItem]) -> Any:
        (item,) = items
        return contract.functions.finalize(item.data()["meeting"])

    def already_applied(self, contract: Any, item: OutboxItem) -> bool:
        stored = contract.functions.meeting(item.data()["meeting"]).call()
        return bool(stored[_FINALIZED])


HANDLERS = (CreateMeeting(), AddProposal(), RegisterProxy(), AcceptProxy(), RevokeProxy(),
            CastBallot(), CastProxyBallot(), FinalizeMeeting())
