"""On PostgreSQL the database itself refuses an unbalanced journal entry at COMMIT, even
one written with raw SQL that never passed through `ksp.ledger.journal.post`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from ksp.bootstrap import open_database
from ksp.core.db import make_engine
from ksp.core.schema import create_all_for_tests
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry

pytestmark = [pytest.mark.postgres,
              pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]


def _write_entry(session, seq: int, lines: list[tuple[str, str, int]]) -> None:
    """One log entry, one journal entry and its lines, as raw SQL."""
    session.execute(text(
        "INSERT INTO log_entries (seq, kind, payload, leaf_hash, recorded_at) "
        "VALUES (:seq, 'journal.raw', '{}', :leaf, now())"), {"seq": seq, "leaf": b"\0" * 32})
    entry_id = session.execute(text(
        "INSERT INTO journal_entries (seq, entry_date, kind, memo) "
        "VALUES (:seq, :day, 'raw', 'raw SQL') RETURNING id"),
        {"seq": seq, "day": dt.date(2026, 1, 5)}).scalar_one()
    for account, side, amount in lines:
        session.execute(text(
            "INSERT INTO journal_lines (entry_id, account_code, side, amount) "
            "VALUES (:entry, :account, :side, :amount)"),
            {"entry": entry_id, "account": account, "side": side, "amount": amount})


def _counts(factory) -> tuple[int, int, int]:
    with factory() as session:
        return tuple(int(session.scalar(select(func.count()).select_from(model)) or 0)
                     for model in (LogEntry, JournalEntry, JournalLine))


@pytest.mark.parametrize("lines", [
    [("1101", "D", 250_000), ("2101", "C", 249_999)],
    [("1101", "D", 250_000), ("2101", "C", 200_000), ("3102", "D", 50_000)],
    [("1101", "D", 250_000)],
    [],
], ids=["debit-exceeds-credit", "three-lines-unbalanced", "one-line", "no-lines"])
def test_an_unbalanced_entry_written_with_raw_sql_fails_at_commit(db_settings, lines):
    _engine, factory = open_database(db_settings)
    before = _counts(factory)
    session = factory()
    _write_entry(session, 900_001, lines)
    session.flush()  # every INSERT ran; only COMMIT runs the deferred check
    with pytest.raises(IntegrityError, match="journal entry .* refused"):
        session.commit()
    session.close()
    assert _counts(factory) == before


def test_a_balanced_entry_written_with_raw_sql_commits(db_settings):
    _engine, factory = open_database(db_settings)
    before = _counts(factory)
    with factory() as session:
        _write_entry(session, 900_002, [("1101", "D", 250_000), ("2101", "C", 150_000),
                                        ("3102", "C", 100_000)])
        session.commit()
    assert _counts(factory) == (before[0] + 1, before[1] + 1, before[2] + 3)


def test_the_test_schema_installs_the_same_deferred_triggers(db_settings):
    engine = make_engine(db_settings.database_url)
    create_all_for_tests(engine)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT tgname, tgdeferrable, tginitdeferred FROM pg_trigger "
            "WHERE tgname LIKE '%\\_balanced' AND tgrelid::regclass::text IN "
            "('journal_entries', 'journal_lines') ORDER BY tgname")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("journal_entries_balanced", True, True),
                                        ("journal_lines_balanced", True, True)]
