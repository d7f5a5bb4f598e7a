"""The batch ledger path writes what posting one entry at a time writes: the same log
payloads, leaves, Merkle nodes and root, the same journal rows."""

from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, select

from ksp.accounting import postings
from ksp.anchoring.merkle import root_from_leaf_hashes
from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger import batch, log
from ksp.ledger.dates import DateInFuture
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry, MerkleNode
from ksp.savings.service import Jenis

INSTANT = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
EVENTS = [postings.SavingsDeposit(n % 7 + 1, (Jenis.WAJIB, Jenis.SUKARELA)[n % 2],
                                  1_000 * (n + 1), "1102") for n in range(37)]


@pytest.fixture
def frozen():
    clock.freeze(INSTANT)
    yield clock.today()
    clock.freeze(None)


def _everything(factory):
    with factory() as session:
        entries = [(e.seq, e.kind, e.payload, e.leaf_hash)
                   for e in session.scalars(select(LogEntry).order_by(LogEntry.seq))]
        nodes = sorted((n.level, n.index, n.hash) for n in session.scalars(select(MerkleNode)))
        journal = [(j.seq, j.entry_date, j.kind, j.memo)
                   for j in session.scalars(select(JournalEntry).order_by(JournalEntry.seq))]
        lines = [(line.entry.seq, line.account_code, line.member_number, line.side,
                  line.amount) for line in session.scalars(select(JournalLine)
                                                           .order_by(JournalLine.id))]
        return entries, nodes, journal, lines, log.current_root(session)


def _database(settings, name):
    url = settings.database_url.replace("test.sqlite3", f"{name}.sqlite3")
    return open_database(settings.model_copy(update={"database_url": url}))


def test_post_many_equals_posting_one_at_a_time(settings, db_url, frozen):
    """One at a time on SQLite; in a batch on SQLite and on PostgreSQL (COPY there)."""
    one_engine, one = _database(settings, "one")
    many_engine, many = open_database(settings.model_copy(update={"database_url": db_url}))
    with transaction(one) as session:
        for event in EVENTS:
            postings.post(session, event, on=frozen)
    with transaction(many) as session:  # two calls: the frontier carries over
        postings.post_many(session, EVENTS[:20], on=frozen)
        postings.post_many(session, EVENTS[20:], on=frozen)

    a, b = _everything(one), _everything(many)
    assert a == b
    entries, nodes, _journal, lines, (size, root) = b
    assert (size, len(entries), len(lines)) == (37, 37, 74)
    assert len(nodes) == 37 - bin(37).count("1")  # every completed perfect subtree
    assert root == root_from_leaf_hashes([leaf for *_rest, leaf in entries])
    one_engine.dispose()
    many_engine.dispose()


def test_a_refused_batch_writes_nothing(settings, frozen):
    engine, factory = _database(settings, "refused")
    with pytest.raises(DateInFuture), transaction(factory) as session:
        postings.post_many(session, EVENTS[:5], on=frozen + dt.timedelta(days=1))
    raw = create_engine(settings.database_url.replace("test.sqlite3", "refused.sqlite3"))
    with raw.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM log_entries").scalar() == 0
    raw.dispose()
    engine.dispose()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)


@given(data=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
       seq=st.integers(min_value=1, max_value=2**40))
@hypothesis.settings(max_examples=300, deadline=None)
def test_the_fast_encoder_gives_the_bytes_of_rfc8785(data, seq):
    try:
        expected = log.encode_payload(seq, "journal.x", INSTANT, data)
    except ValueError:  # refused by rfc8785 (huge integers, lone surrogates): refused too
        with pytest.raises(ValueError):
            batch.encode_payload(seq, "journal.x", INSTANT, data)
        return
    assert batch.encode_payload(seq, "journal.x", INSTANT, data) == expected
