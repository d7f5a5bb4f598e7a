"""Reconciliation: the chain mirror against the ledger, member by member. The ledger is
authoritative; any difference is reported, never silently "fixed".

A difference the outbox still owes the chain (rows not yet confirmed) is *pending*, not
drift. The database is read first, in one short read; the chain is read after, with no
database transaction open, so a stalled chain never holds up a deposit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from ksp.chain.handlers import HANDLERS
from ksp.chain.handlers.savings import TOKEN_NAMES
from ksp.chain.outbox import OPEN_STATUSES, OutboxItem
from ksp.chain.sender import contract
from ksp.ledger.chart import SAVINGS_TOKEN_IDS
from ksp.ledger.reports import member_balances
from ksp.members.models import Member, MemberStatus


@dataclass(frozen=True)
class Drift:
    member: int
    what: str  # "pokok", "wajib", "sukarela" or "membership"
    ledger: int | str
    chain: int | str


@dataclass(frozen=True)
class Pending:
    """The chain is behind the ledger by exactly what the outbox still has to send."""
    member: int
    what: str
    ledger: int | str
    chain: int | str


@dataclass
class Reconciliation:
    drifts: list[Drift] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)


@dataclass
class _Book:
    """What the ledger says of one member, and what the outbox still owes the chain."""
    number: int
    wallet: str
    active: bool
    balances: dict[int, int]  # token id -> rupiah
    owed: dict[str, int] = field(default_factory=dict)  # kind -> delta not yet on chain
    membership_owed: bool = False


def _read_books(session: Session) -> list[_Book]:
    books: dict[int, _Book] = {}
    for member in session.scalars(select(Member).where(Member.wallet_address.is_not(None))
                                  .order_by(Member.number)):
        by_account = member_balances(session, member=member.number)
        books[member.number] = _Book(
            number=member.number, wallet=Web3.to_checksum_address(member.wallet_address or ""),
            active=member.status is MemberStatus.ANGGOTA,
            balances={token: by_account.get(account, 0)
                      for account, token in SAVINGS_TOKEN_IDS.items()})
    for item in session.scalars(select(OutboxItem).where(OutboxItem.status.in_(OPEN_STATUSES))):
        owed = HANDLERS[item.kind].owed(item)
        book = books.get(owed.member) if owed is not None else None
        if owed is None or book is None:
            continue
        if owed.what == "membership":
            book.membership_owed = True
        else:
            book.owed[owed.what] = book.owed.get(owed.what, 0) + owed.delta
    return list(books.values())


def reconcile(factory: sessionmaker[Session], w3: Web3, deployment: dict[str, Any]
              ) -> Reconciliation:
    with factory() as session:  # a short read; closed before the chain is asked anything
        books = _read_books(session)
    token = contract(w3, deployment, "SavingsToken")
    roll = contract(w3, deployment, "CoopMembers")
    result = Reconciliation()
    ids = sorted(TOKEN_NAMES)
    for book in books:
        on_chain = token.functions.balanceOfBatch([book.wallet] * len(ids), ids).call()
        for token_id, chain_amount in zip(ids, on_chain, strict=True):
            ledger = book.balances[token_id]
            if int(chain_amount) == ledger:
                continue
            what = TOKEN_NAMES[token_id]
            owed = book.owed.get(what, 0)
            if owed and int(chain_amount) + owed == ledger:
                result.pending.append(Pending(book.number, what, ledger, int(chain_amount)))
            else:
                result.drifts.append(Drift(book.number, what, ledger, int(chain_amount)))
        is_member = bool(roll.functions.isMember(book.wallet).call())
        if is_member != book.active:
            ledger_state = "anggota" if book.active else "bukan anggota"
            chain_state = "member" if is_member else "not a member"
            if book.membership_owed:
                result.pending.append(Pending(book.number, "membership", ledger_state,
                                              chain_state))
            else:
                result.drifts.append(Drift(book.number, "membership", ledger_state,
                                           chain_state))
    return result
