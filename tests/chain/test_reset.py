"""A lost local chain (a fresh Anvil where ours was) is noticed and rebuilt from the ledger:
contracts redeployed, the outbox replayed exactly, members linked before the outbox
existed filled in from the ledger, old anchors marked lost, a new anchor at the current
size, and the reset named in the log, in /health's data and by `ksp audit verify`."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time

import pytest
from eth_account import Account
from sqlalchemy import delete, select

from ksp.anchoring.export import export_log
from ksp.anchoring.job import AnchorJob
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.verify import report_lines, verify
from ksp.bootstrap import open_database
from ksp.chain import rebuild
from ksp.chain.anvil import Anvil, AnvilNotFound, rpc_call
from ksp.chain.deploy import read_deployment
from ksp.chain.finality import RECHECK_MARGIN
from ksp.chain.outbox import OutboxItem, OutboxKind
from ksp.chain.rebuild import ChainGuard, ChainWatch, last_reset
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.ledger.models import LogEntry
from ksp.members import service as members
from ksp.savings import service as savings
from ksp.savings.reconcile import reconcile
from ksp.savings.service import Jenis
from tests.chain.test_outbox import BACKDATED, DAY, join, save, token_balances
from tests.conftest import free_port


class FreshChains:
    """Anvils on one port: `restart_fresh` loses the whole chain, as a deleted state file
    does."""

    def __init__(self) -> None:
        self.port = free_port()
        self.chain = Anvil(port=self.port)

    def start(self) -> None:
        self.chain.start()

    def restart_fresh(self) -> None:
        self.chain.stop()
        self.chain = Anvil(port=self.port)
        self.chain.start()

    def stop(self) -> None:
        self.chain.stop()


@pytest.fixture
def fresh_chains(settings):
    try:
        chains = FreshChains()
    except AnvilNotFound as exc:
        pytest.skip(f"SKIPPED LOUDLY: {exc}")
    chains.start()
    chain_settings = settings.model_copy(update={"rpc_url": chains.chain.url,
                                                 "anchor_every_entries": 1})
    yield chains, chain_settings
    chains.stop()


def _runtime_and_guard(chain_settings, factory):
    runtime = ChainRuntime(chain_settings)
    guard = ChainGuard(chain_settings, factory, runtime.connect())
    return runtime, guard


def _worker(runtime, chain_settings, factory) -> OutboxWorker:
    return OutboxWorker(factory, runtime.connect(), runtime.deployment,
                        chain_settings.operator_private_key())


def _is_member(runtime, wallet: str) -> bool:
    roll = contract(runtime.connect(), runtime.deployment, "CoopMembers")
    return bool(roll.functions.isMember(wallet).call())


def _anchor_job(runtime, chain_settings, factory) -> AnchorJob:
    registry = runtime.deployment["contracts"]["AnchorRegistry"]
    return AnchorJob(factory, runtime.connect(), registry["address"], chain_settings,
                     from_block=int(registry["block"]))


def test_a_fresh_chain_is_rebuilt_from_the_ledger_and_the_reset_is_named(fresh_chains,
                                                                       tmp_path):
    chains, chain_settings = fresh_chains
    _engine, factory = open_database(chain_settings)
    cipher = PiiCipher(os.urandom(32))
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    assert guard.ensure(runtime.deploy) is None  # first start: nothing to rebuild
    assert read_deployment(chain_settings.deployments_dir, 31337)["chain"]["genesis_hash"]

    wallets = [Account.create().address for _ in range(3)]
    numbers = [join(factory, cipher, i + 1, w) for i, w in enumerate(wallets)]
    save(factory, numbers[0], Jenis.WAJIB, 50_000)
    save(factory, numbers[1], Jenis.SUKARELA, 1_250_000)
    save(factory, numbers[1], Jenis.WAJIB, 25_000)
    with transaction(factory) as session:  # every kind: a burn and an exit too
        savings.withdraw(session, member_number=numbers[1], jenis=Jenis.SUKARELA,
                         amount=250_000, on=DAY, reason=BACKDATED)
        members.mark_exited(session, members.get_member(session, numbers[2]), on=DAY,
                            reason=BACKDATED)
    _worker(runtime, chain_settings, factory).run_once()
    assert not _is_member(runtime, wallets[2])
    anchored = _anchor_job(runtime, chain_settings, factory).anchor_now()
    assert anchored.index == 0
    assert guard.ensure(runtime.deploy) is None  # a normal restart is no reset

    chains.restart_fresh()  # the state file is gone: a new chain on the same port
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    found = guard.check()
    assert found is not None and found.code == "contracts_missing"

    healed = guard.ensure(runtime.deploy)

    assert healed is not None and healed.code == "contracts_missing"
    report = _worker(runtime, chain_settings, factory).run_once()
    assert report.failed == 0 and report.confirmed == 11  # every outbox row, once
    result = reconcile(factory, runtime.connect(), runtime.deployment)
    assert result.drifts == [] and result.pending == []
    assert token_balances(runtime, wallets[1]) == {1: 100_000, 2: 25_000, 3: 1_000_000}
    assert _is_member(runtime, wallets[0]) and not _is_member(runtime, wallets[2])
    with factory() as session:
        reset = last_reset(session)
        assert reset is not None and reset["reason"] == "contracts_missing"
        assert reset["anchors_lost"] == 1 and reset["last_anchored_size"] == anchored.tree_size
        anchors = list(session.scalars(select(AnchorRecord).order_by(AnchorRecord.id)))
    assert [a.status for a in anchors] == ["lost", "confirmed"]  # kept, never deleted
    assert anchors[0].anchor_index is None and anchors[1].anchor_index == 0
    assert anchors[1].tree_size == reset["seq"]  # anchored again at the size after the reset
    # A second start on the rebuilt chain is not another reset.
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    assert guard.ensure(runtime.deploy) is None
    with factory() as session:
        assert session.scalar(select(LogEntry.seq).where(LogEntry.kind == "chain.reset")
                              .order_by(LogEntry.seq.desc())) == reset["seq"]

    export = tmp_path / "log.jsonl"
    with factory() as session, export.open("w") as out:
        export_log(session, out)
    registry = runtime.deployment["contracts"]["AnchorRegistry"]
    audit = verify(export, runtime.settings.effective_rpc_url, registry["address"],
                   from_block=int(registry["block"]))
    assert audit.ok, report_lines(audit)
    assert audit.resets == [(reset["seq"], reset["at"])]
    assert f"The chain was reset at {reset['at']}" in audit.headline_en
    assert "anchors before it are gone" in "\n".join(report_lines(audit))
    assert json.loads(json.dumps(audit.to_json()))["chain_resets"][0]["seq"] == reset["seq"]


def test_state_the_outbox_never_held_is_sent_from_the_ledger(fresh_chains):
    chains, chain_settings = fresh_chains
    _engine, factory = open_database(chain_settings)
    cipher = PiiCipher(os.urandom(32))
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    guard.ensure(runtime.deploy)
    wallet, other = Account.create().address, Account.create().address
    legacy = join(factory, cipher, 1, wallet)
    save(factory, legacy, Jenis.SUKARELA, 75_000)
    kept = join(factory, cipher, 2, other)
    _worker(runtime, chain_settings, factory).run_once()
    with transaction(factory) as session:  # linked before the outbox existed
        session.execute(delete(OutboxItem).where(OutboxItem.payload.contains(wallet)))
        session.execute(delete(OutboxItem).where(
            OutboxItem.kind == OutboxKind.ADMIT_MEMBER,
            OutboxItem.payload.contains(f'"member": {legacy}')))

    chains.restart_fresh()
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    assert guard.ensure(runtime.deploy) is not None
    _worker(runtime, chain_settings, factory).run_once()

    assert token_balances(runtime, wallet) == {1: 100_000, 2: 0, 3: 75_000}
    assert token_balances(runtime, other)[1] == 100_000
    result = reconcile(factory, runtime.connect(), runtime.deployment)
    assert result.drifts == [] and result.pending == []
    with factory() as session:
        refills = list(session.scalars(select(LogEntry.kind).where(
            LogEntry.kind == "chain.reset.mirror")))
    assert len(refills) == 1  # only the legacy member needed one
    assert kept != legacy


def test_a_rebuild_cut_short_is_finished_by_the_next_start_and_logged_once(fresh_chains,
                                                                         monkeypatch):
    """A power cut right after the redeploy (the chain then looks like ours, block for
    block), and another one after the database step: the next start finishes the rebuild,
    with one `chain.reset` entry."""
    chains, chain_settings = fresh_chains
    _engine, factory = open_database(chain_settings)
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    guard.ensure(runtime.deploy)
    wallet = Account.create().address
    join(factory, PiiCipher(os.urandom(32)), 1, wallet)
    _worker(runtime, chain_settings, factory).run_once()
    chains.restart_fresh()

    def power_cut(*_args, **_kwargs):
        raise KeyboardInterrupt

    runtime, guard = _runtime_and_guard(chain_settings, factory)
    with monkeypatch.context() as patch:
        patch.setattr(ChainGuard, "_rebuild_books", power_cut)
        with pytest.raises(KeyboardInterrupt):
            guard.ensure(runtime.deploy)  # redeployed, then cut
    assert guard.check() is not None  # the mark tells, though the contracts are back
    with monkeypatch.context() as patch:
        patch.setattr(rebuild, "write_facts", power_cut)
        with pytest.raises(KeyboardInterrupt):
            guard.ensure(runtime.deploy)  # the database step ran, then cut
    assert guard.ensure(runtime.deploy) is not None
    _worker(runtime, chain_settings, factory).run_once()

    with factory() as session:
        assert len(list(session.scalars(select(LogEntry.seq).where(
            LogEntry.kind == "chain.reset")))) == 1
    assert token_balances(runtime, wallet)[1] == 100_000
    assert guard.check() is None
    assert "reset_pending" not in read_deployment(chain_settings.deployments_dir, 31337)


def test_the_worker_loop_notices_a_reset(fresh_chains):
    chains, chain_settings = fresh_chains
    _engine, factory = open_database(chain_settings)
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    guard.ensure(runtime.deploy)
    join(factory, PiiCipher(os.urandom(32)), 1, Account.create().address)
    _worker(runtime, chain_settings, factory).run_once()
    seen: list[str] = []
    healed = threading.Event()

    def on_reset(found) -> None:
        seen.append(found.code)
        guard.ensure(runtime.deploy)
        healed.set()

    watch = ChainWatch(guard, on_reset, interval=0.2)
    watch.start()
    try:
        time.sleep(0.6)
        assert seen == []  # our own chain: nothing to do
        chains.restart_fresh()
        assert healed.wait(30)
    finally:
        watch.stop()
    assert seen == ["contracts_missing"]
    with factory() as session:
        assert last_reset(session) is not None


def test_a_chain_outage_is_not_a_reset(fresh_chains):
    chains, chain_settings = fresh_chains
    _engine, factory = open_database(chain_settings)
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    guard.ensure(runtime.deploy)
    join(factory, PiiCipher(os.urandom(32)), 1, Account.create().address)
    chains.chain.stop()
    with pytest.raises(Exception):  # noqa: B017 - any connection error: an outage
        guard.check()
    chains.chain = Anvil(port=chains.port)  # fixture teardown stops it
    chains.chain.start()


def test_a_registry_behind_a_deep_final_anchor_is_a_reset_a_shallow_one_is_not(fresh_chains):
    chains, chain_settings = fresh_chains
    _engine, factory = open_database(chain_settings)
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    guard.ensure(runtime.deploy)
    join(factory, PiiCipher(os.urandom(32)), 1, Account.create().address)
    head = runtime.connect().eth.block_number
    registry = runtime.deployment["contracts"]["AnchorRegistry"]["address"]
    with transaction(factory) as session:  # final, recorded, and not on this chain
        session.add(AnchorRecord(tree_size=2, root=b"\x01" * 32, chain_id=31337,
                                 registry_address=registry, anchor_index=0, tx_hash="0x00",
                                 block_number=head, status="confirmed",
                                 created_at=dt.datetime.now(dt.UTC)))
    assert guard.check() is None  # within a rollback's reach: the anchor job heals that
    rpc_call(chains.chain.url, "anvil_mine", [hex(RECHECK_MARGIN + 2)])

    found = guard.check()

    assert found is not None and found.code == "registry_behind"


def test_a_lost_deployment_record_on_the_local_chain_is_rebuilt_too(fresh_chains):
    chains, chain_settings = fresh_chains
    _engine, factory = open_database(chain_settings)
    runtime, guard = _runtime_and_guard(chain_settings, factory)
    guard.ensure(runtime.deploy)
    wallet = Account.create().address
    number = join(factory, PiiCipher(os.urandom(32)), 1, wallet)
    save(factory, number, Jenis.WAJIB, 50_000)
    _worker(runtime, chain_settings, factory).run_once()
    old_token = runtime.deployment["contracts"]["SavingsToken"]["address"]
    (chain_settings.deployments_dir / "31337.json").unlink()  # the chain itself is intact

    runtime, guard = _runtime_and_guard(chain_settings, factory)
    found = guard.ensure(runtime.deploy)

    assert found is not None and found.code == "deployment_missing"
    assert runtime.deployment["contracts"]["SavingsToken"]["address"] != old_token
    _worker(runtime, chain_settings, factory).run_once()
    assert token_balances(runtime, wallet) == {1: 100_000, 2: 50_000, 3: 0}
    result = reconcile(factory, runtime.connect(), runtime.deployment)
    assert result.drifts == [] and result.pending == []
