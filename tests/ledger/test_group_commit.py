"""Group commit (issue 10): concurrent writes share one transaction, each request in its
own savepoint. A bad request fails alone with its own 4xx; the log stays gapless, the
Merkle frontier exact and the books balanced; a request is answered only once committed."""

from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ksp.anchoring.merkle import leaf_hash, root_from_leaf_hashes, tree_root
from ksp.auth.models import Role
from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.errors import CommitFailed, KspError
from ksp.core.idempotency import IdempotencyRecord
from ksp.core.settings import Environment, Settings
from ksp.ledger import journal, log
from ksp.ledger.chart import SIMPANAN_SUKARELA
from ksp.ledger.group_commit import GroupCommitter, committer_for
from ksp.ledger.models import LogEntry, LogHead, MerkleNode
from ksp.ledger.reports import member_balances, trial_balance
from ksp.savings import service as savings
from ksp.savings.errors import InsufficientBalance
from ksp.savings.service import Jenis
from tests.support.client import KspClient
from tests.support.factories import BACKDATED, join
from tests.test_power_cut import _audit, _caught_up, system, until  # noqa: F401 fixture

MEMBERS = 10
FAR_FUTURE = dt.date(2100, 1, 1)


def _sukarela(session: Session, number: int) -> int:
    return member_balances(session, member=number).get(SIMPANAN_SUKARELA, 0)


def check_log(session: Session) -> int:
    """The log is gapless (seq 1..n), every leaf hash is its payload's, and the root from
    the head's frontier equals the root of all leaves and the root from the stored nodes."""
    head = session.get(LogHead, 1)
    assert head is not None
    rows = session.execute(select(LogEntry.seq, LogEntry.payload, LogEntry.leaf_hash)
                           .order_by(LogEntry.seq)).all()
    assert [seq for seq, _, _ in rows] == list(range(1, head.size + 1))
    leaves = [bytes(leaf) for _, _, leaf in rows]
    assert leaves == [leaf_hash(payload.encode()) for _, payload, _ in rows]
    nodes = {(n.level, n.index): bytes(n.hash) for n in session.scalars(select(MerkleNode))}
    nodes.update({(0, i): leaf for i, leaf in enumerate(leaves)})
    _size, root = log.current_root(session)
    assert root == root_from_leaf_hashes(leaves)
    assert root == tree_root(head.size, lambda level, index: nodes[(level, index)])
    return head.size


def check_books(session: Session) -> None:
    lines = trial_balance(session, through=FAR_FUTURE)
    debit, credit = sum(a.debit for a in lines), sum(a.credit for a in lines)
    assert debit == credit > 0


# 200 concurrent deposits through the HTTP app, 10 of them invalid

def test_200_concurrent_requests_only_the_valid_190_post(db_settings: Settings):
    client = KspClient(db_settings)
    token = client.staff(Role.ADMIN, "teller")
    factory = client.app.state.sessionmaker
    cipher = PiiCipher(db_settings.pii_key_bytes())
    today = clock.today()
    joined_on = today - dt.timedelta(days=40)
    closed = today - dt.timedelta(days=20)
    with transaction(factory) as session:
        numbers = [join(session, cipher, serial, on=joined_on).number
                   for serial in range(1, MEMBERS + 1)]
        journal.close_period(session, through=closed)
    with factory() as session:
        size_before = session.get(LogHead, 1).size
        records_before = session.scalar(select(func.count()).select_from(IdempotencyRecord))

    rng = random.Random(10)
    requests: list[tuple[str, dict[str, Any], int, str | None]] = []  # path, body, status, code
    expected = dict.fromkeys(numbers, 0)
    for i in range(190):
        number, amount = numbers[i % MEMBERS], 1_000 * rng.randint(1, 50)
        expected[number] += amount
        requests.append((f"/api/v1/members/{number}/deposits",
                         {"jenis": "sukarela", "amount": amount}, 201, None))
    for i in range(4):  # overdraft: more than any member can have
        requests.append((f"/api/v1/members/{numbers[i]}/withdrawals",
                         {"jenis": "sukarela", "amount": 900_000_000}, 409,
                         "insufficient_balance"))
    for unknown in (9_001, 9_002, 9_003):
        requests.append((f"/api/v1/members/{unknown}/deposits",
                         {"jenis": "sukarela", "amount": 10_000}, 404, "unknown_member"))
    for i in range(3):  # a book date in the closed period
        requests.append((f"/api/v1/members/{numbers[i]}/deposits",
                         {"jenis": "sukarela", "amount": 10_000,
                          "tanggal": (closed - dt.timedelta(days=i)).isoformat(),
                          "alasan": BACKDATED}, 409, "period_closed"))
    rng.shuffle(requests)

    committer = committer_for(factory)
    batches, units = committer.batches, committer.units
    start = threading.Barrier(16)

    def send(chunk: list[int]) -> list[tuple[int, Any]]:
        start.wait()  # all 16 clients at once
        out = []
        for index in chunk:
            path, body, _status, _code = requests[index]
            reply = client.post(path, body, token, key=f"gc-{index}")
            out.append((index, reply))
        return out

    with ThreadPoolExecutor(16) as pool:
        replies = dict(pair for chunk in pool.map(send, [list(range(200))[i::16]
                                                         for i in range(16)])
                       for pair in chunk)

    for index, (path, body, status, code) in enumerate(requests):
        reply = replies[index]
        assert reply.status_code == status, (path, body, reply.text)
        if code is not None:
            error = reply.json()
            assert error["code"] == code
            assert error["message"] and error["message_en"]  # both languages
    seqs = sorted(r.json()["seq"] for r in replies.values() if r.status_code == 201)
    assert seqs == list(range(size_before + 1, size_before + 191))  # each valid one, once
    assert committer.units - units == 200
    assert committer.batches - batches < 200  # requests did share commits

    with factory() as session:
        assert check_log(session) == size_before + 190
        check_books(session)
        assert {n: _sukarela(session, n) for n in numbers} == expected
        records = session.scalar(select(func.count()).select_from(IdempotencyRecord))
        assert records - records_before == 190  # the refused ones stored nothing


