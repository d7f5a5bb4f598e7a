"""Confirmation depth and re-verification on a real Anvil: rows follow SENT -> INCLUDED ->
CONFIRMED, and rows whose blocks the chain lost (`evm_revert`, as after a power cut or a
reorg) go back to PENDING and are sent again, until reconcile shows no drift."""

from __future__ import annotations

import os

import pytest
from eth_account import Account
from sqlalchemy import select

from ksp.bootstrap import open_database
from ksp.chain.anvil import Anvil, AnvilNotFound, rpc_call
from ksp.chain.finality import Finality
from ksp.chain.outbox import OutboxItem, OutboxStatus
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxWorker
from ksp.core.crypto import PiiCipher
from ksp.savings.reconcile import reconcile
from ksp.savings.service import Jenis
from tests.chain.test_outbox import join, save, token_balances
from tests.conftest import free_port


@pytest.fixture
def own_chain(settings):
    """An Anvil of this test alone: reverting it must not disturb the session's chain."""
    try:
        chain = Anvil(port=free_port())
    except AnvilNotFound as exc:
        pytest.skip(f"SKIPPED LOUDLY: {exc}")
    chain.start()
    chain_settings = settings.model_copy(update={"rpc_url": chain.url})
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    _engine, factory = open_database(chain_settings)
    yield chain, runtime, factory, chain_settings
    chain.stop()


def statuses(factory) -> list[OutboxStatus]:
    with factory() as session:
        return [i.status for i in session.scalars(select(OutboxItem).order_by(OutboxItem.id))]


def mine(chain: Anvil, blocks: int) -> None:
    rpc_call(chain.url, "anvil_mine", [hex(blocks)])


def test_deposits_lost_in_a_rollback_are_sent_again_and_reconcile_shows_no_drift(own_chain):
    chain, runtime, factory, chain_settings = own_chain
    cipher = PiiCipher(os.urandom(32))
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    wallet = Account.create().address
    number = join(factory, cipher, 1, wallet)
    worker.run_once()
    snapshot = rpc_call(chain.url, "evm_snapshot")
    save(factory, number, Jenis.WAJIB, 50_000)
    save(factory, number, Jenis.SUKARELA, 20_000)
    assert worker.run_once().confirmed == 2
    assert set(statuses(factory)) == {OutboxStatus.CONFIRMED}  # depth 0 on Anvil

    rpc_call(chain.url, "evm_revert", [snapshot])  # the chain loses both deposits ...
    mine(chain, 3)  # ... and grows new blocks at the same heights
    assert token_balances(runtime, wallet) == {1: 100_000, 2: 0, 3: 0}
    assert reconcile(factory, runtime.connect(), runtime.deployment).drifts  # really lost

    report = worker.run_once()

    assert report.reverted == 2 and report.confirmed == 2 and report.failed == 0
    assert token_balances(runtime, wallet) == {1: 100_000, 2: 50_000, 3: 20_000}
    result = reconcile(factory, runtime.connect(), runtime.deployment)
    assert result.drifts == [] and result.pending == []
    assert worker.run_once().reverted == 0  # the new blocks are canonical: nothing to redo


def test_a_row_is_included_first_and_confirmed_at_the_depth(own_chain):
    chain, runtime, factory, chain_settings = own_chain
    cipher = PiiCipher(os.urandom(32))
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key(), finality=Finality(depth=3))
    join(factory, cipher, 1, Account.create().address)

    worker.run_once()
    assert set(statuses(factory)) == {OutboxStatus.INCLUDED}
    mine(chain, 1)
    assert worker.run_once().finalized == 0  # not deep enough yet
    mine(chain, 3)
    report = worker.run_once()

    assert report.finalized == 2  # admit and pokok
    assert set(statuses(factory)) == {OutboxStatus.CONFIRMED}


def test_an_included_row_whose_block_vanished_is_resent(own_chain):
    chain, runtime, factory, chain_settings = own_chain
    cipher = PiiCipher(os.urandom(32))
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key(), finality=Finality(depth=5))
    wallet = Account.create().address
    snapshot = rpc_call(chain.url, "evm_snapshot")
    join(factory, cipher, 1, wallet)
    worker.run_once()
    assert set(statuses(factory)) == {OutboxStatus.INCLUDED}

    rpc_call(chain.url, "evm_revert", [snapshot])
    report = worker.run_once()

    assert report.reverted == 2 and report.confirmed == 2
    assert token_balances(runtime, wallet)[1] == 100_000


def test_finality_per_chain():
    assert Finality.for_chain(31337).immediate
    assert Finality.for_chain(80002).use_finalized_tag  # Polygon Amoy
    assert Finality.for_chain(137).use_finalized_tag  # Polygon PoS
    assert Finality.for_chain(137, depth=128) == Finality(depth=128)
    assert Finality.for_chain(424242).depth > 0
