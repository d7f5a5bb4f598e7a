"""The ledger → chain mirror on a real Anvil: balances match, crashes cannot double-mint,
and a chain outage delays the mirror but never the ledger."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from eth_account import Account
from sqlalchemy import select

from ksp.bootstrap import open_database
from ksp.chain.anvil import Anvil
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.savings import service as savings
from ksp.savings.reconcile import reconcile
from ksp.savings.service import Jenis
from tests.conftest import free_port
from tests.support import factories

DAY = dt.date(2026, 3, 2)
BACKDATED = "Uji: tanggal tetap"  # DAY is in the past, so a reason is due


def join(factory, cipher, serial: int, wallet: str | None) -> int:
    with transaction(factory) as session:
        return factories.join(session, cipher, serial, on=DAY, wallet_address=wallet).number


def save(factory, number: int, jenis: Jenis, amount: int) -> None:
    with transaction(factory) as session:
        savings.deposit(session, member_number=number, jenis=jenis, amount=amount, on=DAY,
                        reason=BACKDATED)


def token_balances(runtime: ChainRuntime, wallet: str) -> dict[int, int]:
    token = contract(runtime.connect(), runtime.deployment, "SavingsToken")
    return {i: token.functions.balanceOf(wallet, i).call() for i in (1, 2, 3)}


@pytest.fixture
def world(chain_settings):
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    _engine, factory = open_database(chain_settings)
    cipher = PiiCipher(os.urandom(32))
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    return runtime, factory, cipher, worker


def test_token_balances_equal_ledger_balances_after_deposits(world):
    runtime, factory, cipher, worker = world
    wallets = [Account.create().address for _ in range(3)]
    numbers = [join(factory, cipher, i + 1, w) for i, w in enumerate(wallets)]
    for k, number in enumerate(numbers):
        save(factory, number, Jenis.WAJIB, 50_000)
        save(factory, number, Jenis.SUKARELA, 10_000 * (k + 1))
    with transaction(factory) as session:
        savings.withdraw(session, member_number=numbers[2], jenis=Jenis.SUKARELA,
                         amount=5_000, on=DAY, reason=BACKDATED)

    checks = []
    original_check = worker.already_done
    worker.already_done = lambda item: checks.append(item) or original_check(item)

    report = worker.run_once()

    assert report.failed == 0 and report.confirmed > 0
    assert checks == []  # nothing sent before: no per-item chain reads
    with factory() as session:
        for number, wallet in zip(numbers, wallets, strict=True):
            ledger = savings.balances(session, number)
            assert token_balances(runtime, wallet) == {
                1: ledger[Jenis.POKOK], 2: ledger[Jenis.WAJIB], 3: ledger[Jenis.SUKARELA]}
    assert reconcile(factory, runtime.connect(), runtime.deployment).drifts == []
    roll = contract(runtime.connect(), runtime.deployment, "CoopMembers")
    assert all(roll.functions.isMember(w).call() for w in wallets)


def test_crash_after_send_before_record_does_not_double_mint(world):
    runtime, factory, cipher, worker = world
    wallet = Account.create().address
    number = join(factory, cipher, 1, wallet)
    worker.run_once()  # admit and pokok mirrored
    save(factory, number, Jenis.SUKARELA, 70_000)
    with factory() as session:
        pending = list(session.scalars(select(OutboxItem).where(
            OutboxItem.status == OutboxStatus.PENDING)))
    assert [i.kind for i in pending] == [OutboxKind.MIRROR_SAVINGS]

    # The worker sends, and dies before writing anything down.
    signed = worker.sender.sign(worker.call_for(pending))
    worker.sender.send(signed)
    worker.sender.wait(signed.tx_hash)

    restarted = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                             worker.sender.account.key.hex())
    report = restarted.run_once()

    assert report.confirmed == 0 and report.repaired == 1
    assert token_balances(runtime, wallet)[3] == 70_000  # once, not twice
    with factory() as session:
        assert session.get(OutboxItem, pending[0].id).status is OutboxStatus.CONFIRMED
    assert reconcile(factory, runtime.connect(), runtime.deployment).drifts == []


def test_crash_after_record_before_send_is_resent_once(world):
    runtime, factory, cipher, worker = world
    wallet = Account.create().address
    number = join(factory, cipher, 1, wallet)
    worker.run_once()
    save(factory, number, Jenis.WAJIB, 50_000)
    with factory() as session:
        pending = list(session.scalars(select(OutboxItem).where(
            OutboxItem.status == OutboxStatus.PENDING)))
    # Recorded as sent, but the transaction never left the machine.
    signed = worker.sender.sign(worker.call_for(pending))
    worker._update(pending, status=OutboxStatus.SENT, tx_hash=signed.tx_hash)

    report = worker.run_once()

    assert report.repaired == 1 and report.confirmed == 1
    assert token_balances(runtime, wallet)[2] == 50_000


def test_chain_outage_delays_mirror_but_not_the_ledger(settings, tmp_path):
    port = free_port()
    state = tmp_path / "anvil-state.json"
    chain = Anvil(port=port, state_file=state)
    chain.start()
    chain_settings = settings.model_copy(update={"rpc_url": chain.url})
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    _engine, factory = open_database(chain_settings)
    cipher = PiiCipher(os.urandom(32))
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    wallet = Account.create().address
    chain.stop()
    try:
        number = join(factory, cipher, 1, wallet)  # the ledger works with the chain down
        save(factory, number, Jenis.SUKARELA, 25_000)
        down = worker.run_once()
        assert down.confirmed == 0 and down.errors
        with factory() as session:
            statuses = {i.status for i in session.scalars(select(OutboxItem))}
            assert statuses == {OutboxStatus.PENDING}
            assert savings.balances(session, number)[Jenis.SUKARELA] == 25_000

        chain = Anvil(port=port, state_file=state)
        chain.start()
        clock.freeze(clock.now() + dt.timedelta(hours=1))  # past every backoff
        try:
            up = worker.run_once()
        finally:
            clock.freeze(None)

        assert up.failed == 0 and up.confirmed == 3  # admit, pokok, sukarela
        assert reconcile(factory, runtime.connect(), runtime.deployment).drifts == []
        assert token_balances(runtime, wallet) == {1: 100_000, 2: 0, 3: 25_000}
    finally:
        chain.stop()
