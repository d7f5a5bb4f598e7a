"""The anchor job against a real Anvil and a real database (SQLite and PostgreSQL).

Each test deploys its own AnchorRegistry (fresh deployments dir and operator key), so
anchors of one test never meet another's.
"""

from __future__ import annotations

import datetime as dt
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import TimeExhausted

from ksp.anchoring import service, store
from ksp.anchoring.job import AnchorJob
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.service import AnchorWorker, Outcome
from ksp.bootstrap import open_database
from ksp.chain import anchor_registry as registry
from ksp.chain.client import make_web3
from ksp.chain.compiler import load_artifact
from ksp.chain.runtime import ChainRuntime
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import Settings
from ksp.ledger import log
from ksp.ledger.models import LogEntry
from tests.anchoring.test_store import post

EVERY = 10


@dataclass
class Env:
    settings: Settings
    factory: sessionmaker[Session]
    w3: Web3
    address: str
    block: int

    def job(self, w3: Web3 | None = None, **kw: Any) -> AnchorJob:
        return AnchorJob(self.factory, w3 or self.w3, self.address, self.settings,
                         from_block=self.block, **kw)

    def anchor(self, **kw: Any) -> service.AnchorOutcome:
        return self.job(**kw).anchor_if_due()

    def now(self, **kw: Any) -> service.AnchorOutcome:
        return self.job(**kw).anchor_now()

    def repair(self, **kw: Any) -> service.RepairReport:
        return self.job(**kw).repair()

    def records(self) -> list[AnchorRecord]:
        with transaction(self.factory) as session:
            return list(session.scalars(select(AnchorRecord).order_by(AnchorRecord.tree_size)))

    def root(self, size: int) -> bytes:
        with transaction(self.factory) as session:
            return store.root_at(session, size)


@pytest.fixture
def env(chain_settings: Settings, db_url: str) -> Iterator[Env]:
    settings = chain_settings.model_copy(update={
        "database_url": db_url, "anchor_every_entries": EVERY, "anchor_every_minutes": 60})
    runtime = ChainRuntime(settings)
    info = runtime.deploy()["contracts"]["AnchorRegistry"]
    engine, factory = open_database(settings)
    assert runtime.w3 is not None
    yield Env(settings, factory, runtime.w3, info["address"], info["block"])
    engine.dispose()


@pytest.fixture
def manual_mining(env: Env) -> Iterator[None]:
    """Anvil stops mining on its own until the test ends (shared chain: always restored)."""
    env.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield
    finally:
        env.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def test_embedded_abi_matches_the_compiled_contract():
    compiled = {(e["type"], e.get("name")): e for e in load_artifact("AnchorRegistry").abi}
    for entry in registry.ABI:
        assert compiled[(entry["type"], entry["name"])] == entry


def test_anchors_every_n_entries_and_records_tx_and_block(env):
    post(env.factory, EVERY - 1)
    assert env.anchor().outcome is Outcome.NOT_DUE
    assert env.records() == []

    post(env.factory, 1, seed=8)
    outcome = env.anchor()

    assert outcome.outcome is Outcome.ANCHORED and outcome.tree_size == EVERY
    [record] = env.records()
    assert record.status == "confirmed" and record.tree_size == EVERY
    assert record.root == env.root(EVERY)
    assert record.tx_hash == outcome.tx_hash and record.block_number == outcome.block
    assert record.anchor_index == 0
    [event] = registry.read_anchors(env.w3, env.address, env.block)
    assert tuple(event) == (0, EVERY, env.root(EVERY), record.tx_hash, record.block_number)
    assert registry.latest(env.w3, env.address) == (EVERY, env.root(EVERY), 1)


def test_no_anchor_when_nothing_is_new(env):
    assert env.now().outcome is Outcome.NOTHING_NEW  # empty log
    post(env.factory, 3)
    assert env.now().outcome is Outcome.ANCHORED

    again = env.now()

    assert again.outcome is Outcome.NOTHING_NEW
    assert registry.latest(env.w3, env.address).anchor_count == 1
    assert len(env.records()) == 1


