"""The loan story against a real Anvil and the outbox worker: approved (registered on chain
with the key terms), signed by the member's wallet and relayed, accepted on chain before it
may be paid out, repaid (a partial prepayment, then the rest), Repaid on chain with the
repayments recorded by seq; another offer is withdrawn and cancelled on chain."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ksp.auth.models import Role
from ksp.bootstrap import open_database
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.loans import service
from ksp.loans.errors import LoanNotAcceptedOnChain
from ksp.loans.models import LoanStatus
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.factories import join

pytestmark = pytest.mark.chain
REGISTERED, ACTIVE, REPAID, CANCELLED = 1, 2, 3, 6


@pytest.fixture
def world(chain_settings):
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    _engine, factory = open_database(chain_settings)
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    domain = service.ChainDomain(int(runtime.connect().eth.chain_id),
                                 runtime.deployment["contracts"]["LoanAgreements"]["address"])
    loans = contract(runtime.connect(), runtime.deployment, "LoanAgreements")
    return factory, PiiCipher(os.urandom(32)), worker, domain, loans


def _approved(factory, cipher, serial, wallet, today):
    with transaction(factory) as session:
        n = join(session, cipher, serial, on=dt.date(2025, 1, 10),
                 wallet_address=wallet.address).number
        savings.deposit(session, member_number=n, jenis=Jenis.WAJIB, amount=500_000,
                        on=today, reason=None)
        loan = service.apply(session, service.Application(
            member=n, product_code="umum", principal=10_000_000, tenor_months=12,
            purpose="Modal usaha", rate_bps=1800), actor="petugas", role="admin", on=today)
        service.propose(session, loan.id, actor="petugas", role="admin")
        service.approve(session, loan.id, actor="ketua", role=Role.PENGURUS, on=today)
        return n, loan.id


def _drain(worker):
    for _ in range(5):
        report = worker.run_once()
        assert report.failed == 0, report


def test_a_loan_on_chain_from_offer_to_repaid(world):
    factory, cipher, worker, domain, loans = world
    today = clock.today()
    wallet = Account.create()
    n, loan_id = _approved(factory, cipher, 1, wallet, today)
    _drain(worker)
    on_chain = loans.functions.loan(loan_id).call()
    with factory() as session:
        loan = service.get_loan(session, loan_id)
        assert on_chain[3] == REGISTERED and on_chain[5] == 10_000_000
        assert "0x" + on_chain[10].hex().removeprefix("0x") == loan.terms_hash
        assert on_chain[6] == service.unix_day(loan.first_due_date)

    deadline = int(clock.now().timestamp()) + 3 * 86_400
    with transaction(factory) as session:
        loan = service.get_loan(session, loan_id)
        typed = service.acceptance_data(loan, domain, deadline)
        signed = Account.sign_message(encode_typed_data(full_message=typed), wallet.key)
        service.accept(session, loan_id, member_number=n, deadline=deadline,
                       signature="0x" + signed.signature.hex(), domain=lambda: domain)
    with pytest.raises(LoanNotAcceptedOnChain), transaction(factory) as session:
        service.disburse(session, loan_id, on=today, to_sukarela=False)
    _drain(worker)
    assert loans.functions.statusOf(loan_id).call() == ACTIVE

    with transaction(factory) as session:
        service.disburse(session, loan_id, on=today, to_sukarela=False)
    with transaction(factory) as session:
        first = service.repay(session, loan_id, amount=1_000_000, on=today, channel="teller")
    with transaction(factory) as session:
        rest = service.repay(session, loan_id, amount=9_000_000, on=today, channel="teller")
    assert (first.closed, rest.closed, rest.loan.status) == (False, True, LoanStatus.LUNAS)
    _drain(worker)
    on_chain = loans.functions.loan(loan_id).call()
    assert (on_chain[3], on_chain[8], on_chain[9]) == (REPAID, 10_000_000, 2)
    assert loans.functions.isApplied(first.seq).call()
    assert loans.functions.isApplied(rest.seq).call()


def test_a_withdrawn_offer_is_cancelled_on_chain(world):
    factory, cipher, worker, _domain, loans = world
    _n, loan_id = _approved(factory, cipher, 2, Account.create(), clock.today())
    _drain(worker)
    assert loans.functions.statusOf(loan_id).call() == REGISTERED
    with transaction(factory) as session:
        service.cancel(session, loan_id, actor="ketua", role="pengurus", note="ditarik")
    _drain(worker)
    assert loans.functions.statusOf(loan_id).call() == CANCELLED
