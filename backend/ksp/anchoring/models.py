from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId

# Rows that no longer stand for an anchor on chain; they keep their history but give up
# their size and number to the anchor that replaces them.
_GONE = text("status NOT IN ('replaced', 'superseded')")


class AnchorRecord(Base):
    """An anchor of the log's root on chain: which size, which root, which transaction."""

    __tablename__ = "anchors"
    # One live anchor per size and per number *per registry* (a redeployed registry starts
    # its own history); replaced and superseded rows stay, outside both rules.
    __table_args__ = (
        Index("uq_anchors_live_size", "chain_id", "registry_address", "tree_size",
              unique=True, sqlite_where=_GONE, postgresql_where=_GONE),
        Index("uq_anchors_index", "chain_id", "registry_address", "anchor_index",
              unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(42))
    # Null until the anchor is on chain, and again once it is `replaced`.
    anchor_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # sent: tx sent, receipt not recorded; included: mined, not yet at the confirmation
    # depth; confirmed: final, with our root; superseded: never mined and the chain moved
    # past this size; mismatch: on chain, but the root differs from the log's root at that
    # size (alarm); replaced: was on chain, then vanished (rollback, reorg), anchored again.
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