def test_anchors_after_t_minutes_with_fewer_than_n_entries(env):
    t0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    clock.freeze(t0)
    try:
        post(env.factory, 3)
        assert env.now().outcome is Outcome.ANCHORED
        post(env.factory, 1, seed=9)
        clock.freeze(t0 + dt.timedelta(minutes=59))
        assert env.anchor().outcome is Outcome.NOT_DUE
        clock.freeze(t0 + dt.timedelta(minutes=60))
        outcome = env.anchor()
    finally:
        clock.freeze(None)
    assert outcome.outcome is Outcome.ANCHORED and outcome.tree_size == 4


def test_the_record_is_sent_before_the_receipt_is_awaited(env, monkeypatch):
    post(env.factory, EVERY)
    seen: list[tuple[str, str | None]] = []

    def crash_while_waiting(w3, address, tx_hash, **kw):
        [record] = env.records()  # committed by the job before it waits
        seen.append((record.status, record.tx_hash))
        assert record.tx_hash == tx_hash
        raise TimeExhausted("the process died here")

    monkeypatch.setattr(registry, "wait", crash_while_waiting)
    outcome = env.anchor()
    monkeypatch.undo()

    assert seen == [("sent", outcome.tx_hash)]
    assert outcome.outcome is Outcome.SENT
    report = env.repair()
    assert report.confirmed == [EVERY]
    [record] = env.records()
    assert record.status == "confirmed" and record.block_number is not None
    assert record.anchor_index == 0


def test_crash_between_send_and_record_is_repaired_from_events(env):
    post(env.factory, 5)
    with transaction(env.factory) as session:
        size, root = log.current_root(session)
    tx_hash = registry.send_anchor(env.w3, env.address, size, root)  # ... and then we died
    mined = registry.wait(env.w3, env.address, tx_hash)
    assert env.records() == []

    report = env.repair()

    assert report.recovered == [5] and report.ok
    [record] = env.records()
    assert (record.status, record.tx_hash, record.block_number, record.anchor_index) == (
        "confirmed", tx_hash, mined.block, 0)
    assert record.root == root
    # The repaired record counts: the same size is not anchored twice.
    assert env.now().outcome is Outcome.NOTHING_NEW
    assert registry.latest(env.w3, env.address).anchor_count == 1


def _drop(env: Env, tx_hash: str) -> None:
    env.w3.provider.make_request("anvil_dropTransaction", [tx_hash])  # type: ignore[arg-type]


def test_a_sent_anchor_that_never_mined_is_sent_again(env, manual_mining):
    post(env.factory, 6)
    outcome = env.now(receipt_timeout=0.5)  # nothing mines: the wait times out
    assert outcome.outcome is Outcome.SENT
    _drop(env, outcome.tx_hash)  # the node forgets it, as a congested public node might
    env.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]

    report = env.repair()

    assert report.resent == [6] and report.confirmed == [6]
    [record] = env.records()
    # Same nonce and fields, so the re-signed transaction may well have the same hash;
    # what matters is that it is now mined.
    assert record.status == "confirmed"
    assert registry.receipt_if_mined(env.w3, env.address, record.tx_hash).status == 1
    assert registry.latest(env.w3, env.address) == (6, env.root(6), 1)


def test_a_lost_anchor_is_superseded_once_the_chain_is_past_its_size(env, manual_mining):
    post(env.factory, 6)
    outcome = env.now(receipt_timeout=0.5)
    _drop(env, outcome.tx_hash)
    env.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    post(env.factory, 1, seed=3)
    with transaction(env.factory) as session:
        size, root = log.current_root(session)
    registry.wait(env.w3, env.address, registry.send_anchor(env.w3, env.address, size, root))

    report = env.repair()

    assert report.recovered == [7] and report.superseded == [6]
    assert [(r.tree_size, r.status) for r in env.records()] == [
        (6, "superseded"), (7, "confirmed")]


def test_a_pending_anchor_holds_back_the_next_one(env, manual_mining):
    post(env.factory, 6)
    assert env.now(receipt_timeout=0.2).outcome is Outcome.SENT
    post(env.factory, EVERY, seed=4)

    outcome = env.anchor(receipt_timeout=0.2)

    assert outcome.outcome is Outcome.PENDING and outcome.tree_size == 6
    assert [r.tree_size for r in env.records()] == [6]


