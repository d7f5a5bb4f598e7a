"""Opening the database the same way for the app, the CLI and the tests."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ksp.core.db import make_engine, make_sessionmaker, transaction
from ksp.core.schema import migrate
from ksp.core.settings import Settings
from ksp.ledger.chart import ensure_chart


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory on a schema at the latest migration, with the chart."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    migrate(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        ensure_chart(session)
    return engine, factory
