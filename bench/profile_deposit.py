"""Where a deposit request's time goes: cProfile over N deposits through the whole ASGI app
(body guard, auth, FastAPI, the Writer, the service, the commit), all in one thread so the
profile sees everything (the threadpool hop is replaced by a direct call).

    python -m bench.profile_deposit [sqlite|postgresql] [N]

Prints ms per deposit for the parts named in docs/BENCHMARKS.md. Not part of `make bench`:
profiling slows everything down, so read the shares, not the absolute times.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import anyio.to_thread
import httpx
from sqlalchemy import create_engine, text

from bench.bench_deposits import PASSWORD, POSTGRES_URL, seed
from ksp.core.settings import Environment, Settings

MEMBERS = 20
PARTS = {
    "request (whole ASGI app)": ("fastapi/applications.py", "__call__"),
    "endpoint with the write": ("savings/routes.py", "deposit"),
    "token and account check": ("api/deps.py", "current_principal"),
    "idempotency lookup": ("core/idempotency.py", "_stored"),
    "savings.deposit": ("savings/service.py", "deposit"),
    "  member row lock": ("members/service.py", "get_member"),
    "  AD/ART lookup": ("coop/service.py", "adart_at"),
    "  balance query": ("savings/service.py", "balances"),
    "  journal.post": ("ledger/journal.py", "post"),
    "    log.append": ("ledger/log.py", "append"),
    "audit row": ("audit/service.py", "record"),
    "commits (SQLAlchemy)": ("orm/session.py", "commit"),
    "ORM flushes": ("orm/session.py", "flush"),
    "SQLite connections closed": ("~", "<method 'close' of 'sqlite3.Connection' objects>"),
}


async def _direct(func: Any, *args: Any, **_kw: Any) -> Any:
    return func(*args)


def _seed(settings: Settings) -> Any:
    from ksp.api.app import create_app

    seed(settings, MEMBERS)  # the throughput bench's teller and members
    return create_app(settings)


async def _drive(app: Any, total: int, profile: cProfile.Profile) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        token = (await client.post("/api/v1/auth/login", json={
            "username": "teller", "password": PASSWORD})).json()["token"]

        async def deposits(n: int) -> None:
            for i in range(n):
                reply = await client.post(
                    f"/api/v1/members/{i % MEMBERS + 1}/deposits",
                    json={"jenis": "sukarela", "amount": 10_000},
                    headers={"Authorization": f"Bearer {token}",
                             "Idempotency-Key": uuid.uuid4().hex})
                assert reply.status_code == 201, reply.text

        await deposits(50)  # warm-up: caches, statement compilation
        started = time.perf_counter()
        profile.enable()
        await deposits(total)
        profile.disable()
        return time.perf_counter() - started


def profile(database_url: str, tmp: Path, total: int) -> dict[str, float]:
    settings = Settings(env=Environment.TEST, database_url=database_url, var_dir=tmp / "var",
                        deployments_dir=tmp / "deployments", rpc_url="http://127.0.0.1:9")
    app = _seed(settings)
    anyio.to_thread.run_sync = _direct  # type: ignore[assignment]  # one thread: profile all
    prof = cProfile.Profile()
    elapsed = asyncio.run(_drive(app, total, prof))
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    shares = {"wall ms per deposit (profiled)": elapsed / total * 1000}
    for label, (where, name) in PARTS.items():
        cumulative = max((row[3] for (file, _line, func), row in stats.items()
                          if func == name and (where == "~" or file.endswith(where))),
                         default=0.0)
        shares[label] = cumulative / total * 1000
    app.state.engine.dispose()
    return shares


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    with TemporaryDirectory() as tmp:
        if backend == "sqlite":
            shares = profile(f"sqlite:///{tmp}/profile.sqlite3", Path(tmp), total)
        else:
            schema = f"prof_{uuid.uuid4().hex[:8]}"
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as c:
                c.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                shares = profile(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
                                 Path(tmp), total)
            finally:
                with admin.begin() as c:
                    c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
    for label, ms in shares.items():
        print(f"{label:34s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