def test_a_foreign_root_on_chain_is_reported_as_a_mismatch(env):
    post(env.factory, 4)
    bogus = Web3.keccak(text="not our log")
    registry.wait(env.w3, env.address, registry.send_anchor(env.w3, env.address, 4, bogus))

    report = env.repair()

    assert report.mismatches == [4] and not report.ok
    [record] = env.records()
    assert record.status == "mismatch" and record.root == bogus


def test_chain_outage_delays_the_anchor_and_the_ledger_keeps_appending(env):
    dead = make_web3("http://127.0.0.1:9", env.settings.operator_private_key())
    post(env.factory, EVERY)

    outcome = AnchorJob(env.factory, dead, env.address, env.settings).anchor_now()
    report = AnchorJob(env.factory, dead, env.address, env.settings).repair()

    assert outcome.outcome is Outcome.DELAYED
    assert "Rantai tidak dapat dihubungi" in outcome.message_id
    assert "connection refused" in outcome.message_en
    assert report.delayed is not None
    assert env.records() == []
    post(env.factory, 2, seed=5)  # the ledger does not notice
    with transaction(env.factory) as session:
        assert session.scalar(select(func.count()).select_from(LogEntry)) == EVERY + 2
    # Once the chain answers, the delayed anchor goes out.
    assert env.anchor().outcome is Outcome.ANCHORED


def test_a_rejected_anchor_is_an_outcome_with_the_contract_error(env):
    post(env.factory, 3)
    with transaction(env.factory) as session:
        _size, root = log.current_root(session)
    registry.wait(env.w3, env.address, registry.send_anchor(env.w3, env.address, 50, root))

    outcome = env.now()  # not repaired first: the chain is at 50, the log at 3

    assert outcome.outcome is Outcome.REJECTED
    assert "AnchorRegistrySizeNotIncreasing(50, 3)" in outcome.message_en


def test_read_anchors_chunks_the_block_range(env):
    for seed in range(3):
        post(env.factory, 2, seed=seed)
        assert env.now().outcome is Outcome.ANCHORED
    everything = registry.read_anchors(env.w3, env.address, env.block)
    one_block_at_a_time = registry.read_anchors(env.w3, env.address, env.block, chunk=1)
    assert [e.index for e in everything] == [0, 1, 2]
    assert one_block_at_a_time == everything


def test_worker_anchors_when_woken_and_stops_without_waiting_the_interval(env):
    outcomes: queue.Queue[service.AnchorOutcome] = queue.Queue()
    found = service.deployed_registry(env.settings)  # how the app finds the registry
    assert found == (env.address, env.block)
    worker = AnchorWorker(env.factory, env.w3, found[0], env.settings,
                          from_block=found[1], interval=3600, on_outcome=outcomes.put)
    worker.start()
    try:
        assert outcomes.get(timeout=30).outcome is Outcome.NOTHING_NEW
        assert worker.last_repair is not None and worker.last_repair.ok
        post(env.factory, EVERY)
        worker.wake()
        outcome = outcomes.get(timeout=30)
    finally:
        started = time.monotonic()
        worker.stop()
    assert time.monotonic() - started < 10  # not the 3600 s interval
    assert not worker.running
    assert outcome.outcome is Outcome.ANCHORED and outcome.tree_size == EVERY


def test_worker_survives_a_chain_outage(env):
    dead = make_web3("http://127.0.0.1:9", env.settings.operator_private_key())
    outcomes: queue.Queue[service.AnchorOutcome] = queue.Queue()
    worker = AnchorWorker(env.factory, dead, env.address, env.settings, interval=3600,
                          on_outcome=outcomes.put)
    worker.start()
    try:
        first = outcomes.get(timeout=30)
        worker.wake()
        second = outcomes.get(timeout=30)
        assert worker.running
    finally:
        worker.stop()
    assert first.outcome is Outcome.DELAYED and second.outcome is Outcome.DELAYED
    assert worker.last_error is None


