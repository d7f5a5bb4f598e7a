"""Inclusion proofs of log entries against an anchor (database side; docs/ANCHORING.md).

A proof cites only a FINAL anchor (status `confirmed`: at the chain's confirmation
depth). Given a web3, the anchor is also read back from the chain at its recorded block;
one that is no longer there (rolled back, reorganised away) is skipped for the newest
older one that is, until the anchor job re-anchors.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.anchoring import store
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import Status, is_chain_down, reason
from ksp.chain import anchor_registry as registry
from ksp.core.errors import Conflict, KspError, NotFound
from ksp.ledger.models import LogEntry

if TYPE_CHECKING:
    from web3 import Web3

logger = logging.getLogger("ksp.anchoring")
CANDIDATES = 5  # final anchors tried, newest first, before giving up


class NotAnchoredYet(Conflict):
    code = "not_anchored_yet"
    message_id = "Entri seq {seq} belum di-anchor (anchor terakhir: ukuran {anchored})."
    message_en = "Entry seq {seq} is not anchored yet (latest anchor: size {anchored})."


class AnchorNotOnChain(Conflict):
    code = "anchor_not_on_chain"
    message_id = ("Anchor ukuran {size} tidak ada lagi di rantai (rantai mundur); pekerjaan "
                  "anchor akan meng-anchor ulang. Coba lagi sebentar lagi.")
    message_en = ("The anchor of size {size} is no longer on chain (the chain rolled back); "
                  "the anchor job will anchor again. Try again shortly.")


class ChainUnreachable(KspError):
    code = "chain_unreachable"
    status = 503
    message_id = "Rantai tidak dapat dihubungi ({reason}); bukti tidak dapat dicek di rantai."
    message_en = "The chain cannot be reached ({reason}); the proof cannot be checked on chain."


class AnchorDisagrees(KspError):
    code = "anchor_disagrees"
    status = 500
    message_id = "Anchor #{index} di rantai tidak sama dengan catatan basis data."
    message_en = "Anchor #{index} on chain differs from the database record."


def final_anchors(session: Session, registry_address: str | None = None,
                  limit: int = CANDIDATES) -> list[AnchorRecord]:
    """Final anchors (status `confirmed`), largest first."""
    query = select(AnchorRecord).where(AnchorRecord.status == Status.CONFIRMED)
    if registry_address is not None:
        query = query.where(
            AnchorRecord.registry_address == registry.checksum(registry_address))
    return list(session.scalars(query.order_by(AnchorRecord.tree_size.desc()).limit(limit)))


def on_chain(w3: Web3, anchor: AnchorRecord) -> bool:
    """Whether the anchor's event is still in the canonical chain at its recorded block.

    A block beyond the head (the chain rolled back) is "not there", not an error; only an
    unreachable chain raises (ChainUnreachable).
    """
    from web3.exceptions import Web3Exception

    if anchor.block_number is None:
        return False
    try:
        if anchor.block_number > w3.eth.block_number:
            return False
        found = registry.read_anchors(w3, anchor.registry_address, anchor.block_number,
                                      anchor.block_number)
    except Exception as exc:
        if is_chain_down(exc):
            raise ChainUnreachable(reason=reason(exc)) from exc
        if isinstance(exc, Web3Exception | ValueError):
            logger.warning("anchor of size %s unreadable at block %s: %s", anchor.tree_size,
                           anchor.block_number, reason(exc))
            return False
        raise
    return any(e.tree_size == anchor.tree_size and e.root == anchor.root for e in found)


def prove(
    session: Session,
    seq: int,
    *,
    w3: Web3 | None = None,
    registry_address: str | None = None,
) -> dict[str, Any]:
    """Inclusion proof of entry `seq` against the latest final anchor (that exists on
    chain, when `w3` is given)."""
    entry = session.get(LogEntry, seq)
    if entry is None:
        raise NotFound(what_id="Entri log", what_en="Log entry", key=seq)
    candidates = final_anchors(session, registry_address)
    covering = [a for a in candidates if a.tree_size >= seq]
    if not covering:
        raise NotAnchoredYet(seq=seq, anchored=candidates[0].tree_size if candidates else 0)
    anchor = next((a for a in covering if w3 is None or on_chain(w3, a)), None)
    if anchor is None:
        raise AnchorNotOnChain(size=covering[0].tree_size)
    proof = store.inclusion_proof(session, seq, anchor.tree_size)
    if proof.root != anchor.root or not proof.verify():
        raise AnchorDisagrees(index=anchor.anchor_index)
    body = proof.to_json()
    body["payload"] = entry.payload
    body["anchor"] = {
        "index": anchor.anchor_index,
        "tx_hash": anchor.tx_hash,
        "block": anchor.block_number,
        "chain_id": anchor.chain_id,
        "registry": anchor.registry_address,
    }
    return body
