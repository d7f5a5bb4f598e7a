"""Outbox kinds are handled by typed handlers registered in one place; rows that are no
ledger posting (a ballot) fit with a ref and no log seq; the migration gives old rows
their ref; reconcile tells what the outbox still owes from real drift."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy import create_engine, text

from ksp.bootstrap import open_database
from ksp.chain.handlers import HANDLERS
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus, enqueue
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxWorker
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.savings.reconcile import Pending, reconcile
from ksp.savings.service import Jenis
from tests.chain.test_outbox import join, save


def test_every_kind_has_exactly_one_handler_naming_a_deployed_contract():
    assert set(HANDLERS) == set(OutboxKind)
    for kind, handler in HANDLERS.items():
        assert handler.kind is kind
        assert handler.contract_name in {"CoopMembers", "SavingsToken", "LoanAgreements"}


class ByMeeting:
    """A ballot-like handler: rows batch by (meeting, item), not by kind alone."""
    kind = OutboxKind.MIRROR_SAVINGS
    contract_name = "SavingsToken"
    max_batch = 2

    def batch_key(self, item):
        data = item.data()
        return (data["meeting"], data["item"])

    def build_call(self, contract, items):
        raise AssertionError("not sent in this test")

    def already_applied(self, contract, item):
        raise AssertionError("not asked in this test")


def test_a_row_without_a_log_seq_queues_with_its_own_ref_and_batches_by_the_handlers_key(
        db_settings):
    _engine, factory = open_database(db_settings)
    votes = [(1, 1), (1, 1), (1, 1), (1, 2), (2, 1)]
    with transaction(factory) as session:
        items = [enqueue(session, kind=OutboxKind.MIRROR_SAVINGS, ref=f"ballot:{m}/{i}/{n}",
                         data={"meeting": m, "item": i}) for n, (m, i) in enumerate(votes)]
    with factory() as session:
        stored = [session.get(OutboxItem, i.id) for i in items]
    assert [s.seq for s in stored] == [None] * 5
    assert stored[0].ref == "ballot:1/1/0" and stored[0].status is OutboxStatus.PENDING

    worker = OutboxWorker(factory, None, {}, "0x" + "11" * 32,  # type: ignore[arg-type]
                          handlers={OutboxKind.MIRROR_SAVINGS: ByMeeting()})
    batches = [[s.ref for s in b] for b in worker.batches(stored)]

    assert batches == [["ballot:1/1/0", "ballot:1/1/1"], ["ballot:1/1/2"], ["ballot:1/2/3"],
                       ["ballot:2/1/4"]]


def test_enqueue_needs_a_seq_or_a_ref(db_settings):
    _engine, factory = open_database(db_settings)
    with pytest.raises(ValueError), transaction(factory) as session:
        enqueue(session, kind=OutboxKind.EXIT_MEMBER, data={"member": 1})


def test_migration_gives_existing_rows_their_seq_as_ref(db_url):
    from alembic import command
    from alembic.config import Config

    from ksp.core import schema

    engine = create_engine(db_url)
    schema.import_models()
    config = Config()
    config.set_main_option("script_location",
                           str(Path(schema.__file__).resolve().parent.parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(
            "INSERT INTO log_entries (seq, kind, payload, leaf_hash, recorded_at) "
            "VALUES (1, 'x', '{}', :h, CURRENT_TIMESTAMP)"), {"h": bytes(32)})
        connection.execute(text(
            "INSERT INTO chain_outbox (seq, kind, payload, status, attempts, created_at) "
            "VALUES (1, 'EXIT_MEMBER', :p, 'CONFIRMED', 0, CURRENT_TIMESTAMP)"),
            {"p": json.dumps({"member": 1})})
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004_outbox")
        row = connection.execute(text("SELECT ref, seq FROM chain_outbox")).one()
    engine.dispose()
    assert tuple(row) == ("seq:1", 1)


def test_reconcile_counts_what_the_outbox_still_owes_as_pending_not_drift(chain_settings):
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    _engine, factory = open_database(chain_settings)
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    number = join(factory, PiiCipher(os.urandom(32)), 1, Account.create().address)
    joined = reconcile(factory, runtime.connect(), runtime.deployment)  # nothing sent yet
    worker.run_once()
    save(factory, number, Jenis.WAJIB, 50_000)  # queued, not sent

    result = reconcile(factory, runtime.connect(), runtime.deployment)

    assert joined.drifts == []
    assert joined.pending == [Pending(number, "pokok", 100_000, 0),
                              Pending(number, "membership", "anggota", "not a member")]
    assert result.drifts == []
    assert result.pending == [Pending(number, "wajib", 50_000, 0)]
