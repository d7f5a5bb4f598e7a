"""Shared fixtures: a real Anvil per session, a settings object per test, databases.

Services are started here (Anvil) or probed (PostgreSQL); when one is missing the tests
that need it are skipped with a reason that the summary prints, never silently.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    """A real Anvil on a free port, for the whole test session."""
    try:
        chain = Anvil(port=free_port())
    except AnvilNotFound as exc:
        pytest.skip(f"SKIPPED LOUDLY: {exc}")
    chain.start()
    yield chain
    chain.stop()


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
