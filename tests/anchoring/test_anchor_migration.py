"""Migration 0002 on a database that a rollback already damaged (two rows numbered #1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from ksp.core.db import make_engine
from ksp.core.schema import import_models

MIGRATIONS = Path(__file__).resolve().parents[2] / "backend" / "ksp" / "migrations"


def _upgrade(engine: Engine, revision: str) -> None:
    import_models()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _insert(engine: Engine, row_id: int, size: int, index: int | None, status: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO anchors (id, tree_size, root, chain_id, registry_address, "
            "anchor_index, tx_hash, block_number, status, created_at) VALUES (:id, :size, "
            ":root, 31337, :reg, :index, NULL, 1, :status, :at)"), {
                "id": row_id, "size": size, "root": bytes([row_id]) * 32, "reg": "0x" + "ab" * 20,
                "index": index, "status": status, "at": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)})


def test_duplicate_numbers_are_resolved_and_then_refused(db_url):
    engine = make_engine(db_url)
    try:
        _upgrade(engine, "0001")
        _insert(engine, 1, 10, 0, "confirmed")
        _insert(engine, 2, 15, 1, "confirmed")  # lost in a rollback, never noticed
        _insert(engine, 3, 16, 1, "confirmed")  # the anchor that took number #1 since

        _upgrade(engine, "head")

        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT id, anchor_index, status FROM anchors ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 0, "confirmed"), (2, None, "replaced"),
                                           (3, 1, "confirmed")]
        # A replaced row gives up its size too: the same size may be anchored again.
        _insert(engine, 4, 15, 2, "confirmed")
        with pytest.raises(IntegrityError):
            _insert(engine, 5, 17, 1, "confirmed")  # number #1 is taken
        with pytest.raises(IntegrityError):
            _insert(engine, 6, 16, None, "sent")  # size 16 is live
    finally:
        engine.dispose()
