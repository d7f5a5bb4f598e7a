"""The production layout: `ksp serve --workers 2` (API only) and `ksp worker` (outbox and
anchor job) as separate processes on PostgreSQL and a real Anvil. A deposit made through
the API reaches the chain (SavingsToken balance) and is anchored (AnchorRegistry)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from sqlalchemy import create_engine, text

from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.bootstrap import open_database
from ksp.chain.anchor_registry import latest
from ksp.chain.anvil import Anvil, AnvilNotFound
from ksp.chain.runtime import ChainRuntime
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.ledger.models import LogHead
from tests.chain.test_outbox import join, token_balances
from tests.conftest import POSTGRES_URL, free_port, postgres_problem

KSP = str(Path(sys.executable).parent / "ksp")
PASSWORD = "rahasia-uji-proses-123"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(f"SKIPPED LOUDLY: PostgreSQL at {POSTGRES_URL} unreachable ({problem})")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def own_anvil() -> Iterator[Anvil]:
    try:
        chain = Anvil(port=free_port())
    except AnvilNotFound as exc:
        pytest.skip(f"SKIPPED LOUDLY: {exc}")
    chain.start()
    yield chain
    chain.stop()


def until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.5)


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return process.returncode, out


def test_worker_and_two_api_processes_mirror_and_anchor_a_deposit(
        settings, postgres_url, own_anvil):
    port = free_port()
    env_settings = settings.model_copy(update={
        "database_url": postgres_url, "rpc_url": own_anvil.url, "port": port,
        "anchor_every_entries": 1})
    runtime = ChainRuntime(env_settings)
    runtime.deploy()  # `ksp deploy`; keys land in var/ (shared by the processes below)
    _engine, factory = open_database(env_settings)
    with transaction(factory) as session:
        create_staff(session, username="teller", password=PASSWORD, role=Role.ADMIN)
    wallet = Account.create().address
    number = join(factory, PiiCipher(env_settings.pii_key_bytes()), 1, wallet)
    env = {**os.environ, "KSP_DATABASE_URL": postgres_url, "KSP_RPC_URL": own_anvil.url,
           "KSP_VAR_DIR": str(settings.var_dir), "KSP_ENV": "test",
           "KSP_DEPLOYMENTS_DIR": str(settings.deployments_dir), "KSP_PORT": str(port),
           "KSP_ANCHOR_EVERY_ENTRIES": "1"}
    api = subprocess.Popen([KSP, "serve", "--workers", "2"], env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([KSP, "worker"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        def login() -> str | None:
            try:
                reply = httpx.post(f"{url}/api/v1/auth/login", timeout=5,
                                   json={"username": "teller", "password": PASSWORD})
            except httpx.TransportError:
                return None
            return str(reply.json()["token"]) if reply.status_code == 200 else None

        token = until(login, 120, "the API answers")
        reply = httpx.post(f"{url}/api/v1/members/{number}/deposits", timeout=10,
                           json={"jenis": "wajib", "amount": 50_000},
                           headers={"Authorization": f"Bearer {token}",
                                    "Idempotency-Key": "proses-1"})
        assert reply.status_code == 201, reply.text
        with factory() as session:
            size = session.get(LogHead, 1).size

        until(lambda: token_balances(runtime, wallet) == {1: 100_000, 2: 50_000, 3: 0}, 120,
              "the deposit is mirrored on SavingsToken")
        registry = runtime.deployment["contracts"]["AnchorRegistry"]["address"]
        until(lambda: latest(runtime.connect(), registry).tree_size >= size, 120,
              f"an anchor covers the log through seq {size}")
        until(lambda: httpx.get(f"{url}/health", timeout=5).json()["chain"] == "ok", 30,
              "/health sees the chain")
        until(lambda: httpx.get(f"{url}/health", timeout=5).json()["outbox"]["backlog"] == 0,
              60, "/health shows the outbox drained")
    except BaseException:
        worker_rc, worker_out = stop(worker)
        _api_rc, api_out = stop(api)
        sys.stderr.write(f"ksp worker:\n{worker_out}\nksp serve:\n{api_out}\n")  # on failure
        raise
    worker_rc, worker_out = stop(worker)
    stop(api)
    assert "KSP worker berjalan / running: outbox + anchor" in worker_out, worker_out
    assert worker_rc == 0, worker_out


def test_worker_without_deployed_contracts_says_so_and_exits_2(tmp_path):
    env = {**os.environ, "KSP_VAR_DIR": str(tmp_path / "var"), "KSP_ENV": "test",
           "KSP_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
           "KSP_DATABASE_URL": f"sqlite:///{tmp_path / 'ksp.sqlite3'}",
           "KSP_RPC_URL": "http://127.0.0.1:9"}

    done = subprocess.run([KSP, "worker"], env=env, text=True, capture_output=True, timeout=60)

    assert done.returncode == 2, done.stdout + done.stderr
    assert "ksp deploy" in done.stdout and "Traceback" not in done.stdout + done.stderr
