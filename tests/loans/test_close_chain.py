"""The close's chain writes against a real Anvil and the loan handlers: a loan signed and
paid out, never repaid, closed 181 days after its first due date (the clock moved; the
contract checks no business dates after acceptance): Defaulted on chain; written off with a
pengurus's and a pengawas's approval: WrittenOff with the amount; a recovery recorded."""

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
from ksp.loans import service, writeoff
from ksp.loans.close import close_day
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.factories import join

pytestmark = pytest.mark.chain
DEFAULTED, WRITTEN_OFF = 4, 5


def _drain(worker):
    for _ in range(5):
        report = worker.run_once()
        assert report.failed == 0, report


@pytest.fixture
def moved_clock():
    yield
    clock.freeze(None)


def test_default_write_off_and_recovery_land_on_chain(chain_settings, moved_clock):
    runtime = ChainRuntime(chain_settings)
    contracts = runtime.deploy()["contracts"]
    engine, factory = open_database(chain_settings)
    w3 = runtime.connect()
    worker = OutboxWorker(factory, w3, runtime.deployment, chain_settings.operator_private_key())
    loans = contract(w3, runtime.deployment, "LoanAgreements")
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
    _drain(worker)
    deadline = int(clock.now().timestamp()) + 3 * 86_400
    with transaction(factory) as session:
        typed = service.acceptance_data(service.get_loan(session, loan_id), domain, deadline)
        signed = Account.sign_message(encode_typed_data(full_message=typed), wallet.key)
        service.accept(session, loan_id, member_number=n, deadline=deadline,
                       signature="0x" + signed.signature.hex(), domain=lambda: domain)
    _drain(worker)
    with transaction(factory) as session:
        service.disburse(session, loan_id, on=today, to_sukarela=False)
        first_due = service.get_loan(session, loan_id).first_due_date

    macet_day = first_due + dt.timedelta(days=181)
    clock.freeze(dt.datetime.combine(macet_day, dt.time(3, 0), tzinfo=dt.UTC))
    with transaction(factory) as session:
        assert close_day(session, macet_day).defaulted == [loan_id]
    _drain(worker)
    assert loans.functions.statusOf(loan_id).call() == DEFAULTED

    with transaction(factory) as session:
        writeoff.propose_write_off(session, loan_id=loan_id, actor="petugas", role="admin")
        writeoff.approve_write_off(session, loan_id=loan_id, actor="ketua", role="pengurus")
        step = writeoff.approve_write_off(session, loan_id=loan_id, actor="pak_pengawas",
                                          role="pengawas")
    assert step.written_off == 10_000_000
    with transaction(factory) as session:
        recovery = writeoff.record_recovery(session, loan_id=loan_id, amount=1_500_000)
    _drain(worker)
    on_chain = loans.functions.loan(loan_id).call()
    assert (on_chain[3], on_chain[11], on_chain[12]) == (WRITTEN_OFF, 10_000_000, 1_500_000)
    assert loans.functions.isApplied(step.entry_seq).call()
    assert loans.functions.isApplied(recovery.seq).call()
    engine.dispose()
