"""Invariants of the books after any sequence of valid savings operations.

Service level, a fresh database per Hypothesis example. SQLite only: a fresh PostgreSQL
schema plus Alembic migration per example would make 25 examples too slow for the suite;
the same services run on PostgreSQL in test_worked_example and the api tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ksp.anchoring.merkle import root_from_leaf_hashes
from ksp.core.crypto import PiiCipher
from ksp.core.db import make_engine, make_sessionmaker, transaction
from ksp.core.schema import migrate
from ksp.ledger import log, reports
from ksp.ledger.chart import ensure_chart
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry
from ksp.members import service as members
from ksp.members.models import Member, MemberStatus
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.factories import registration

START = dt.date(2025, 1, 1)
BACKDATED = "Uji: riwayat lampau"  # every day here is in the past: a reason is due

op = st.one_of(
    st.tuples(st.just("register")),
    st.tuples(st.just("pokok"), st.integers(0, 5)),
    st.tuples(st.just("wajib"), st.integers(0, 5), st.integers(1, 3)),
    st.tuples(st.just("sukarela"), st.integers(0, 5), st.integers(1, 5_000_000)),
    st.tuples(st.just("tarik"), st.integers(0, 5), st.integers(1, 100)),  # % of balance
    st.tuples(st.just("exit"), st.integers(0, 5)),
)


def _apply(session, cipher, step, day, model) -> None:
    """Applies `step` only when valid; `model` mirrors every member's expected balances."""
    kind, *args = step
    if kind == "register":
        m = members.register(session, cipher, registration(len(model) + 1))
        model[m.number] = {"status": "calon", Jenis.POKOK: 0, Jenis.WAJIB: 0, Jenis.SUKARELA: 0}
        return
    if not model:
        return
    number = sorted(model)[args[0] % len(model)]
    state = model[number]
    if kind == "pokok" and state["status"] == "calon":
        savings.deposit(session, member_number=number, jenis=Jenis.POKOK, amount=100_000, on=day,
                        reason=BACKDATED)
        state["status"], state[Jenis.POKOK] = "anggota", 100_000
    elif state["status"] != "anggota":
        return
    elif kind == "wajib":
        savings.deposit(session, member_number=number, jenis=Jenis.WAJIB,
                        amount=50_000 * args[1], on=day, reason=BACKDATED)
        state[Jenis.WAJIB] += 50_000 * args[1]
    elif kind == "sukarela":
        savings.deposit(session, member_number=number, jenis=Jenis.SUKARELA, amount=args[1],
                        on=day, reason=BACKDATED)
        state[Jenis.SUKARELA] += args[1]
    elif kind == "tarik":
        amount = state[Jenis.SUKARELA] * args[1] // 100
        if amount > 0:
            m = savings.withdraw(session, member_number=number, jenis=Jenis.SUKARELA,
                                 amount=amount, on=day, reason=BACKDATED)
            state[Jenis.SUKARELA] -= amount
            assert m.balance == state[Jenis.SUKARELA]
    elif kind == "exit":
        owed = savings.exit_member(session, member_number=number, on=day, reason=BACKDATED)
        assert owed == {j: state[j] for j in Jenis if state[j] > 0}
        state.update({"status": "keluar", Jenis.POKOK: 0, Jenis.WAJIB: 0, Jenis.SUKARELA: 0})


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(steps=st.lists(op, min_size=1, max_size=25))
def test_books_balance_and_log_is_gapless_after_any_valid_sequence(steps):
    workdir = tempfile.mkdtemp(prefix="ksp-prop-")
    engine = make_engine(f"sqlite:///{workdir}/p.sqlite3")
    try:
        migrate(engine)
        factory = make_sessionmaker(engine)
        cipher = PiiCipher(os.urandom(32))
        with transaction(factory) as session:
            ensure_chart(session)
        model: dict[int, dict] = {}
        for i, step in enumerate(steps):
            with transaction(factory) as session:  # one request = one transaction
                _apply(session, cipher, step, START + dt.timedelta(days=i), model)

        last_day = START + dt.timedelta(days=len(steps))
        with factory() as session:
            # Every journal entry balances on its own.
            per_entry = session.execute(
                select(JournalLine.entry_id, JournalLine.side, func.sum(JournalLine.amount))
                .group_by(JournalLine.entry_id, JournalLine.side)).all()
            sides: dict[int, dict[str, int]] = {}
            for entry_id, side, amount in per_entry:
                sides.setdefault(entry_id, {"D": 0, "C": 0})[side] += int(amount)
            entries = session.scalar(select(func.count()).select_from(JournalEntry))
            assert len(sides) == entries
            for entry_id, pair in sides.items():
                assert pair["D"] == pair["C"] > 0, (entry_id, pair)

            rows = reports.trial_balance(session, through=last_day)
            assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
            sheet = reports.balance_sheet(session, date=last_day)
            assert sheet.balanced
            assert sheet.assets.total == sheet.liabilities.total + sheet.equity.total

            # Sub-ledgers agree with the model of each member.
            for number, state in model.items():
                assert savings.balances(session, number) == {j: state[j] for j in Jenis}
                status = session.scalar(select(Member.status).where(Member.number == number))
                expected = {"calon": MemberStatus.CALON, "anggota": MemberStatus.ANGGOTA,
                            "keluar": MemberStatus.KELUAR}[state["status"]]
                assert status is expected
            kas = next(r for r in rows if r.code == "1101").balance
            assert kas == sum(s[j] for s in model.values() for j in Jenis)

            # The log: seq exactly 1..n, and the head's frontier root is the Merkle root.
            seqs = list(session.scalars(select(LogEntry.seq).order_by(LogEntry.seq)))
            assert seqs == list(range(1, len(seqs) + 1))
            hashes = list(session.scalars(select(LogEntry.leaf_hash).order_by(LogEntry.seq)))
            size, root = log.current_root(session)
            assert size == len(seqs)
            assert root == root_from_leaf_hashes(hashes)
    finally:
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
