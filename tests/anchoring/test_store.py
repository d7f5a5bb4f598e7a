"""The database-backed tree (ksp.anchoring.store) against the in-memory reference.

Runs on SQLite and PostgreSQL (the `db_url` fixture). The helpers at the top build a
log of realistic journal entries and are shared with the service and audit tests.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from ksp.anchoring import store
from ksp.anchoring.merkle import EMPTY_ROOT, MerkleLog, NodeStore, leaf_hash
from ksp.bootstrap import open_database
from ksp.core.db import transaction
from ksp.core.settings import Settings
from ksp.ledger import journal, log
from ksp.ledger.chart import (
    BEBAN_GAJI,
    BEBAN_OPERASIONAL,
    KAS,
    PENDAPATAN_JASA_PINJAMAN,
    PIUTANG_PINJAMAN,
    SIMPANAN_POKOK,
    SIMPANAN_SUKARELA,
    SIMPANAN_WAJIB,
)
from ksp.ledger.journal import credit, debit
from ksp.ledger.models import LogEntry

START = dt.date(2025, 1, 2)


def _legs(rng: random.Random) -> tuple[str, str, list[journal.Leg]]:
    """One realistic KSP transaction: savings, withdrawals, loans, repayments, expenses."""
    member = rng.randint(1, 40)
    choice = rng.randrange(7)
    if choice == 0:
        return "simpanan.pokok", "Setoran simpanan pokok", [
            debit(KAS, 100_000), credit(SIMPANAN_POKOK, 100_000, member)]
    if choice == 1:
        return "simpanan.wajib", "Setoran simpanan wajib", [
            debit(KAS, 50_000), credit(SIMPANAN_WAJIB, 50_000, member)]
    if choice == 2:
        amount = rng.randint(1, 500) * 1_000
        return "simpanan.setor", "Setoran simpanan sukarela", [
            debit(KAS, amount), credit(SIMPANAN_SUKARELA, amount, member)]
    if choice == 3:
        amount = rng.randint(1, 50) * 1_000
        return "simpanan.tarik", "Penarikan simpanan sukarela", [
            debit(SIMPANAN_SUKARELA, amount, member), credit(KAS, amount)]
    if choice == 4:
        amount = rng.randint(1, 20) * 500_000
        return "pinjaman.cair", "Pencairan pinjaman", [
            debit(PIUTANG_PINJAMAN, amount, member), credit(KAS, amount)]
    if choice == 5:
        principal, interest = rng.randint(1, 20) * 50_000, rng.randint(1, 30) * 1_500
        return "pinjaman.angsuran", "Angsuran pinjaman", [
            debit(KAS, principal + interest), credit(PIUTANG_PINJAMAN, principal, member),
            credit(PENDAPATAN_JASA_PINJAMAN, interest, member)]
    account = rng.choice([BEBAN_GAJI, BEBAN_OPERASIONAL])
    amount = rng.randint(1, 40) * 25_000
    return "beban", "Pembayaran beban", [debit(account, amount), credit(KAS, amount)]


def post_entries(session: Session, count: int, *, seed: int = 7) -> list[int]:
    """Posts `count` journal entries in the caller's transaction; returns their seqs."""
    rng = random.Random(seed)
    seqs = []
    for _ in range(count):
        kind, memo, legs = _legs(rng)
        day = START + dt.timedelta(days=rng.randrange(300))
        seqs.append(journal.post(session, entry_date=day, kind=kind, memo=memo, legs=legs,
                                 reason="Uji: buku lampau").seq)
    return seqs


def post(factory: sessionmaker[Session], count: int, *, seed: int = 7) -> list[int]:
    with transaction(factory) as session:
        return post_entries(session, count, seed=seed)


def reference_tree(session: Session) -> MerkleLog:
    leaves = session.scalars(select(LogEntry.leaf_hash).order_by(LogEntry.seq))
    return MerkleLog.from_leaf_hashes(bytes(h) for h in leaves)


@pytest.fixture
def factory(settings: Settings, db_url: str) -> Iterator[sessionmaker[Session]]:
    engine, made = open_database(settings.model_copy(update={"database_url": db_url}))
    yield made
    engine.dispose()


