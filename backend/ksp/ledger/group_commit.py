"""Group commit: concurrent writes of one process share one transaction and one commit.

Each write is a unit of work (a function of the session). A request hands its unit to the
committer of its session factory and waits. The first request that finds no batch running
becomes the leader: it takes whatever is waiting (at most `MAX_BATCH`), opens ONE
transaction, locks the log head, runs each unit in its own SAVEPOINT, commits once, and
only then answers every request of the batch (acknowledged means committed). Requests that
arrive meanwhile queue up; when the batch is done, the first of them leads the next one.
A lone request leads at once: there is no waiting for company.

A unit that raises is rolled back to its savepoint alone and gets its own exception; the
others still commit. If the commit fails, no request of the batch is acknowledged: each
gets `CommitFailed` (503), except those that had already failed on their own.

The head is locked before the first savepoint, not inside one: a row lock taken inside a
savepoint is released when that savepoint rolls back (PostgreSQL), and the rest of the
batch must keep the log to itself. The same lock orders the batches of several processes.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ksp.core.errors import CommitFailed, KspError
from ksp.ledger.log import lock_head

T = TypeVar("T")
Unit = Callable[[Session], T]

MAX_BATCH = 64


class _Pending(Generic[T]):
    __slots__ = ("unit", "done", "lead", "value", "error")

    def __init__(self, unit: Unit[T]) -> None:
        self.unit = unit
        self.done = threading.Event()
        self.lead = False  # set by the previous leader: this request runs the next batch
        self.value: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommitter:
    """The committer of one session factory (one per process and database)."""

    def __init__(self, factory: sessionmaker[Session], max_batch: int = MAX_BATCH,
                 prepare: Callable[[Session], Any] | None = None) -> None:
        # Weak: the registry below must not keep a dropped app's engine (and its pooled
        # connections) alive.
        self._factory = weakref.ref(factory)
        self.max_batch = max_batch
        self.prepare = prepare
        self._mutex = threading.Lock()
        self._queue: list[_Pending[Any]] = []
        self._running = False  # invariant: False only while the queue is empty
        self.batches = 0  # counters for the benchmarks and tests
        self.units = 0

    def submit(self, unit: Unit[T]) -> T:
        """Runs `unit` in a savepoint of the next batch; returns (or raises) once the batch
        has committed (or failed)."""
        mine: _Pending[T] = _Pending(unit)
        with self._mutex:
            self._queue.append(mine)
            if self._running:
                leader = False
            else:
                self._running = leader = True
        if not leader:
            mine.done.wait()
            if not mine.lead:
                return mine.outcome()
        self._lead()
        return mine.outcome()

    def run_batch(self, units: list[Unit[Any]]) -> list[Any]:
        """Runs `units` as one batch now, beside the queue (tests, bulk callers): each
        unit's value, or the exception it ended with."""
        batch = [_Pending(unit) for unit in units]
        self._run(batch)
        return [p.error if p.error is not None else p.value for p in batch]

    def _lead(self) -> None:
        with self._mutex:  # the leader is always first in the queue
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            self._run(batch)
        finally:
            with self._mutex:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.done.set()
                else:
                    self._running = False
            for pending in batch:
                pending.done.set()

    def _run(self, batch: list[_Pending[Any]]) -> None:
        factory = self._factory()
        assert factory is not None, "the session factory is gone"
        try:
            with factory() as session, session.begin():
                if self.prepare is not None:
                    self.prepare(session)
                for pending in batch:
                    try:
                        with session.begin_nested():
                            pending.value = pending.unit(session)
                    except Exception as exc:  # this request alone; the batch goes on
                        pending.error = exc
        except Exception as exc:
            # Nothing of this batch is stored: each request learns so, bar the ones refused
            # for their own reasons (their 4xx stands; an IntegrityError re-looks its key).
            for pending in batch:
                if not isinstance(pending.error, KspError | IntegrityError):
                    failure = CommitFailed(reason=type(exc).__name__)  # one per thread
                    failure.__cause__ = exc
                    pending.value, pending.error = None, failure
        self.batches += 1
        self.units += len(batch)


_committers: weakref.WeakKeyDictionary[sessionmaker[Session], GroupCommitter] = (
    weakref.WeakKeyDictionary())
_committers_mutex = threading.Lock()


def committer_for(factory: sessionmaker[Session]) -> GroupCommitter:
    """The factory's committer, made on first use (locks the log head at each batch)."""
    with _committers_mutex:
        found = _committers.get(factory)
        if found is None:
            found = _committers[factory] = GroupCommitter(factory, prepare=lock_head)
        return found
