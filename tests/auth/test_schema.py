"""The auth migration (0005_auth) and the models agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from ksp.core.db import Base
from ksp.core.schema import import_models, migrate


def test_migrated_schema_matches_the_models(db_url):
    engine = create_engine(db_url)
    try:
        migrate(engine)
        import_models()
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            columns = {c["name"] for c in inspect(connection).get_columns("wallet_challenges")}
            staff = {c["name"] for c in inspect(connection).get_columns("staff_users")}
    finally:
        engine.dispose()
    assert diff == []
    assert "used_at" not in columns and "session_epoch" in staff
