"""Savings deposits through the HTTP API from 1, 16 and 64 concurrent clients, on SQLite
and PostgreSQL, side by side with the raw insert rate of the same rows through SQLAlchemy
Core (one transaction per deposit: what the API would do without group commit).

The server runs as its own process (`ksp serve`), the client is a thread pool of httpx
clients on 127.0.0.1; both share this machine's cores, as they would on a small server.
"""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

from bench.chain import _free_port
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import make_engine, transaction
from ksp.core.settings import Environment, Settings
from ksp.members import service as members
from ksp.savings import service as savings
from ksp.savings.service import Jenis

POSTGRES_URL = os.environ.get(
    "KSP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "bench-only-password"
MEMBERS = 50


def seed(settings: Settings, count: int = MEMBERS) -> None:
    """A teller account and `count` members with simpanan pokok paid."""
    _engine, factory = open_database(settings)
    cipher = PiiCipher(settings.pii_key_bytes())
    with transaction(factory) as session:
        create_staff(session, username="teller", password=PASSWORD, role=Role.ADMIN)
    for i in range(count):
        with transaction(factory) as session:
            member = members.register(session, cipher, members.Registration(
                nik=f"121701450790{i + 1:04d}", name=f"Anggota {i}",
                birth_date=clock.today().replace(year=1990, month=7, day=5),
                address="Pangururan", phone="081200000000", occupation="Petani"))
            savings.deposit(session, member_number=member.number, jenis=Jenis.POKOK,
                            amount=100_000, on=clock.today())
    _engine.dispose()


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited during start")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling a starting server, not a test
    raise RuntimeError("server did not start")


def _drive(url: str, total: int, concurrency: int) -> dict[str, Any]:
    token = httpx.post(f"{url}/api/v1/auth/login",
                       json={"username": "teller", "password": PASSWORD}).json()["token"]
    numbers = itertools.cycle(range(1, MEMBERS + 1))
    jobs = [next(numbers) for _ in range(total)]
    latencies: list[float] = []
    errors = 0

    def worker(chunk: list[int]) -> tuple[list[float], int]:
        local, bad = [], 0
        with httpx.Client(base_url=url, timeout=30) as client:
            for number in chunk:
                started = time.perf_counter()
                reply = client.post(f"/api/v1/members/{number}/deposits",
                                    json={"jenis": "sukarela", "amount": 10_000},
                                    headers={"Authorization": f"Bearer {token}",
                                             "Idempotency-Key": uuid.uuid4().hex})
                local.append(time.perf_counter() - started)
                bad += reply.status_code != 201
        return local, bad

    chunks = [jobs[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for local, bad in pool.map(worker, chunks):
            latencies.extend(local)
            errors += bad
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "deposits": total,
        "errors": errors,
        "concurrency": concurrency,
        "deposits_per_s": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def _raw_core_rate(database_url: str, total: int) -> float:
    """The same rows a deposit writes (log entry, journal entry, two lines, outbox row,
    idempotency record, audit row), one transaction per deposit, via SQLAlchemy Core."""
    from ksp.audit.models import AuditEvent
    from ksp.chain.outbox import OutboxItem
    from ksp.core.idempotency import IdempotencyRecord
    from ksp.ledger.models import JournalEntry, JournalLine, LogEntry

    engine = make_engine(database_url)
    now = clock.now()
    with engine.begin() as connection:
        start_seq = int(connection.execute(text("SELECT size FROM log_head")).scalar() or 0)
    started = time.perf_counter()
    for i in range(total):
        seq = start_seq + 10_000_000 + i  # clear of the API's seqs
        with engine.begin() as c:
            c.execute(insert(LogEntry).values(seq=seq, kind="journal.bench", payload="{}",
                                              leaf_hash=b"\0" * 32, recorded_at=now))
            entry_id = c.execute(insert(JournalEntry).values(
                seq=seq, entry_date=now.date(), kind="bench", memo="bench"
            ).returning(JournalEntry.id)).scalar_one()
            c.execute(insert(JournalLine), [
                {"entry_id": entry_id, "account_code": "1101", "member_number": None,
                 "side": "D", "amount": 10_000},
                {"entry_id": entry_id, "account_code": "2101", "member_number": 1,
                 "side": "C", "amount": 10_000}])
            c.execute(insert(OutboxItem).values(seq=seq, ref=f"seq:{seq}", kind="mirror_savings",
                                                payload="{}",
                                                status="pending", attempts=0, created_at=now))
            c.execute(insert(IdempotencyRecord).values(scope="bench", key=f"raw-{seq}",
                                                       fingerprint="x", status_code=201,
                                                       body="{}", created_at=now))
            c.execute(insert(AuditEvent).values(at=now, actor="bench", role="admin",
                                                action="bench", status_code=201))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return total / elapsed


CLIENTS = (1, 16, 64)


def _one_backend(name: str, database_url: str, tmp: Path, total: int, workers: int
                 ) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "KSP_ENV": Environment.TEST.value, "KSP_DATABASE_URL": database_url,
           "KSP_VAR_DIR": str(tmp / "var"), "KSP_RPC_URL": "http://127.0.0.1:9",
           "KSP_PORT": str(port)}
    settings = Settings(env=Environment.TEST, database_url=database_url, var_dir=tmp / "var",
                        rpc_url="http://127.0.0.1:9")
    seed(settings)
    server = subprocess.Popen([sys.executable, "-m", "ksp.cli", "serve", "--workers",
                               str(workers)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    runs: dict[str, dict[str, Any]] = {}
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, server)
        _drive(url, max(total // 10, 20), 8)  # warm-up
        for clients in CLIENTS:
            # One client waits for each answer: fewer deposits, or it runs for minutes.
            runs[str(clients)] = _drive(url, total // 5 if clients == 1 else total, clients)
    finally:
        server.terminate()
        server.wait(30)
    raw = _raw_core_rate(database_url, max(total // 2, 100))
    for result in runs.values():
        result["vs_core_baseline"] = round(result["deposits_per_s"] / raw, 3)
    return {"backend": name, "server_workers": workers,
            "raw_core_inserts_per_s": round(raw, 1), "clients": runs}


def run(quick: bool = False) -> dict[str, Any]:
    total = 200 if quick else int(os.environ.get("KSP_BENCH_DEPOSITS", 3000))
    results: dict[str, Any] = {}
    with TemporaryDirectory() as tmp:
        results["sqlite"] = _one_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", Path(tmp),
                                         total, workers=1)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as c:
            c.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # reported, not hidden
        results["postgresql"] = {"skipped": f"PostgreSQL unreachable: {type(exc).__name__}"}
        return results
    try:
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        with TemporaryDirectory() as tmp:
            results["postgresql"] = _one_backend("postgresql", url, Path(tmp), total, workers=2)
    finally:
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return results