def test_a_refused_resend_is_an_outcome_and_the_record_waits(env, manual_mining):
    post(env.factory, 6)
    sent = env.now(receipt_timeout=0.2)
    _drop(env, sent.tx_hash)
    env.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    admin = env.w3.eth.contract(address=env.address, abi=load_artifact("AnchorRegistry").abi)
    env.w3.eth.wait_for_transaction_receipt(admin.functions.pause().transact())

    outcome = env.anchor()

    assert outcome.outcome is Outcome.REJECTED and "EnforcedPause()" in outcome.message_en
    [record] = env.records()
    assert record.status == "sent"  # tried again on the next run, once unpaused
    env.w3.eth.wait_for_transaction_receipt(admin.functions.unpause().transact())
    # The next run resends the waiting anchor; it covers everything, so nothing else is new.
    assert env.anchor().outcome is Outcome.NOTHING_NEW
    assert [r.status for r in env.records()] == ["confirmed"]
    assert registry.latest(env.w3, env.address) == (6, env.root(6), 1)


# --- chain faults: rollbacks and confirmation depth (issue 14) -------------------------


def _rpc(env: Env, method: str, *params: Any) -> Any:
    return env.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def _proof_api(env: Env, seq: int) -> Any:
    from fastapi.testclient import TestClient

    from ksp.api.app import create_app
    from ksp.auth.models import Role
    from ksp.auth.service import Principal, issue_token

    app = create_app(env.settings)
    principal = Principal(subject="pengawas", role=Role.PENGAWAS, member_number=None)
    headers = {"Authorization": f"Bearer {issue_token(principal, env.settings.secret_key_bytes())}"}
    with TestClient(app) as client:
        reply = client.get(f"/api/v1/log/entries/{seq}/proof", headers=headers)
        listed = client.get("/api/v1/anchors", headers=headers)
    app.state.engine.dispose()
    return reply, listed.json()["anchors"]


