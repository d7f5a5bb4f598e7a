"""Chain writes wait here, written in the same DB transaction as the fact they mirror;
the worker sends them later.

Each row carries a `ref`, the reference the contract uses to refuse a second application:
`seq:<n>` for a ledger posting (whose log `seq` is also kept, as a foreign key), and
whatever the kind needs otherwise (a ballot is no log entry). `ksp.chain.handlers` knows,
per kind, how to send a batch and how to ask the chain whether a row already landed.

Life of a row: PENDING -> SENT (tx hash recorded before it leaves) -> INCLUDED (receipt
seen, block recorded) -> CONFIRMED (at the chain's confirmation depth). The worker keeps
re-checking recent INCLUDED/CONFIRMED rows; one whose block the chain lost goes back to
PENDING and is sent again.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ksp.core import clock
from ksp.core.db import Base, BigId


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"  # in a transaction whose receipt we have not recorded yet
    INCLUDED = "included"  # receipt seen in a block that is not final yet
    CONFIRMED = "confirmed"  # at the confirmation depth (still re-checked for a while)


# Rows the mirror still owes the chain (reconcile counts them as "pending", not drift).
OPEN_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.INCLUDED)


class OutboxKind(enum.StrEnum):
    ADMIT_MEMBER = "admit_member"
    EXIT_MEMBER = "exit_member"
    MIRROR_SAVINGS = "mirror_savings"
    CHANGE_MEMBER_ADDRESS = "change_member_address"  # a lost key replaced by the board
    MOVE_SAVINGS = "move_savings"  # the member's savings follow the replaced key
    # LoanAgreements: the backend registers the offer, relays the member's signed acceptance,
    # and mirrors repayments, status changes, the write-off and recoveries (each by seq).
    REGISTER_LOAN = "register_loan"
    ACCEPT_LOAN = "accept_loan"
    CANCEL_LOAN = "cancel_loan"
    RECORD_REPAYMENT = "record_repayment"
    SET_LOAN_STATUS = "set_loan_status"
    WRITE_OFF_LOAN = "write_off_loan"
    RECORD_RECOVERY = "record_recovery"
    # RatVoting (docs/RAT.md): the meeting and its items, proxies (appointed by the principal,
    # accepted by the proxy, revoked by the principal), members' signed ballots, finalize.
    CREATE_MEETING = "create_meeting"
    ADD_PROPOSAL = "add_proposal"
    REGISTER_PROXY = "register_proxy"
    ACCEPT_PROXY = "accept_proxy"
    REVOKE_PROXY = "revoke_proxy"
    CAST_BALLOT = "cast_ballot"
    CAST_PROXY_BALLOT = "cast_proxy_ballot"
    FINALIZE_MEETING = "finalize_meeting"


class OutboxItem(Base):
    __tablename__ = "chain_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(Enum(OutboxKind, native_enum=False, length=32))
    ref: Mapped[str] = mapped_column(String(80), index=True)
    seq: Mapped[int | None] = mapped_column(ForeignKey("log_entries.seq"), index=True,
                                            nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    # The member a write is about (from the payload), so a member's backlog is one lookup.
    member_number: Mapped[int | None] = mapped_column(BigInteger, index=True, nullable=True)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    block_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)

    def data(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload)
        return loaded


def seq_ref(seq: int) -> str:
    return f"seq:{seq}"


def enqueue(session: Session, *, kind: OutboxKind, data: dict[str, Any],
            seq: int | None = None, ref: str | None = None) -> OutboxItem:
    """Queues one chain write. A ledger posting passes its log `seq` (the ref follows from
    it); anything else passes its own `ref`."""
    if ref is None:
        if seq is None:
            raise ValueError("an outbox item needs a seq or a ref")
        ref = seq_ref(seq)
    member = data.get("member")
    item = OutboxItem(seq=seq, ref=ref, kind=kind, payload=json.dumps(data, sort_keys=True),
                      member_number=int(member) if member is not None else None,
                      status=OutboxStatus.PENDING, attempts=0, created_at=clock.now())
    session.add(item)
    return item
