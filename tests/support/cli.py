"""The in-process CLI's environment for a test: its own var/ folder and SQLite database, a
chain that is never there (127.0.0.1:9), no actor preset, and wide output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ksp.core.settings import Settings, get_settings


def cli_settings(tmp_path: Path, monkeypatch: Any) -> Settings:
    monkeypatch.setenv("KSP_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KSP_RPC_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("KSP_ACTOR", raising=False)
    monkeypatch.delenv("KSP_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    return get_settings()
