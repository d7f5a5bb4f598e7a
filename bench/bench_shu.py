"""The year end on PostgreSQL for 200,000 members (goal: SHU computation and posting
≤ 60 s): closing the year, the simulation, the proposal and the distribution (every
member's share credited to sukarela, one log entry each), timed step by step.

Members are seeded with Core bulk inserts and their pokok + wajib posted through the batch
ledger path; one member in four has a loan with one repayment in the year (jasa paid).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import func, insert, select

from bench.bench_payroll import _schema
from ksp.accounting import postings
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import Status
from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import Environment, Settings
from ksp.ledger import log
from ksp.ledger.models import JournalLine
from ksp.loans.models import Loan, LoanRepayment, LoanStatus
from ksp.members.models import Member, MemberStatus
from ksp.savings.service import Jenis
from ksp.shu import service
from ksp.shu.models import ShuMemberLine

TODAY = dt.datetime(2026, 2, 16, 3, 0, tzinfo=dt.UTC)
JOINED = dt.date(2024, 6, 1)
PAID_ON = dt.date(2025, 6, 30)
SEED_CHUNK = 5000
LOAN_EVERY = 4
PRINCIPAL = 5_000_000
WHY = "Saldo awal bench"


def _seed(factory: Any, members: int) -> None:
    now = clock.now()
    for start in range(1, members + 1, SEED_CHUNK):
        numbers = range(start, min(start + SEED_CHUNK, members + 1))
        with transaction(factory) as session:
            session.execute(insert(Member), [{
                "number": n, "name": f"Anggota {n}", "birth_date": dt.date(1990, 7, 5),
                "occupation": "Petani", "nik_encrypted": b"x", "nik_lookup": f"bench-{n}",
                "phone_encrypted": b"x", "address_encrypted": b"x", "pii_salt": None,
                "wallet_address": None, "status": MemberStatus.ANGGOTA,
                "registered_at": now, "joined_on": JOINED} for n in numbers])
            postings.post_many(session, [
                *(postings.SavingsDeposit(n, Jenis.POKOK, 100_000) for n in numbers),
                *(postings.SavingsDeposit(n, Jenis.WAJIB, 50_000 * (1 + n % 12))
                  for n in numbers)], on=JOINED, reason=WHY)
            borrowers = [n for n in numbers if n % LOAN_EVERY == 0]
            if not borrowers:
                continue
            session.execute(insert(Loan), [{
                "id": n, "member_number": n, "product_code": "reguler", "product_version": 1,
                "principal": PRINCIPAL, "rate_bps": 1200, "method": "flat",
                "tenor_months": 12, "admin_fee": 0, "purpose": "Modal usaha",
                "status": LoanStatus.AKTIF, "applied_on": JOINED, "applied_by": "bench",
                "disbursed_on": JOINED} for n in borrowers])
            posted = postings.post_many(session, [
                postings.LoanRepayment(n, n, 0, 300_000 + n % 1000, 1_000_000)
                for n in borrowers], on=PAID_ON, reason=WHY)
            session.execute(insert(LoanRepayment), [{
                "loan_id": n, "seq": p.seq, "paid_on": PAID_ON, "amount": 1_300_000 + n % 1000,
                "denda": 0, "jasa": 300_000 + n % 1000, "pokok": 1_000_000, "channel": "teller"}
                for n, p in zip(borrowers, posted, strict=True)])
    with transaction(factory) as session:
        loans = members // LOAN_EVERY
        postings.post(session, postings.LoanProvision(loans * (PRINCIPAL - 1_000_000) // 100),
                      on=dt.date(2025, 12, 31), reason=WHY)


def _measure(members: int) -> dict[str, Any]:
    with TemporaryDirectory() as tmp, _schema() as url:
        settings = Settings(env=Environment.TEST, var_dir=Path(tmp) / "var",
                            deployments_dir=Path(tmp) / "deployments", database_url=url,
                            rpc_url="http://127.0.0.1:9")
        clock.freeze(TODAY)
        try:
            _engine, factory = open_database(settings)
            seeding = time.perf_counter()
            _seed(factory, members)
            seeded = time.perf_counter() - seeding
            times: dict[str, float] = {}
            started = time.perf_counter()
            with transaction(factory) as session:
                shu = service.close_year(session, 2025).shu
            times["close_seconds"] = time.perf_counter() - started
            step = time.perf_counter()
            with transaction(factory) as session:
                sim = service.propose(session, 2025, actor="ketua", split=None,
                                      jasa_usaha_bps=None,
                                      settlement=service.Settlement.SUKARELA)
                figures, digest = sim.figures, sim.figures_hash
            times["simulate_and_propose_seconds"] = time.perf_counter() - step
            with transaction(factory) as session:  # stands for the RAT and the anchor job
                log.append(session, "rat.hasil", {
                    "item_kind": "shu", "decision": "disetujui", "fiscal_year": 2025,
                    "figures": figures, "content_hash": digest})
                size, root = log.current_root(session)
                session.add(AnchorRecord(tree_size=size, root=root, chain_id=31337,
                                         registry_address="0x" + "5" * 40, anchor_index=0,
                                         tx_hash="0x" + "a" * 64, block_number=1,
                                         status=Status.CONFIRMED, created_at=clock.now()))
            step = time.perf_counter()
            with transaction(factory) as session:
                done = service.distribute(session, 2025, actor="bendahara")
            times["distribute_seconds"] = time.perf_counter() - step
            total = time.perf_counter() - started
            with factory() as session:
                lines_sum = int(session.scalar(select(func.sum(ShuMemberLine.amount))) or 0)
                sides = dict(session.execute(select(JournalLine.side,
                                                    func.sum(JournalLine.amount))
                                             .group_by(JournalLine.side)).all())
            factory.kw["bind"].dispose()
        finally:
            clock.freeze(None)
    return {"members": members, "shu": shu, "seconds": round(total, 2),
            **{k: round(v, 2) for k, v in times.items()},
            "lines": done.lines, "members_total": done.members_total,
            "lines_sum_equals_pool": lines_sum == done.members_total,
            "books_balanced": sides.get("D") == sides.get("C"),
            "seed_seconds": round(seeded, 1)}


def run(quick: bool = False) -> dict[str, Any]:
    sizes = [1_000] if quick else [int(os.environ.get("KSP_BENCH_SHU_MEMBERS", 200_000))]
    return {"database": "postgresql", "goal_seconds": 60,
            "runs": [_measure(n) for n in sizes]}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
