"""What the anchor job reports: record statuses, outcomes of a run, the repair report."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from web3.exceptions import ProviderConnectionError

from ksp.chain import anchor_registry as registry

logger = logging.getLogger("ksp.anchoring")


class Status(enum.StrEnum):
    """`AnchorRecord.status` values."""

    SENT = "sent"  # sent, no receipt recorded yet
    INCLUDED = "included"  # mined, but not yet at the chain's confirmation depth
    CONFIRMED = "confirmed"  # final: at the confirmation depth (the only kind proofs cite)
    SUPERSEDED = "superseded"  # never mined, and a later anchor covers its entries
    MISMATCH = "mismatch"  # on chain with a root the log does not have: an alarm
    REPLACED = "replaced"  # was on chain, then vanished (rollback, reorg); anchored again
    LOST = "lost"  # on a chain that was lost or reset (ksp.chain.rebuild); kept, never deleted


# Records that hold a size on chain (or may, once mined): the next anchor must be larger.
LIVE = (Status.SENT, Status.INCLUDED, Status.CONFIRMED, Status.MISMATCH)
# Records that hold an anchor number on chain.
ON_CHAIN = (Status.INCLUDED, Status.CONFIRMED, Status.MISMATCH)


class Outcome(enum.StrEnum):
    ANCHORED = "anchored"  # mined and recorded (confirmed, or included until final)
    SENT = "sent"  # sent and recorded; the receipt did not come in time (repair confirms it)
    PENDING = "pending"  # an earlier anchor is still unconfirmed; nothing new was sent
    NOTHING_NEW = "nothing_new"  # no entries since the last anchor
    NOT_DUE = "not_due"  # fewer than N new entries and less than T minutes
    DELAYED = "delayed"  # chain unreachable: try again later
    REJECTED = "rejected"  # the node or the contract refused the transaction


@dataclass(frozen=True)
class AnchorOutcome:
    outcome: Outcome
    tree_size: int | None = None
    root: bytes | None = None
    tx_hash: str | None = None
    block: int | None = None
    index: int | None = None
    message_id: str = ""
    message_en: str = ""

    @property
    def message(self) -> str:
        return f"{self.message_id} / {self.message_en}"


@dataclass
class RepairReport:
    """What `repair` (and the re-check of recent anchors) found and did."""

    events: int = 0
    recovered: list[int] = field(default_factory=list)  # sizes recorded from events
    confirmed: list[int] = field(default_factory=list)  # `sent` records now on chain
    finalized: list[int] = field(default_factory=list)  # `included` records now final
    resent: list[int] = field(default_factory=list)  # sizes sent again (tx never mined)
    superseded: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # still waiting in the mempool
    mismatches: list[int] = field(default_factory=list)  # on-chain root != log root
    replaced: list[int] = field(default_factory=list)  # were on chain, vanished: re-anchor
    rejected: list[str] = field(default_factory=list)  # resends the node or contract refused
    delayed: str | None = None  # the chain error that stopped the repair, if any

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.delayed or self.rejected)


def is_chain_down(exc: BaseException) -> bool:
    # requests' ConnectionError and Timeout are OSErrors; web3 wraps some in its own types.
    return isinstance(exc, OSError | TimeoutError | ProviderConnectionError)


def reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return f"{type(exc).__name__}: connection refused"
    return f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}"


def delayed(exc: BaseException, size: int | None = None) -> AnchorOutcome:
    why = reason(exc)
    logger.warning("anchor delayed, chain unreachable: %s", why)
    return AnchorOutcome(
        Outcome.DELAYED,
        tree_size=size,
        message_id=f"Rantai tidak dapat dihubungi; anchor ditunda ({why}).",
        message_en=f"Chain unreachable; anchor delayed ({why}).",
    )


def rejected(exc: BaseException, size: int) -> AnchorOutcome:
    why = registry.explain_error(exc)
    logger.error("anchor of size %s rejected: %s", size, why)
    return AnchorOutcome(
        Outcome.REJECTED,
        tree_size=size,
        message_id=f"Anchor ukuran {size} ditolak: {why}",
        message_en=f"Anchor of size {size} rejected: {why}",
    )
