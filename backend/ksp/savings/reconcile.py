"""Reconciliation: the chain mirror against the ledger, member by member. The ledger is
authoritative; any difference is reported as drift, never silently "fixed"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3

from ksp.chain.sender import contract
from ksp.ledger.chart import SAVINGS_TOKEN_IDS
from ksp.ledger.reports import member_balances
from ksp.members.models import Member, MemberStatus
from ksp.savings.service import JENIS_OF_ACCOUNT


@dataclass(frozen=True)
class Drift:
    member: int
    what: str  # "pokok", "wajib", "sukarela" or "membership"
    ledger: int | str
    chain: int | str


def reconcile(session: Session, w3: Web3, deployment: dict[str, Any]) -> list[Drift]:
    token = contract(w3, deployment, "SavingsToken")
    roll = contract(w3, deployment, "CoopMembers")
    drifts: list[Drift] = []
    wallets = session.scalars(select(Member).where(Member.wallet_address.is_not(None))
                              .order_by(Member.number))
    for member in wallets:
        wallet = Web3.to_checksum_address(member.wallet_address or "")
        ledger = member_balances(session, member=member.number)
        for account, token_id in SAVINGS_TOKEN_IDS.items():
            on_chain = int(token.functions.balanceOf(wallet, token_id).call())
            if on_chain != ledger.get(account, 0):
                drifts.append(Drift(member.number, JENIS_OF_ACCOUNT[account].value,
                                    ledger.get(account, 0), on_chain))
        active = member.status is MemberStatus.ANGGOTA
        if bool(roll.functions.isMember(wallet).call()) != active:
            drifts.append(Drift(member.number, "membership", member.status.value,
                                "member" if not active else "not a member"))
    return drifts
