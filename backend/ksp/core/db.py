"""Engine and sessions. SQLite gets WAL and write-serialising transactions so the log's
`seq` stays gapless under concurrent requests; PostgreSQL relies on row locks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import BigInteger, Engine, Integer, MetaData, Table, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        # Pooled: opening a file connection (and its PRAGMAs) per session, and closing it
        # (a WAL checkpoint when it is the last one), cost more than the deposit itself.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **({} if ":memory:" in url else {"pool_size": 5, "max_overflow": 30}),
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # SQLite has one writer at a time. Queue writers of this process on a lock instead of
    # letting them poll SQLite's busy handler, whose growing sleeps make long latency tails.
    # A plain Lock: a session may begin in one worker thread and end in another.
    writer = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (below), so it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a WAL reader: the writer goes on meanwhile
            return
        # Take the write lock up front: readers-then-writers deadlocks cannot happen.
        if not writer.acquire(timeout=30):
            raise TimeoutError("database write lock not free after 30 s")
        connection.info["ksp_writer"] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            connection.info.pop("ksp_writer", None)
            writer.release()
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        # Only the connection that took the lock gives it back (rollbacks also come for
        # connections that never began).
        if connection.info.pop("ksp_writer", False):
            writer.release()


# Execution option of sessions that only read (`reading`).
READ_ONLY = "ksp_read_only"


def reading(factory: sessionmaker[Session]) -> Session:
    """A session that only reads: on SQLite it does not queue for the write lock, so a
    request's checks do not wait for the group commit in progress."""
    bind = factory.kw["bind"]
    return factory(bind=bind.execution_options(**{READ_ONLY: True}))


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


# Autoincrementing 64-bit ids; SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core inserts on the hot path (no ORM unit of work)."""
    return cast(Table, model.__table__)
