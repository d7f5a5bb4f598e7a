"""A loan paid out on a real Anvil, the way the system does it: deployed contracts, a
member with a wallet, applied, proposed, approved by another pengurus, registered by the
worker, signed by the member's key, relayed, disbursed. Shared by the chain stories."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy.orm import Session, sessionmaker

from ksp.auth.models import Role
from ksp.bootstrap import open_database
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxWorker
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import Settings
from ksp.loans import service
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.factories import join


@dataclass
class OnChain:
    runtime: ChainRuntime
    contracts: dict[str, Any]
    engine: Any
    factory: sessionmaker[Session]
    w3: Any
    worker: OutboxWorker
    member: int
    loan_id: int

    def drain(self) -> None:
        for _ in range(5):
            report = self.worker.run_once()
            assert report.failed == 0, report


def disbursed_loan(settings: Settings) -> OnChain:
    """Rp 10.000.000 over 12 months at 18% (product umum), paid out in cash today."""
    runtime = ChainRuntime(settings)
    contracts = runtime.deploy()["contracts"]
    engine, factory = open_database(settings)
    w3 = runtime.connect()
    worker = OutboxWorker(factory, w3, runtime.deployment, settings.operator_private_key())
    domain = service.ChainDomain(int(w3.eth.chain_id), contracts["LoanAgreements"]["address"])
    today, wallet = clock.today(), Account.create()
    with transaction(factory) as session:
        n = join(session, PiiCipher(os.urandom(32)), 1, on=dt.date(2025, 1, 10),
                 wallet_address=wallet.address).number
        savings.deposit(session, member_number=n, jenis=Jenis.WAJIB, amount=500_000, on=today)
        loan_id = service.apply(session, service.Application(
            member=n, product_code="umum", principal=10_000_000, tenor_months=12,
            purpose="Modal usaha", rate_bps=1800), actor="petugas", role="admin", on=today).id
        service.propose(session, loan_id, actor="petugas", role="admin")
        service.approve(session, loan_id, actor="ketua", role=Role.PENGURUS, on=today)
    world = OnChain(runtime, contracts, engine, factory, w3, worker, n, loan_id)
    world.drain()
    deadline = int(clock.now().timestamp()) + 3 * 86_400
    with transaction(factory) as session:
        typed = service.acceptance_data(service.get_loan(session, loan_id), domain, deadline)
        signed = Account.sign_message(encode_typed_data(full_message=typed), wallet.key)
        service.accept(session, loan_id, member_number=n, deadline=deadline,
                       signature="0x" + signed.signature.hex(), domain=lambda: domain)
    world.drain()
    with transaction(factory) as session:
        service.disburse(session, loan_id, on=today, to_sukarela=False)
    return world