# One batch, deterministic: a failing append in the middle is rolled back alone

@pytest.fixture
def ledger(db_settings: Settings):
    engine, factory = open_database(db_settings)
    cipher = PiiCipher(db_settings.pii_key_bytes())
    with transaction(factory) as session:
        numbers = [join(session, cipher, serial, on=clock.today()).number
                   for serial in range(1, 4)]
    yield factory, numbers
    engine.dispose()


class Boom(Exception):
    pass


def test_a_unit_failing_after_its_append_leaves_no_gap_and_an_exact_frontier(ledger):
    factory, numbers = ledger
    with factory() as session:
        size = session.get(LogHead, 1).size

    def good(number: int, amount: int):
        def unit(session: Session) -> int:
            return savings.deposit(session, member_number=number, jenis=Jenis.SUKARELA,
                                   amount=amount, on=clock.today()).seq
        return unit

    def appends_then_fails(session: Session) -> int:
        savings.deposit(session, member_number=numbers[1], jenis=Jenis.SUKARELA,
                        amount=77_000, on=clock.today())
        raise Boom()

    def refused(session: Session) -> int:
        return savings.withdraw(session, member_number=numbers[2], jenis=Jenis.SUKARELA,
                                amount=1, on=clock.today()).seq

    committer = GroupCommitter(factory, prepare=log.lock_head)
    outcomes = committer.run_batch([good(numbers[0], 5_000), appends_then_fails, refused,
                                    good(numbers[1], 6_000), appends_then_fails,
                                    good(numbers[2], 7_000)])
    assert outcomes[0] == size + 1
    assert isinstance(outcomes[1], Boom)
    assert isinstance(outcomes[2], InsufficientBalance)
    assert outcomes[3] == size + 2  # the failed append's seq is taken again: no gap
    assert isinstance(outcomes[4], Boom)
    assert outcomes[5] == size + 3
    with factory() as session:
        assert check_log(session) == size + 3
        check_books(session)
        assert [_sukarela(session, n) for n in numbers] == [5_000, 6_000, 7_000]


def test_the_head_is_reloaded_after_a_savepoint_rolls_back(ledger):
    """SQLAlchemy expires the head row changed inside a rolled-back savepoint, so the next
    append reads the size and frontier the database holds again."""
    factory, numbers = ledger
    with factory() as session, session.begin():
        head = log.lock_head(session)
        size, frontier = head.size, head.frontier
        with pytest.raises(Boom), session.begin_nested():
            log.append(session, "test.discarded", {"n": 1})
            assert head.size == size + 1
            raise Boom()
        assert head.size == size and head.frontier == frontier
        assert log.lock_head(session) is head
        assert log.append(session, "test.kept", {"n": 2}).seq == size + 1
    with factory() as session:
        assert check_log(session) == size + 1


