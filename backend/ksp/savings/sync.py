"""How far the SavingsToken mirror of one member is behind their ledger, from the outbox.

The wallet page reads the token balances from the chain itself; this tells it which of the
member's savings entries are still on their way, so it says "waiting for sync" only for a
real lag and can say by how much. A row is on chain once it is in a block (INCLUDED or
CONFIRMED): `balanceOf` at the latest block already counts it. Rows are found by the member
they are about, so the mint of earlier savings when a wallet is linked, and the move of a
lost key's savings, count as well as the mirror of each posting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.accounting import products
from ksp.accounting.products import Jenis
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.ledger.models import JournalEntry, JournalLine

# Not in a block yet: the chain's balances do not count these rows.
NOT_ON_CHAIN = (OutboxStatus.PENDING, OutboxStatus.SENT)
# The writes that change a member's token balances: the mirror of each posting (also the
# mint of earlier savings when a wallet is linked) and a lost key's move to the new address.
MIRRORING = (OutboxKind.MIRROR_SAVINGS, OutboxKind.MOVE_SAVINGS)
JENIS_OF_TOKEN = {products.token_id(jenis): jenis for jenis in Jenis}


@dataclass(frozen=True)
class ChainSync:
    synced_through_seq: int | None  # the member's savings entries through this seq are on chain
    pending_seqs: tuple[int, ...]  # the member's savings entries not on chain yet
    pending_amounts: dict[Jenis, int] = field(default_factory=dict)  # ledger minus chain


def chain_sync(session: Session, *, member_number: int,
               balances: Mapping[Jenis, int]) -> ChainSync:
    """`balances` are the member's ledger balances: while a lost key's savings move is on its
    way, the new address holds none of them yet."""
    rows = session.execute(
        select(OutboxItem.seq, OutboxItem.kind, OutboxItem.payload).where(
            OutboxItem.member_number == member_number,
            OutboxItem.kind.in_(MIRRORING),
            OutboxItem.status.in_(NOT_ON_CHAIN)))
    amounts = dict.fromkeys(Jenis, 0)
    pending: set[int] = set()
    moving = False
    for seq, kind, payload in rows:
        if seq is not None:
            pending.add(seq)
        if kind is OutboxKind.MOVE_SAVINGS:
            moving = True
            continue
        data = json.loads(payload)
        amounts[JENIS_OF_TOKEN[int(data["token_id"])]] += int(data["delta"])
    if moving:
        amounts = {jenis: balances.get(jenis, 0) for jenis in Jenis}
    entries = select(JournalEntry.seq).join(
        JournalLine, JournalLine.entry_id == JournalEntry.id).where(
        JournalLine.member_number == member_number,
        JournalLine.account_code.in_(list(products.SAVINGS_ACCOUNT.values())))
    first_pending = min(pending, default=None)
    synced = [s for s in sorted(set(session.scalars(entries)))
              if first_pending is None or s < first_pending]
    return ChainSync(synced_through_seq=synced[-1] if synced else None,
                     pending_seqs=tuple(sorted(pending)), pending_amounts=amounts)
