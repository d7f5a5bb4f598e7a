"""Outbox batches at the ledger's pace: a batch takes as many rows as fit the gas budget
(setting KSP_OUTBOX_BATCH_GAS), within the contract's own limit."""

from __future__ import annotations

from ksp.bootstrap import open_database
from ksp.chain.handlers import HANDLERS
from ksp.chain.outbox import OutboxItem, OutboxKind, enqueue
from ksp.chain.worker import OutboxWorker
from ksp.core.db import transaction
from ksp.core.settings import Settings

KEY = "0x" + "11" * 32


def _worker(factory, gas: int) -> OutboxWorker:
    return OutboxWorker(factory, None, {}, KEY, batch_gas=gas)  # type: ignore[arg-type]


def test_the_gas_budget_sets_the_batch_size(settings: Settings):
    _engine, factory = open_database(settings)
    mirror = HANDLERS[OutboxKind.MIRROR_SAVINGS]
    admit = HANDLERS[OutboxKind.ADMIT_MEMBER]
    assert _worker(factory, 10_000_000).limit(mirror) == 10_000_000 // 31_000 == 322
    assert _worker(factory, 10_000_000).limit(admit) == 10_000_000 // 95_000 == 105
    assert _worker(factory, 1_000_000).limit(mirror) == 32
    assert _worker(factory, 100_000).limit(admit) == 1  # never less than one row
    assert _worker(factory, 10**12).limit(mirror) == mirror.max_batch == 1_000
    assert _worker(factory, 10**12).limit(HANDLERS[OutboxKind.EXIT_MEMBER]) == 1

    with transaction(factory) as session:
        items = [enqueue(session, kind=OutboxKind.MIRROR_SAVINGS, ref=f"gas:{n}",
                         data={"member": 1, "wallet": "0x" + "22" * 20, "token_id": 3,
                               "delta": 1_000}) for n in range(70)]
    with factory() as session:
        stored = [session.get(OutboxItem, i.id) for i in items]
    sizes = [len(b) for b in _worker(factory, 1_000_000).batches(stored)]
    assert sizes == [32, 32, 6]


def test_the_budget_is_a_setting(monkeypatch):
    monkeypatch.setenv("KSP_OUTBOX_BATCH_GAS", "2500000")
    assert Settings().outbox_batch_gas == 2_500_000
    assert Settings.model_fields["outbox_batch_gas"].default == 10_000_000