def test_the_same_key_twice_in_one_batch_posts_once(ledger):
    from ksp.core.idempotency import run_idempotent

    factory, numbers = ledger
    calls = []

    def action(session: Session) -> tuple[int, Any]:
        calls.append(1)
        m = savings.deposit(session, member_number=numbers[0], jenis=Jenis.SUKARELA,
                            amount=12_000, on=clock.today())
        return 201, {"seq": m.seq}

    committer = committer_for(factory)
    hold = threading.Lock()
    hold.acquire()
    # A first unit keeps the leader busy until both twins are queued behind it: they then
    # run in one batch.
    blocker = threading.Thread(target=committer.submit, args=(lambda _s: hold.acquire(),))
    blocker.start()
    while not committer._running:
        pass
    with ThreadPoolExecutor(2) as pool:
        twins = [pool.submit(run_idempotent, factory, scope="s", key="same", action=action,
                             request_fingerprint="f") for _ in range(2)]
        while len(committer._queue) < 2:
            pass
        batches = committer.batches
        hold.release()
        results = [t.result() for t in twins]
    blocker.join()
    assert committer.batches - batches == 2  # the blocker's batch, then the twins' batch
    assert results == [(201, results[0][1])] * 2
    assert len(calls) == 1
    with factory() as session:
        assert _sukarela(session, numbers[0]) == 12_000


def test_a_failed_commit_acknowledges_nobody(ledger, monkeypatch):
    factory, numbers = ledger
    with factory() as session:
        size = session.get(LogHead, 1).size

    def deposit(session: Session) -> int:
        return savings.deposit(session, member_number=numbers[0], jenis=Jenis.SUKARELA,
                               amount=1_000, on=clock.today()).seq

    def refused(session: Session) -> int:
        raise InsufficientBalance(jenis="sukarela", balance="Rp 0", amount="Rp 1")

    def lost(_dialect: Any, _connection: Any) -> None:
        raise ConnectionError("database gone")

    monkeypatch.setattr(type(factory.kw["bind"].dialect), "do_commit", lost)
    outcomes = GroupCommitter(factory, prepare=log.lock_head).run_batch(
        [deposit, refused, deposit])
    monkeypatch.undo()
    assert isinstance(outcomes[0], CommitFailed) and isinstance(outcomes[2], CommitFailed)
    assert outcomes[0].status == 503 and "ConnectionError" in outcomes[0].render_id()
    assert isinstance(outcomes[1], InsufficientBalance)  # its own reason stands
    with factory() as session:
        assert session.get(LogHead, 1).size == size
        assert _sukarela(session, numbers[0]) == 0


# Any mix of valid and invalid requests in one batch: the same state as one by one

MOVES = st.lists(st.tuples(st.sampled_from(["setor", "tarik", "asing"]),
                           st.integers(0, 2), st.integers(1, 60)), min_size=1, max_size=12)


def _unit(kind: str, member: int, thousands: int):
    def unit(session: Session) -> int:
        if kind == "setor":
            return savings.deposit(session, member_number=member, jenis=Jenis.SUKARELA,
                                   amount=thousands * 1_000, on=clock.today()).seq
        if kind == "tarik":
            return savings.withdraw(session, member_number=member, jenis=Jenis.SUKARELA,
                                    amount=thousands * 1_000, on=clock.today()).seq
        return savings.deposit(session, member_number=9_999, jenis=Jenis.SUKARELA,
                               amount=thousands * 1_000, on=clock.today()).seq
    return unit


def _state(factory: sessionmaker[Session], seeded: int) -> tuple[Any, ...]:
    """The entries the moves appended, byte for byte (the seed's differ: each database has
    its own PII key), and the balances."""
    with factory() as session:
        size = check_log(session)
        appended = list(session.scalars(select(LogEntry.payload).where(LogEntry.seq > seeded)
                                        .order_by(LogEntry.seq)))
        return size, appended, [_sukarela(session, n) for n in (1, 2, 3)]


