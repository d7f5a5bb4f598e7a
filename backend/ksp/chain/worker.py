"""The outbox worker: sends pending chain writes in batches, follows them to finality,
re-checks them against the chain, retries with backoff, and repairs what a crash left.

Order of work for one batch: sign -> record the tx hash (SENT) -> send -> wait ->
INCLUDED (block recorded) -> CONFIRMED once the block is final (`Finality`). A crash after
recording is repaired from the receipt (or, if the transaction never left, by asking the
handler whether the row already landed). Rows whose block the chain later lost (a reorg,
a local chain rolled back by a power cut) go back to PENDING and are sent again; the
contracts refuse a ref they have seen, so a resend can never apply twice.

Rows are sent in queue order; a row whose handler gives an order key (a loan's rows share
one) also waits while an earlier row with that key waits out a backoff.

Every kind goes through its handler (`ksp.chain.handlers`); nothing here knows a kind.
Chain calls happen outside any database transaction: the worker reads rows in a short
session, talks to the chain, then writes the outcome in another short transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import BlockNotFound, ContractLogicError

from ksp.chain.finality import Finality
from ksp.chain.handlers import HANDLERS, OutboxHandler
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.chain.sender import TxSender, contract, sending_lock
from ksp.core import clock
from ksp.core.db import transaction

log = logging.getLogger("ksp.chain.worker")
MAX_BACKOFF_S = 300


@dataclass
class WorkerReport:
    confirmed: int = 0  # sent in this run and landed
    repaired: int = 0  # SENT rows settled from a receipt or the contract's state
    failed: int = 0
    finalized: int = 0  # INCLUDED rows that reached the confirmation depth
    reverted: int = 0  # rows whose block the chain lost, queued again
    errors: list[str] = field(default_factory=list)


def _hex(value: Any) -> str:
    return "0x" + bytes(HexBytes(value)).hex()


class OutboxWorker:
    def __init__(self, factory: sessionmaker[Session], w3: Web3, deployment: dict[str, Any],
                 private_key: str, batch_size: int = 1_000, *,
                 batch_gas: int = 10_000_000,
                 finality: Finality | None = None, confirmation_depth: int | None = None,
                 handlers: dict[OutboxKind, OutboxHandler] | None = None) -> None:
        self.factory = factory
        self.w3 = w3
        self.deployment = deployment
        self.sender = TxSender(w3, private_key)
        self.batch_size = batch_size  # rows read per pass
        self.batch_gas = batch_gas
        self.handlers = handlers or HANDLERS
        self._finality = finality
        self._depth = confirmation_depth
        self._contracts: dict[str, Any] = {}

    # --- handlers and chain facts ---------------------------------------------------
    @property
    def finality(self) -> Finality:
        if self._finality is None:  # asked of the chain once, when it first answers
            self._finality = Finality.for_chain(int(self.w3.eth.chain_id), self._depth)
        return self._finality

    def _handler(self, item: OutboxItem) -> OutboxHandler:
        return self.handlers[item.kind]

    def _contract(self, handler: OutboxHandler) -> Any:
        name = handler.contract_name
        if name not in self._contracts:
            self._contracts[name] = contract(self.w3, self.deployment, name)
        return self._contracts[name]

    def already_done(self, item: OutboxItem) -> bool:
        handler = self._handler(item)
        return handler.already_applied(self._contract(handler), item)

    def call_for(self, items: Sequence[OutboxItem]) -> Any:
        handler = self._handler(items[0])
        return handler.build_call(self._contract(handler), items)

    def _block_hash(self, number: int) -> str | None:
        """The canonical block hash at `number`, or None if the chain has no such block."""
        try:
            return _hex(self.w3.eth.get_block(number)["hash"])
        except BlockNotFound:
            return None

    # --- repair of SENT rows --------------------------------------------------------
    def repair(self, report: WorkerReport) -> None:
        """SENT rows: settle from the receipt, or from the contract's state."""
        sent = self._rows(OutboxItem.status == OutboxStatus.SENT)
        final = self.finality.final_block(self.w3) if sent else -1
        for item in sent:
            receipt = self.sender.receipt(item.tx_hash) if item.tx_hash else None
            if receipt is not None and receipt["status"] == 1:
                self._landed([item], receipt, final)
            elif self.already_done(item):
                # Landed through a transaction we never recorded: no block to follow.
                self._update([item], status=OutboxStatus.CONFIRMED, block_number=None,
                             block_hash=None)
            else:
                self._update([item], status=OutboxStatus.PENDING, tx_hash=None)
            report.repaired += 1

    # --- following rows to finality, and back when the chain lost them --------------
    def reverify(self, report: WorkerReport) -> None:
        """Re-checks INCLUDED rows and CONFIRMED rows back to a margin below the last final
        block: the block they were recorded in must still be canonical. Rows of a lost
        block are looked up again (receipt elsewhere, or already applied); the rest go
        back to PENDING."""
        finality = self.finality
        final = finality.final_block(self.w3)
        rows = self._rows(
            OutboxItem.status.in_((OutboxStatus.INCLUDED, OutboxStatus.CONFIRMED)),
            OutboxItem.block_number.is_not(None),
            or_(OutboxItem.status == OutboxStatus.INCLUDED,
                OutboxItem.block_number > final - finality.recheck_margin))
        by_block: dict[int, list[OutboxItem]] = {}
        for row in rows:
            assert row.block_number is not None
            by_block.setdefault(row.block_number, []).append(row)
        for number, items in sorted(by_block.items()):
            canonical = self._block_hash(number)
            kept = [i for i in items if i.block_hash == canonical]
            lost = [i for i in items if i.block_hash != canonical]
            ready = [i for i in kept if i.status is OutboxStatus.INCLUDED and number <= final]
            if ready:
                self._update(ready, status=OutboxStatus.CONFIRMED)
                report.finalized += len(ready)
            if lost:
                self._relocate(lost, final, report)

    def _relocate(self, lost: list[OutboxItem], final: int, report: WorkerReport) -> None:
        for tx_hash in {i.tx_hash for i in lost}:
            items = [i for i in lost if i.tx_hash == tx_hash]
            receipt = self.sender.receipt(tx_hash) if tx_hash else None
            if receipt is not None and receipt["status"] == 1:
                self._landed(items, receipt, final)  # re-included in another block
                continue
            gone = [i for i in items if not self.already_done(i)]
            if len(gone) < len(items):
                self._update([i for i in items if i not in gone],
                             status=OutboxStatus.CONFIRMED, block_number=None, block_hash=None)
            if gone:
                log.warning("chain lost %d outbox rows (tx %s); sending again", len(gone),
                            tx_hash)
                self._update(gone, status=OutboxStatus.PENDING, tx_hash=None,
                             block_number=None, block_hash=None, next_attempt_at=None)
                report.reverted += len(gone)

    def _landed(self, items: Sequence[OutboxItem], receipt: dict[str, Any], final: int
                ) -> None:
        number = int(receipt["blockNumber"])
        status = OutboxStatus.CONFIRMED if number <= final else OutboxStatus.INCLUDED
        self._update(items, status=status, tx_hash=_hex(receipt["transactionHash"]),
                     block_number=number, block_hash=_hex(receipt["blockHash"]))

    # --- sending --------------------------------------------------------------------
    def _order_key(self, item: OutboxItem) -> Hashable | None:
        order_key = getattr(self._handler(item), "order_key", None)
        return order_key(item) if order_key is not None else None

    def _due(self) -> list[OutboxItem]:
        """PENDING rows due now, in queue order, less those held back: a row waits while an
        earlier row with the same order key (e.g. of the same loan) waits out a backoff, so
        a loan's accept never lands before its register, nor a write-off before the
        default."""
        now = clock.now()
        first_waiting: dict[Hashable, int] = {}
        for row in self._rows(OutboxItem.status == OutboxStatus.PENDING,
                              OutboxItem.next_attempt_at > now):
            key = self._order_key(row)
            if key is not None:
                first_waiting.setdefault(key, row.id)
        after = 0
        while True:
            page = self._rows(
                OutboxItem.status == OutboxStatus.PENDING, OutboxItem.id > after,
                or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now),
                limit=self.batch_size)
            if not first_waiting:
                return page
            kept = [i for i in page
                    if first_waiting.get(self._order_key(i), i.id) >= i.id]
            # A page held back whole must not hide the rows after it.
            if kept or len(page) < self.batch_size:
                return kept
            after = page[-1].id

    def limit(self, handler: OutboxHandler) -> int:
        """Rows one transaction of this kind may carry: the contract's limit, and as many
        as fit the gas budget."""
        per_item: int | None = getattr(handler, "gas_per_item", None)
        if not per_item:
            return handler.max_batch
        return max(1, min(handler.max_batch, self.batch_gas // per_item))

    def batches(self, items: Iterable[OutboxItem]) -> list[list[OutboxItem]]:
        """Neighbouring rows with the same batch key form a batch, up to the handler's
        limit; queue order is kept, so a member is admitted before their savings move."""
        batches: list[list[OutboxItem]] = []
        last_key: Hashable = None
        for item in items:
            handler = self._handler(item)
            key = (item.kind, handler.batch_key(item))
            if batches and key == last_key and len(batches[-1]) < self.limit(handler):
                batches[-1].append(item)
            else:
                batches.append([item])
            last_key = key
        return batches

    def _send_batch(self, items: list[OutboxItem], report: WorkerReport) -> None:
        # From taking a nonce until the node has the transaction, no other sender of this
        # process (the anchor job shares the operator key) may take the same nonce.
        with sending_lock(self.sender.address):
            pending = items
            try:
                # Gas estimation runs the call: if nothing in the batch is on chain yet (the
                # normal case) it succeeds, with no per-item reads.
                signed = self.sender.sign(self.call_for(pending))
            except ContractLogicError:
                # Some of it already landed (sent by a run that died before recording it, or
                # re-queued after a rollback that kept it): ask row by row, send the rest.
                pending = [i for i in items if not self.already_done(i)]
                done_before = [i for i in items if i not in pending]
                if done_before:
                    self._update(done_before, status=OutboxStatus.CONFIRMED, tx_hash=None)
                    report.repaired += len(done_before)
                if not pending:
                    return
                signed = self.sender.sign(self.call_for(pending))
            # Recorded before it leaves: a crash from here on is repaired from this hash.
            self._update(pending, status=OutboxStatus.SENT, tx_hash=signed.tx_hash)
            self.sender.send(signed)
        receipt = self.sender.wait(signed.tx_hash)
        if receipt["status"] != 1:
            raise RuntimeError(f"{pending[0].kind.value} batch reverted in {signed.tx_hash}")
        self._landed(pending, receipt, self.finality.final_block(self.w3))
        report.confirmed += len(pending)

    # --- rows -----------------------------------------------------------------------
    def _rows(self, *where: Any, limit: int | None = None) -> list[OutboxItem]:
        """A short read, outside any write transaction."""
        query = select(OutboxItem).where(*where).order_by(OutboxItem.id)
        if limit is not None:
            query = query.limit(limit)
        with self.factory() as session:
            return list(session.scalars(query))

    def _update(self, items: Sequence[OutboxItem], **fields: Any) -> None:
        with transaction(self.factory) as session:
            for item in items:
                row = session.get(OutboxItem, item.id, with_for_update=True)
                assert row is not None
                for name, value in fields.items():
                    setattr(row, name, value)
                    setattr(item, name, value)

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
        """Repairs, re-verifies, then sends everything due, batch by batch, and finally
        confirms what reached the depth. Chain errors back off; they never reach the
        ledger."""
        report = WorkerReport()
        try:
            self.repair(report)
            self.reverify(report)
            while True:
                items = self._due()
                if not items:
                    break
                for batch in self.batches(items):
                    try:
                        self._send_batch(batch, report)
                    except Exception as exc:  # any chain failure: retry later
                        log.warning("outbox batch failed: %s", exc)
                        self._backoff(batch, exc)
                        report.failed += len(batch)
                        report.errors.append(str(exc)[:200])
                        return report
            if report.confirmed and not self.finality.immediate:
                self.reverify(report)  # rows sent now may already be deep enough
        except Exception as exc:  # chain unreachable during repair or re-verification
            report.errors.append(str(exc)[:200])
        return report


class OutboxThread:
    """Runs the worker every `interval` seconds until stopped."""

    def __init__(self, worker: OutboxWorker, interval: float = 5) -> None:
        self.worker = worker
        self.interval = interval
        self.last_report: WorkerReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.last_report = self.worker.run_once()
            except Exception:  # the database itself failed: log, and try again later
                log.exception("outbox worker run failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
