from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class AnchorRecord(Base):
    """An anchor of the log's root on chain: which size, which root, which transaction."""

    __tablename__ = "anchors"
    # One anchor per size *per registry*: a redeployed registry starts its own history.
    __table_args__ = (UniqueConstraint("chain_id", "registry_address", "tree_size"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(42))
    anchor_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # sent: tx sent, receipt not recorded; confirmed: event on chain with our root;
    # superseded: never mined and the chain moved past this size (a later anchor covers it);
    # mismatch: on chain, but the root differs from the log's root at that size (alarm).
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