@hsettings(max_examples=12, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES)
def test_a_batch_ends_where_one_by_one_ends(tmp_path_factory, moves):
    clock.freeze(dt.datetime(2026, 3, 2, 3, 4, 5, tzinfo=dt.UTC))  # identical payloads
    try:
        states, answers = [], []
        for together in (True, False):
            home = tmp_path_factory.mktemp("gc")
            db = Settings(env=Environment.TEST, var_dir=home / "var",
                          deployments_dir=home / "deployments", rpc_url="http://127.0.0.1:9",
                          database_url=f"sqlite:///{home / 'k.sqlite3'}")
            engine, factory = open_database(db)
            cipher = PiiCipher(db.pii_key_bytes())
            with transaction(factory) as session:
                for serial in (1, 2, 3):
                    join(session, cipher, serial, on=clock.today())
                seeded = log.lock_head(session).size
            committer = GroupCommitter(factory, prepare=log.lock_head)
            units = [_unit(kind, member + 1, k) for kind, member, k in moves]
            if together:
                got = committer.run_batch(units)
            else:
                got = [x for u in units for x in committer.run_batch([u])]
            answers.append([x if isinstance(x, int) else type(x).__name__ for x in got])
            states.append(_state(factory, seeded))
            engine.dispose()
        assert answers[0] == answers[1]
        assert states[0] == states[1]
        assert all(isinstance(x, int) or x in {"InsufficientBalance", "UnknownMember"}
                   for x in answers[0])
    finally:
        clock.freeze(None)


def test_commit_failed_is_a_bilingual_503():
    assert issubclass(CommitFailed, KspError)
    body = CommitFailed(reason="OperationalError").to_json()
    assert body["code"] == "commit_failed"
    assert "Idempotency-Key" in body["message"] and "Idempotency-Key" in body["message_en"]


# SIGKILL in the middle of batches: every acknowledged deposit survives, none doubles

def test_sigkill_mid_stream_then_every_request_retried_with_its_key(system, tmp_path):  # noqa: F811
    import httpx


    joined = [number for number, _wallet in system.prepare(members=4)]
    rng = random.Random(11)
    requests = [(joined[i % 4], 1_000 * rng.randint(1, 90), f"potong-{i}") for i in range(160)]
    expected = dict.fromkeys(joined, 0)
    for number, amount, _key in requests:
        expected[number] += amount
    answered: dict[str, dict[str, Any]] = {}

    def post(number: int, amount: int, key: str) -> httpx.Response:
        return httpx.post(f"{system.url}/api/v1/members/{number}/deposits", timeout=10,
                          json={"jenis": "sukarela", "amount": amount},
                          headers={"Authorization": f"Bearer {system.token}",
                                   "Idempotency-Key": key})

    def client(chunk: list[tuple[int, int, str]]) -> None:
        for number, amount, key in chunk:
            try:
                reply = post(number, amount, key)
            except httpx.TransportError:
                return  # the server is gone
            if reply.status_code == 201:
                answered[key] = reply.json()

    system.start()
    until(system.login, 60, "the API answers", system)
    threads = [threading.Thread(target=client, args=(requests[i::16],)) for i in range(16)]
    for thread in threads:
        thread.start()
    until(lambda: len(answered) >= 40, 120, "40 deposits answered", system)
    system.cut()  # SIGKILL while 16 clients keep writing
    for thread in threads:
        thread.join(30)
    acknowledged = dict(answered)
    assert 40 <= len(acknowledged) < len(requests)

    system.start()
    try:
        until(system.login, 60, "the API answers after the cut", system)

        def retry(request: tuple[int, int, str]) -> tuple[str, Any]:
            number, amount, key = request
            reply = until(lambda: (r := post(number, amount, key)).status_code == 201 and r,
                          60, f"{key} confirmed", system)
            return key, reply.json()

        with ThreadPoolExecutor(8) as pool:  # every one, the acknowledged ones too
            retried = dict(pool.map(retry, requests))
        for key, body in acknowledged.items():
            assert retried[key] == body  # the same answer: not posted again
        until(lambda: _caught_up(system), 120, "the chain caught up", system)
        audit = _audit(system, tmp_path)
        with system.factory() as session:
            balances = {number: _sukarela(session, number) for number in joined}
            check_log(session)
            check_books(session)
            records = session.scalar(select(func.count()).select_from(IdempotencyRecord))
    finally:
        system.stop()
    assert balances == expected  # each deposit exactly once, none lost
    assert records == len(requests)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_a_dropped_factory_is_not_kept_alive_by_its_committer(settings: Settings):
    import gc
    import weakref

    engine, factory = open_database(settings)
    committer_for(factory).run_batch([lambda session: None])
    engine.dispose()
    gone = weakref.ref(factory)
    del factory
    gc.collect()
    assert gone() is None  # nor its engine's pooled connections
