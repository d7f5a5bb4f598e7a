"""Shared fixtures: a real Anvil per session, a settings object per test, databases.

Services are started here (Anvil) or probed (PostgreSQL); when one is missing the tests
that need it are skipped with a reason that the summary prints, never silently.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ksp.chain.anvil import Anvil, AnvilNotFound
from ksp.core.settings import Environment, Settings

POSTGRES_URL = os.environ.get(
    "KSP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _running_anvil() -> Iterator[Anvil]:
    try:
        chain = Anvil(port=free_port())
    except AnvilNotFound as exc:
        pytest.skip(f"SKIPPED LOUDLY: {exc}")
    chain.start()
    yield chain
    chain.stop()


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    """A real Anvil on a free port, for the whole test session."""
    yield from _running_anvil()


@pytest.fixture
def own_anvil() -> Iterator[Anvil]:
    """A real Anvil for one test alone (one it may stop, stall or roll back)."""
    yield from _running_anvil()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        var_dir=tmp_path / "var",
        deployments_dir=tmp_path / "deployments",
        database_url=f"sqlite:///{tmp_path / 'test.sqlite3'}",
        rpc_url="http://127.0.0.1:9",  # nothing listens: tests that need a chain use `anvil`
    )


@pytest.fixture
def chain_settings(settings: Settings, anvil: Anvil) -> Settings:
    return settings.model_copy(update={"rpc_url": anvil.url})


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_reachable())
    return _PG_PROBLEM[0]


def _postgres_schema() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL (dropped afterwards), or a loud skip."""
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(f"SKIPPED LOUDLY: PostgreSQL at {POSTGRES_URL} unreachable ({problem})")
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses the database runs on SQLite and on PostgreSQL (own schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ksp.sqlite3'}"
        return
    yield from _postgres_schema()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """PostgreSQL only (own schema), for tests of the production layout."""
    yield from _postgres_schema()


@pytest.fixture
def db_settings(settings: Settings, db_url: str) -> Settings:
    return settings.model_copy(update={"database_url": db_url})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    problem = _PG_PROBLEM[0] if _PG_PROBLEM else None
    if _PG_PROBLEM and problem is not None:
        terminalreporter.write_line(
            f"PostgreSQL: tests SKIPPED, server unreachable ({problem})", red=True, bold=True)
    elif _PG_PROBLEM:
        terminalreporter.write_line(f"PostgreSQL: tests ran against {POSTGRES_URL}", green=True)