def _cli_env(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from ksp.core.settings import get_settings

    s = env.settings
    for name, value in {"KSP_ENV": "test", "KSP_VAR_DIR": str(s.var_dir),
                        "KSP_DEPLOYMENTS_DIR": str(s.deployments_dir),
                        "KSP_DATABASE_URL": s.database_url, "KSP_RPC_URL": s.rpc_url}.items():
        monkeypatch.setenv(name, value or "")
    get_settings.cache_clear()


def _no_shared_numbers(env: Env) -> None:
    numbers = [r.anchor_index for r in env.records() if r.anchor_index is not None]
    assert len(numbers) == len(set(numbers)), numbers


def test_a_rollback_is_healed_and_proofs_cite_only_anchors_on_chain(env, monkeypatch):
    """ACCEPTANCE (issue 14): anchors lost in a rollback are replaced, the chain covers
    the ledger again, and the proof API cites only anchors that exist."""
    from typer.testing import CliRunner

    from ksp.anchoring.proofs import AnchorNotOnChain, prove
    from ksp.cli import app
    from ksp.core.settings import get_settings

    worker = AnchorWorker(env.factory, env.w3, env.address, env.settings,
                          from_block=env.block)
    post(env.factory, 10)
    assert worker.run_once().outcome is Outcome.ANCHORED  # #0, size 10: survives
    snapshot = _rpc(env, "evm_snapshot")
    post(env.factory, 5, seed=2)
    assert env.now().outcome is Outcome.ANCHORED  # #1, size 15: will vanish
    post(env.factory, 5, seed=3)
    assert env.now().outcome is Outcome.ANCHORED  # #2, size 20: will vanish
    assert _rpc(env, "evm_revert", snapshot) is True  # the power cut

    assert registry.latest(env.w3, env.address) == (10, env.root(10), 1)
    with transaction(env.factory) as session:
        # Before the job runs: the CLI skips the vanished anchors and says so, no traceback.
        assert prove(session, 5, w3=env.w3, registry_address=env.address)["tree_size"] == 10
        with pytest.raises(AnchorNotOnChain):
            prove(session, 18, w3=env.w3, registry_address=env.address)
    _cli_env(env, monkeypatch)
    try:
        reply = CliRunner().invoke(app, ["audit", "prove", "18"])
    finally:
        get_settings.cache_clear()
    assert reply.exit_code == 2, reply.output
    assert isinstance(reply.exception, SystemExit)  # a clean exit, not a crash
    assert "tidak ada lagi di rantai" in reply.output and "Traceback" not in reply.output

    outcome = worker.run_once()  # the job: re-check, replace, anchor again

    assert worker.last_recheck is not None and worker.last_recheck.replaced == [15, 20]
    assert outcome.outcome is Outcome.ANCHORED and outcome.tree_size == 20
    assert registry.latest(env.w3, env.address) == (20, env.root(20), 2)  # covers the ledger
    assert [(r.tree_size, r.status, r.anchor_index) for r in env.records()] == [
        (10, "confirmed", 0), (15, "replaced", None), (20, "replaced", None),
        (20, "confirmed", 1)]
    _no_shared_numbers(env)
    on_chain = {(e.index, e.tree_size, e.root, e.tx_hash, e.block)
                for e in registry.read_anchors(env.w3, env.address, env.block)}
    reply, listed = _proof_api(env, 18)
    assert reply.status_code == 200
    cited = reply.json()["anchor"]
    assert (cited["index"], reply.json()["tree_size"], bytes.fromhex(reply.json()["root"][2:]),
            cited["tx_hash"], cited["block"]) in on_chain
    assert [(a["tree_size"], a["status"], a["final"]) for a in listed] == [
        (20, "confirmed", True), (20, "replaced", False), (15, "replaced", False),
        (10, "confirmed", True)]
    # Nothing is lost twice: a second pass finds the chain and the records agree.
    assert worker.run_once().outcome is Outcome.NOTHING_NEW
    assert worker.last_recheck.replaced == []


def test_repair_at_start_replaces_an_anchor_the_chain_lost(env):
    post(env.factory, 4)
    snapshot = _rpc(env, "evm_snapshot")
    assert env.now().outcome is Outcome.ANCHORED
    _rpc(env, "evm_revert", snapshot)

    report = env.repair()  # a restarted process: the full repair, not the re-check

    assert report.replaced == [4] and report.ok
    assert env.anchor().outcome is Outcome.ANCHORED  # due at once: its entries are bare
    assert [(r.tree_size, r.status, r.anchor_index) for r in env.records()] == [
        (4, "replaced", None), (4, "confirmed", 0)]
    assert registry.latest(env.w3, env.address) == (4, env.root(4), 1)


def test_an_anchor_is_final_only_at_the_confirmation_depth(env):
    deep = env.settings.model_copy(update={"confirmation_depth": 3})
    job = AnchorJob(env.factory, env.w3, env.address, deep, from_block=env.block)
    post(env.factory, 6)

    outcome = job.anchor_now()

    assert outcome.outcome is Outcome.ANCHORED and "final setelah 3 blok" in outcome.message_id
    assert [r.status for r in env.records()] == ["included"]
    reply, _listed = _proof_api(env, 2)
    assert reply.status_code == 409 and reply.json()["code"] == "not_anchored_yet"
    assert job.recheck().finalized == []
    _rpc(env, "anvil_mine", "0x3")

    assert job.recheck().finalized == [6]
    assert [r.status for r in env.records()] == ["confirmed"]
    reply, _listed = _proof_api(env, 2)
    assert reply.status_code == 200 and reply.json()["tree_size"] == 6


def test_an_anchor_lost_before_it_was_final_is_replaced_and_never_cited(env):
    deep = env.settings.model_copy(update={"confirmation_depth": 2})
    job = AnchorJob(env.factory, env.w3, env.address, deep, from_block=env.block)
    post(env.factory, 5)
    snapshot = _rpc(env, "evm_snapshot")
    assert job.anchor_now().outcome is Outcome.ANCHORED
    _rpc(env, "evm_revert", snapshot)
    _rpc(env, "anvil_mine", "0x5")  # the chain goes on without it

    report = job.recheck()

    assert report.replaced == [5] and report.finalized == []
    assert job.anchor_if_due().outcome is Outcome.ANCHORED
    _rpc(env, "anvil_mine", "0x2")
    assert job.recheck().finalized == [5]
    assert [(r.status, r.anchor_index) for r in env.records()] == [
        ("replaced", None), ("confirmed", 0)]
