"""The outbox worker: sends pending chain writes in batches, waits for receipts, retries
with backoff, and repairs at start what a crash left half done.

Order of work for one batch: sign → record the tx hash (SENT) → send → wait → CONFIRMED.
A crash after recording is repaired from the receipt (or, if the transaction never left,
by asking the contract whether the `seq` was applied); the contract refuses a `seq` it
has seen, so a resend can never mint twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import ContractLogicError

from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.chain.sender import TxSender, contract
from ksp.core import clock
from ksp.core.db import transaction

log = logging.getLogger("ksp.chain.worker")
MAX_BACKOFF_S = 300


@dataclass
class WorkerReport:
    confirmed: int = 0
    repaired: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class OutboxWorker:
    def __init__(self, factory: sessionmaker[Session], w3: Web3, deployment: dict[str, Any],
                 private_key: str, batch_size: int = 100) -> None:
        self.factory = factory
        self.sender = TxSender(w3, private_key)
        self.members = contract(w3, deployment, "CoopMembers")
        self.token = contract(w3, deployment, "SavingsToken")
        self.batch_size = batch_size

    # --- repair -------------------------------------------------------------------
    def _already_done(self, item: OutboxItem) -> bool:
        data = item.data()
        if item.kind is OutboxKind.MIRROR_SAVINGS:
            return bool(self.token.functions.isApplied(item.seq, data["token_id"]).call())
        if item.kind is OutboxKind.ADMIT_MEMBER:
            account = self.members.functions.accountOf(data["member"]).call()
            return bool(account == Web3.to_checksum_address(data["wallet"])
                        and self.members.functions.isMember(account).call())
        account = self.members.functions.accountOf(data["member"]).call()
        return not self.members.functions.isMember(account).call()

    def repair(self, report: WorkerReport) -> None:
        """SENT rows: confirm from the receipt, or from the contract's state."""
        with self.factory() as session:
            sent = list(session.scalars(
                select(OutboxItem).where(OutboxItem.status == OutboxStatus.SENT)))
        for item in sent:
            receipt = self.sender.receipt(item.tx_hash) if item.tx_hash else None
            done = (receipt is not None and receipt["status"] == 1) or self._already_done(item)
            with transaction(self.factory) as session:
                row = session.get(OutboxItem, item.id, with_for_update=True)
                assert row is not None
                row.status = OutboxStatus.CONFIRMED if done else OutboxStatus.PENDING
                if not done:
                    row.tx_hash = None
            report.repaired += 1

    # --- sending ------------------------------------------------------------------
    def _due(self, session: Session) -> list[OutboxItem]:
        now = clock.now()
        return list(session.scalars(
            select(OutboxItem)
            .where(OutboxItem.status == OutboxStatus.PENDING,
                   or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now))
            .order_by(OutboxItem.id)
            .limit(self.batch_size)))

    def _call_for(self, kind: OutboxKind, items: Sequence[OutboxItem]) -> Any:
        if kind is OutboxKind.MIRROR_SAVINGS:
            postings = []
            for item in items:
                data = item.data()
                postings.append((item.seq, Web3.to_checksum_address(data["wallet"]),
                                 data["token_id"], data["delta"] < 0, abs(data["delta"])))
            return self.token.functions.mirror(postings)
        if kind is OutboxKind.ADMIT_MEMBER:
            numbers = [i.data()["member"] for i in items]
            wallets = [Web3.to_checksum_address(i.data()["wallet"]) for i in items]
            return self.members.functions.admitBatch(numbers, wallets)
        return self.members.functions.exit(items[0].data()["member"])

    def _batches(self, items: list[OutboxItem]) -> list[tuple[OutboxKind, list[OutboxItem]]]:
        """Consecutive items of one kind form a batch (exits go one by one); order kept so
        a member is admitted before their savings are mirrored."""
        batches: list[tuple[OutboxKind, list[OutboxItem]]] = []
        for item in items:
            if (batches and batches[-1][0] is item.kind
                    and item.kind is not OutboxKind.EXIT_MEMBER):
                batches[-1][1].append(item)
            else:
                batches.append((item.kind, [item]))
        return batches

    def _send_batch(self, kind: OutboxKind, items: list[OutboxItem], report: WorkerReport
                    ) -> None:
        pending = items
        try:
            # Gas estimation runs the call: if nothing in the batch is on chain yet (the
            # normal case) it succeeds, with no per-item reads.
            signed = self.sender.sign(self._call_for(kind, pending))
        except ContractLogicError:
            # Some of it already landed (sent by a run that died before recording it):
            # ask the contract item by item, and send only the rest.
            pending = [i for i in items if not self._already_done(i)]
            done_before = [i for i in items if i not in pending]
            if done_before:
                self._mark(done_before, OutboxStatus.CONFIRMED, None)
                report.repaired += len(done_before)
            if not pending:
                return
            signed = self.sender.sign(self._call_for(kind, pending))
        self._mark(pending, OutboxStatus.SENT, signed.tx_hash)  # recorded before it leaves
        self.sender.send(signed)
        receipt = self.sender.wait(signed.tx_hash)
        if receipt["status"] != 1:
            raise RuntimeError(f"{kind.value} batch reverted in {signed.tx_hash}")
        self._mark(pending, OutboxStatus.CONFIRMED, signed.tx_hash)
        report.confirmed += len(pending)

    def _mark(self, items: Sequence[OutboxItem], status: OutboxStatus, tx_hash: str | None
              ) -> None:
        with transaction(self.factory) as session:
            for item in items:
                row = session.get(OutboxItem, item.id, with_for_update=True)
                assert row is not None
                row.status = status
                row.tx_hash = tx_hash

    def _backoff(self, items: Sequence[OutboxItem], error: Exception) -> None:
        with transaction(self.factory) as session:
            for item in items:
                row = session.get(OutboxItem, item.id, with_for_update=True)
                assert row is not None
                row.status = OutboxStatus.PENDING
                row.tx_hash = None
                row.attempts += 1
                row.last_error = f"{type(error).__name__}: {error}"[:500]
                delay = min(2 ** row.attempts, MAX_BACKOFF_S)
                row.next_attempt_at = clock.now() + dt.timedelta(seconds=delay)

    def run_once(self) -> WorkerReport:
        """Repairs, then sends everything due, batch by batch. Chain errors back off; they
        never reach the ledger."""
        report = WorkerReport()
        try:
            self.repair(report)
            while True:
                with self.factory() as session:
                    items = self._due(session)
                if not items:
                    break
                for kind, batch in self._batches(items):
                    try:
                        self._send_batch(kind, batch, report)
                    except Exception as exc:  # any chain failure: retry later
                        log.warning("outbox batch failed: %s", exc)
                        self._backoff(batch, exc)
                        report.failed += len(batch)
                        report.errors.append(str(exc)[:200])
                        return report
        except Exception as exc:  # chain unreachable during repair
            report.errors.append(str(exc)[:200])
        return report


class OutboxThread:
    """Runs the worker every `interval` seconds until stopped."""

    def __init__(self, worker: OutboxWorker, interval: float = 5) -> None:
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.worker.run_once()
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
