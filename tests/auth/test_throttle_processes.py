"""The login lockout holds across API processes: two `ksp serve` processes on one
database, failures split between them, and both then refuse the right password."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.bootstrap import open_database
from ksp.core.db import transaction
from tests.conftest import free_port

KSP = str(Path(sys.executable).parent / "ksp")
PASSWORD = "dua-proses-satu-basis-data"


def _wait(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"ksp serve ended early:\n{process.communicate()[0]}")
        try:
            httpx.get(f"{url}/health", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_lockout_is_shared_by_separate_server_processes(db_settings):
    _engine, factory = open_database(db_settings)
    with transaction(factory) as session:
        create_staff(session, username="kasir", password=PASSWORD, role=Role.ADMIN)
    _engine.dispose()
    base = {**os.environ, "KSP_ENV": "test", "KSP_VAR_DIR": str(db_settings.var_dir),
            "KSP_DATABASE_URL": db_settings.database_url, "KSP_RPC_URL": "http://127.0.0.1:9",
            "KSP_LOGIN_MAX_FAILURES": "4"}
    servers, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            servers.append(subprocess.Popen([KSP, "serve"], env={**base, "KSP_PORT": str(port)},
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            text=True))
            urls.append(f"http://127.0.0.1:{port}")
        for url, server in zip(urls, servers, strict=True):
            _wait(url, server)

        def login(url: str, password: str) -> int:
            return httpx.post(f"{url}/api/v1/auth/login", timeout=30,
                              json={"username": "kasir", "password": password}).status_code

        assert [login(urls[i % 2], "tebakan-salah") for i in range(4)] == [401] * 4
        assert login(urls[0], PASSWORD) == 429
        assert login(urls[1], PASSWORD) == 429
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.communicate()
