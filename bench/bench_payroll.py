"""The month-end payroll deduction file (potong gaji) on PostgreSQL: 10,000 and 200,000
lines, each line a deposit and a log entry, timed from the file's bytes to the finished
import (read and check every line, then post in chunks). The books are checked after.

Members are seeded with Core bulk inserts and their simpanan pokok posted through the
batch ledger path (not 200,000 register() calls), as full members the import accepts:
status anggota, a joining date, encrypted NIK with its keyed lookup hash.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import create_engine, event, func, insert, select, text

from ksp.accounting import postings
from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import Environment, Settings
from ksp.ledger.models import JournalLine, LogHead
from ksp.members.models import Member, MemberStatus
from ksp.payroll import service
from ksp.savings.service import Jenis

POSTGRES_URL = os.environ.get(
    "KSP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SEED_CHUNK = 5000
POKOK, WAJIB, SUKARELA = 100_000, 50_000, 25_000
NIK_EVERY = 50  # one line in 50 names the member by NIK instead of number
SUKARELA_EVERY = 3  # one line in 3 also deducts sukarela


def nik(n: int) -> str:
    """16 digits, one per member (region 121701, a female birth date; serial n)."""
    return f"1217014507{n:06d}"


@contextmanager
def _schema() -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _seed(settings: Settings, members: int) -> tuple[Any, dt.date]:
    _engine, factory = open_database(settings)
    cipher = PiiCipher(settings.pii_key_bytes())
    joined = clock.today() - dt.timedelta(days=365)
    now = clock.now()
    for start in range(1, members + 1, SEED_CHUNK):
        numbers = range(start, min(start + SEED_CHUNK, members + 1))
        with transaction(factory) as session:
            session.execute(insert(Member), [{
                "number": n, "name": f"Bripka Anggota {n}", "birth_date": dt.date(1990, 7, 5),
                "occupation": "Polri", "nik_encrypted": cipher.encrypt(nik(n), "member.nik"),
                "nik_lookup": cipher.lookup_hash(nik(n), "member.nik"),
                "phone_encrypted": cipher.encrypt("081200000000", "member.phone"),
                "address_encrypted": cipher.encrypt("Pangururan", "member.address"),
                "pii_salt": os.urandom(32), "wallet_address": None,
                "status": MemberStatus.ANGGOTA, "registered_at": now, "joined_on": joined,
            } for n in numbers])
            postings.post_many(session, [postings.SavingsDeposit(n, Jenis.POKOK, POKOK)
                                         for n in numbers], on=joined, reason="Saldo awal")
    return factory, joined


def payroll_file(lines: int) -> tuple[bytes, int]:
    """The paymaster's CSV for members 1..lines, and the total it deducts."""
    rows = ["nomor_anggota;nik;nama;wajib;sukarela"]
    total = 0
    for n in range(1, lines + 1):
        sukarela = SUKARELA if n % SUKARELA_EVERY == 0 else 0
        total += WAJIB + sukarela
        who = f";{nik(n)}" if n % NIK_EVERY == 0 else f"{n};"
        rows.append(f"{who};Bripka Anggota {n};50.000;{sukarela or ''}")
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode(), total


def _server_pids(factory: Any) -> set[int]:
    """The PostgreSQL backends of this factory's pool, to read their CPU time."""
    pids: set[int] = set()
    engine = factory.kw["bind"]
    with engine.connect() as connection:  # the pool's connections are opened lazily
        pids.add(int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()))

    @event.listens_for(engine, "connect")
    def _record(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(int(cursor.fetchone()[0]))

    return pids


def _cpu_of(pids: set[int]) -> float:
    """utime + stime of these processes (the server runs on this machine), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended, or another machine: not counted
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _books(factory: Any) -> dict[str, Any]:
    with factory() as session:
        sums = dict(session.execute(select(JournalLine.side, func.sum(JournalLine.amount))
                                    .group_by(JournalLine.side)).all())
        head = session.get(LogHead, 1)
    return {"debits": int(sums.get("D", 0)), "credits": int(sums.get("C", 0)),
            "balanced": sums.get("D") == sums.get("C"), "log_size": head.size if head else 0}


def _measure(lines: int) -> dict[str, Any]:
    with TemporaryDirectory() as tmp, _schema() as url:
        settings = Settings(env=Environment.TEST, var_dir=Path(tmp) / "var",
                            deployments_dir=Path(tmp) / "deployments", database_url=url,
                            rpc_url="http://127.0.0.1:9")
        seeding = time.perf_counter()
        factory, _joined = _seed(settings, lines)
        seeded = time.perf_counter() - seeding
        data, expected = payroll_file(lines)
        before = _books(factory)
        cipher = PiiCipher(settings.pii_key_bytes())
        pids = _server_pids(factory)
        server_cpu = _cpu_of(pids)
        started, cpu = time.perf_counter(), time.process_time()
        checked, reason = service.prepare(factory, cipher, data, period="2026-11",
                                          on=clock.today(), reason=None)
        checked_at = time.perf_counter()
        with transaction(factory) as session:
            import_id = service.start(session, checked, actor="bench", role="admin",
                                      file_name="potong-gaji.csv").id
        result = service.complete(factory, import_id, checked, reason, actor="bench",
                                  role="admin", action="bench payroll import")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        server_cpu = _cpu_of(pids) - server_cpu
        after = _books(factory)
        again = time.perf_counter()
        checked, reason = service.prepare(factory, cipher, data, period="2026-11",
                                          on=clock.today(), reason=None)
        with transaction(factory) as session:
            second_id = service.start(session, checked, actor="bench", role="admin",
                                      file_name="potong-gaji.csv").id
        second = service.complete(factory, second_id, checked, reason, actor="bench",
                                  role="admin", action="bench payroll import")
        reimport = time.perf_counter() - again
        factory.kw["bind"].dispose()  # give the server its connections back
    postings_made = after["log_size"] - before["log_size"]
    return {
        "lines": lines,
        "file_bytes": len(data),
        "seconds": round(elapsed, 2),
        "check_seconds": round(checked_at - started, 2),
        "post_seconds": round(elapsed - (checked_at - started), 2),
        "lines_per_s": round(lines / elapsed, 1),
        # This process only (parse, checks, encoding, hashing, driver); PostgreSQL's own
        # work is the rest of the wall time, with whatever else the machine was doing.
        "python_cpu_seconds": round(cpu, 2),
        "postgres_cpu_seconds": round(server_cpu, 2),  # its backends for this import
        "postings": postings_made,
        "posted_lines": result["posted_lines"],
        "rejected": result["rejected"],
        "posted_amount": result["posted_amount"],
        "expected_amount": expected,
        "books_balanced": after["balanced"] and after["debits"] - before["debits"] == expected,
        "reimport_seconds": round(reimport, 2),
        "reimport_posted": second["posted_lines"],
        "reimport_already": second["already_imported"],
        "seed_seconds": round(seeded, 1),
        "chunk_lines": service.CHUNK_LINES,
    }


def run(quick: bool = False) -> dict[str, Any]:
    sizes = [1_000] if quick else [10_000, 200_000]
    results: dict[str, Any] = {"database": "postgresql", "goal_seconds": {
        "10000": 10, "200000": 120}}
    for lines in sizes:
        results[str(lines)] = _measure(lines)
    return results


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))  # noqa: T201