@pytest.fixture
def queries(factory: sessionmaker[Session]) -> Iterator[list[str]]:
    """Every SQL statement the engine runs from now on."""
    engine = factory.kw["bind"]
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


# --- tests ---------------------------------------------------------------------------


def test_root_at_every_size_equals_the_in_memory_tree_and_the_head(factory):
    post(factory, 70)
    with transaction(factory) as session:
        reference = reference_tree(session)
        for size in range(0, 71):
            assert store.root_at(session, size) == reference.root(size), size
        assert store.root_at(session, 0) == EMPTY_ROOT
        assert log.current_root(session) == (70, store.root_at(session, 70))


def test_leaves_in_the_database_are_the_hash_of_the_payload_bytes(factory):
    post(factory, 5)
    with transaction(factory) as session:
        for entry in session.scalars(select(LogEntry)):
            assert bytes(entry.leaf_hash) == leaf_hash(entry.payload.encode("utf-8"))


def test_inclusion_proofs_verify_and_equal_the_reference(factory):
    post(factory, 70)
    with transaction(factory) as session:
        reference = reference_tree(session)
        for size in (1, 2, 3, 5, 37, 64, 65, 70):
            for seq in range(1, size + 1):
                proof = store.inclusion_proof(session, seq, size)
                assert proof.leaf_index == seq - 1 and proof.tree_size == size
                assert proof.path == reference.inclusion_proof(seq - 1, size)
                assert proof.root == reference.root(size)
                assert proof.leaf_hash == reference.leaf(seq - 1)
                assert proof.verify(), (seq, size)


def test_inclusion_proof_json_has_the_documented_fields(factory):
    post(factory, 3)
    with transaction(factory) as session:
        body = store.inclusion_proof(session, 1, 3).to_json()
    assert list(body) == ["seq", "leaf_index", "tree_size", "leaf_hash", "path", "root"]
    assert body["seq"] == 1 and body["leaf_index"] == 0 and body["tree_size"] == 3
    assert all(h.startswith("0x") and len(h) == 66 for h in [body["leaf_hash"], body["root"],
                                                               *body["path"]])


def test_consistency_proofs_verify_and_equal_the_reference(factory):
    post(factory, 70)
    with transaction(factory) as session:
        reference = reference_tree(session)
        for old in (0, 1, 2, 3, 7, 8, 31, 32, 33, 64, 70):
            for new in (old, old + 1, 40, 64, 70):
                if new < old or new > 70:
                    continue
                proof = store.consistency_proof(session, old, new)
                assert proof.path == reference.consistency_proof(old, new)
                assert proof.old_root == reference.root(old)
                assert proof.new_root == reference.root(new)
                assert proof.verify(), (old, new)


def test_each_root_and_proof_is_one_query(factory, queries):
    post(factory, 300)
    with transaction(factory) as session:
        session.connection()  # BEGIN now, so only the proof's own statements are counted
        for action in (
            lambda: store.root_at(session, 299),
            lambda: store.inclusion_proof(session, 123, 297),
            lambda: store.consistency_proof(session, 100, 300),
        ):
            queries.clear()
            action()
            assert len(queries) == 1, queries


def test_sizes_beyond_the_log_are_refused(factory):
    post(factory, 10)
    with transaction(factory) as session:
        with pytest.raises(store.NodeMissing):
            store.root_at(session, 11)
        with pytest.raises(store.NodeMissing):
            store.inclusion_proof(session, 11, 11)
        with pytest.raises(store.NodeMissing):
            store.consistency_proof(session, 5, 12)
        with pytest.raises(ValueError):
            store.inclusion_proof(session, 0, 10)
        with pytest.raises(ValueError):
            store.inclusion_proof(session, 11, 10)
        with pytest.raises(ValueError):
            store.consistency_proof(session, 6, 5)


def test_db_node_store_is_a_node_store_over_the_whole_log(factory):
    post(factory, 21)
    with transaction(factory) as session:
        nodes = store.DbNodeStore(session)
        reference = reference_tree(session)
        assert isinstance(nodes, NodeStore)
        for level in range(6):
            assert nodes.count(level) == 21 >> level
            for index in range(nodes.count(level)):
                assert nodes.node(level, index) == reference.node(level, index)
        with pytest.raises(store.NodeMissing):
            nodes.node(0, 21)
