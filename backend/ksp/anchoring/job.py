"""The anchor job: publish the log's root on chain every N entries or T minutes, and keep
the `anchors` table true to the chain.

Order of work, so that a crash at any point is repaired and nothing is anchored twice:

1. read (size, root) from the log head;
2. send `anchor(size, root)` (the adapter in ksp.chain.anchor_registry);
3. record the anchor as `sent` with its tx hash, in its own transaction, *before* waiting;
4. on the receipt, mark the record `included`, and `confirmed` (final) once its block is
   `KSP_CONFIRMATION_DEPTH` blocks deep (at once on a local Anvil, depth 0).

A crash between 2 and 3 leaves an anchor on chain with no record: `repair` finds it in
the `Anchored` events. A `sent` record whose transaction never mined is sent again (or,
if the chain has moved past its size, marked `superseded`). A recorded anchor that is no
longer on chain (a rollback, a reorg) is marked `replaced`, loses its anchor number, and
the current size is anchored again. The chain being down only delays anchors: every
chain error becomes an outcome, never an exception in the ledger.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import TimeExhausted, Web3Exception

from ksp.anchoring import store
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import (
    LIVE,
    ON_CHAIN,
    AnchorOutcome,
    Outcome,
    RepairReport,
    Status,
    delayed,
    is_chain_down,
    reason,
    rejected,
)
from ksp.chain import anchor_registry as registry
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import Settings
from ksp.ledger import log
from ksp.ledger.models import LogEntry

logger = logging.getLogger("ksp.anchoring")

RECHECK_RECENT = 3  # final anchors whose receipts each pass re-reads (plus all `included`)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class AnchorJob:
    """The anchor job for one registry: its database, chain, settings and deploy block."""

    _lock = threading.Lock()  # one anchor job at a time in this process

    def __init__(
        self,
        factory: sessionmaker[Session],
        w3: Web3,
        registry_address: str,
        settings: Settings,
        *,
        from_block: int = 0,
        receipt_timeout: float = 120,
    ) -> None:
        self.factory = factory
        self.w3 = w3
        self.address = registry.checksum(registry_address)
        self.settings = settings
        self.from_block = from_block
        self.receipt_timeout = receipt_timeout
        self.depth = settings.confirmation_depth

    # --- the records ---------------------------------------------------------------------

    def records(self, session: Session, chain_id: int) -> list[AnchorRecord]:
        return list(session.scalars(
            select(AnchorRecord)
            .where(AnchorRecord.chain_id == chain_id,
                   AnchorRecord.registry_address == self.address)
            .order_by(AnchorRecord.tree_size, AnchorRecord.id)
        ))

    def last_anchor(self, session: Session, chain_id: int) -> AnchorRecord | None:
        """The largest anchor that holds a size on chain (or may, once mined)."""
        return session.scalars(
            select(AnchorRecord)
            .where(AnchorRecord.chain_id == chain_id,
                   AnchorRecord.registry_address == self.address,
                   AnchorRecord.status.in_(list(LIVE)))
            .order_by(AnchorRecord.tree_size.desc())
            .limit(1)
        ).first()

    def _is_final(self, block: int, head: int | None) -> bool:
        if self.depth <= 0:
            return True
        head = self.w3.eth.block_number if head is None else head
        return head - block >= self.depth

    def _place(self, session: Session, record: AnchorRecord, event: registry.AnchorEvent,
               head: int | None = None) -> None:
        """Marks `record` as the chain's anchor `event` (included, final or mismatch)."""
        if record.root != event.root:
            record.status = Status.MISMATCH
        else:
            record.status = (Status.CONFIRMED if self._is_final(event.block, head)
                             else Status.INCLUDED)
        # No two rows show the same anchor number: a row still holding this number
        # describes an anchor the chain no longer has.
        for other in session.scalars(select(AnchorRecord).where(
                AnchorRecord.chain_id == record.chain_id,
                AnchorRecord.registry_address == record.registry_address,
                AnchorRecord.anchor_index == event.index, AnchorRecord.id != record.id)):
            logger.warning("anchor #%s (size %s) replaced on chain by size %s", event.index,
                           other.tree_size, event.tree_size)
            other.anchor_index = None
            if other.status in LIVE:
                other.status = Status.REPLACED
        session.flush()
        record.tx_hash = event.tx_hash
        record.block_number = event.block
        record.anchor_index = event.index

    def _confirm(self, record_id: int, event: registry.AnchorEvent) -> AnchorRecord:
        with transaction(self.factory) as session:
            record = session.get(AnchorRecord, record_id)
            assert record is not None
            self._place(session, record, event)
            session.flush()
            session.expunge(record)
            return record

    # --- anchoring -----------------------------------------------------------------------

    def _due(self, session: Session, chain_id: int, size: int,
             last: AnchorRecord | None) -> bool:
        last_size = last.tree_size if last is not None else 0
        if size - last_size >= self.settings.anchor_every_entries:
            return True
        lost = session.scalars(select(AnchorRecord.id).where(
            AnchorRecord.chain_id == chain_id, AnchorRecord.registry_address == self.address,
            AnchorRecord.status == Status.REPLACED, AnchorRecord.tree_size > last_size,
        ).limit(1)).first()
        if lost is not None:
            return True  # entries once anchored are not covered any more: anchor them again
        if last is not None:
            since = _aware(last.created_at)
        else:
            first = session.scalar(select(LogEntry.recorded_at).where(LogEntry.seq == 1))
            if first is None:
                return False
            since = _aware(first)
        return clock.now() - since >= dt.timedelta(minutes=self.settings.anchor_every_minutes)

    def anchor_if_due(self, *, force: bool = False) -> AnchorOutcome:
        """Anchors the current root if N new entries or T minutes have passed, if an
        anchor vanished from the chain, or if `force`.

        Never anchors when nothing is new. Chain errors come back as DELAYED or REJECTED.
        """
        with self._lock:
            try:
                chain_id = self.w3.eth.chain_id
            except Exception as exc:
                if is_chain_down(exc):
                    return delayed(exc)
                raise
            with transaction(self.factory) as session:
                pending = [r.id for r in self.records(session, chain_id)
                           if r.status == Status.SENT]
            if pending:
                waiting = self._settle_pending(pending)
                if waiting is not None:
                    return waiting
            with transaction(self.factory) as session:
                size, root = log.current_root(session)
                last = self.last_anchor(session, chain_id)
                last_size = last.tree_size if last is not None else 0
                if size <= last_size:
                    return AnchorOutcome(
                        Outcome.NOTHING_NEW,
                        tree_size=last_size,
                        message_id=f"Tidak ada entri baru sejak anchor ukuran {last_size}.",
                        message_en=f"No new entries since the anchor of size {last_size}.",
                    )
                if not force and not self._due(session, chain_id, size, last):
                    return AnchorOutcome(
                        Outcome.NOT_DUE,
                        tree_size=size,
                        message_id=f"{size - last_size} entri baru; belum waktunya anchor.",
                        message_en=f"{size - last_size} new entries; no anchor due yet.",
                    )
            return self._send_and_record(chain_id, size, root)

    def anchor_now(self) -> AnchorOutcome:
        """Anchors the current root now if there is anything new (`ksp anchor now`)."""
        return self.anchor_if_due(force=True)

    def _settle_pending(self, pending: list[int]) -> AnchorOutcome | None:
        """Sizes must grow on chain: settles unconfirmed anchors before a new one.
        Returns the outcome to stop at, or None to go on."""
        report = RepairReport()
        try:
            for record_id in pending:
                self._settle_sent(record_id, report)
        except Exception as exc:
            if is_chain_down(exc):
                return delayed(exc)
            raise
        if report.rejected:
            return AnchorOutcome(
                Outcome.REJECTED,
                message_id=f"Anchor ulang ditolak: {'; '.join(report.rejected)}",
                message_en=f"Resent anchor rejected: {'; '.join(report.rejected)}",
            )
        if report.pending:
            size = report.pending[-1]
            return AnchorOutcome(
                Outcome.PENDING,
                tree_size=size,
                message_id=f"Anchor ukuran {size} masih menunggu konfirmasi.",
                message_en=f"Anchor of size {size} still awaits confirmation.",
            )
        return None

    def _send_and_record(self, chain_id: int, size: int, root: bytes) -> AnchorOutcome:
        try:
            tx_hash = registry.send_anchor(self.w3, self.address, size, root)
        except Exception as exc:
            if is_chain_down(exc):
                return delayed(exc, size)
            if isinstance(exc, Web3Exception | ValueError):
                return rejected(exc, size)
            raise
        # Recorded before waiting: if we die from here on, the record (or, failing that,
        # the chain event) tells the next run what happened.
        with transaction(self.factory) as session:
            record = AnchorRecord(
                tree_size=size, root=root, chain_id=chain_id,
                registry_address=self.address, tx_hash=tx_hash, status=Status.SENT,
                created_at=clock.now(),
            )
            session.add(record)
            session.flush()
            record_id = record.id
        logger.info("anchor of size %s sent in %s", size, tx_hash)
        return self._await_receipt(record_id, size, root, tx_hash)

    def _await_receipt(self, record_id: int, size: int, root: bytes,
                       tx_hash: str) -> AnchorOutcome:
        sent = AnchorOutcome(
            Outcome.SENT, tree_size=size, root=root, tx_hash=tx_hash,
            message_id=f"Anchor ukuran {size} terkirim ({tx_hash}); konfirmasi menyusul.",
            message_en=f"Anchor of size {size} sent ({tx_hash}); confirmation pending.",
        )
        try:
            receipt = registry.wait(self.w3, self.address, tx_hash,
                                    timeout=self.receipt_timeout)
        except TimeExhausted:
            return sent
        except Exception as exc:
            if is_chain_down(exc):
                return sent
            raise
        if receipt.status != 1 or receipt.event is None:
            # Left `sent`: the next run sees the reverted receipt and resends or supersedes.
            return AnchorOutcome(
                Outcome.REJECTED, tree_size=size, tx_hash=tx_hash, block=receipt.block,
                message_id=f"Transaksi anchor ukuran {size} gagal di blok {receipt.block}.",
                message_en=f"The anchor transaction for size {size} reverted in block "
                f"{receipt.block}.",
            )
        try:
            record = self._confirm(record_id, receipt.event)
        except Exception as exc:
            if is_chain_down(exc):
                return sent
            raise
        index, block = receipt.event.index, receipt.block
        wait_id = wait_en = ""
        if record.status == Status.INCLUDED:
            wait_id = f"; final setelah {self.depth} blok"
            wait_en = f"; final after {self.depth} blocks"
        return AnchorOutcome(
            Outcome.ANCHORED, tree_size=size, root=root, tx_hash=receipt.tx_hash,
            block=block, index=index,
            message_id=f"Anchor #{index} ukuran {size} tercatat di blok {block}{wait_id}.",
            message_en=f"Anchor #{index} of size {size} recorded in block {block}{wait_en}.",
        )

    def _settle_sent(self, record_id: int, report: RepairReport,
                     events: list[registry.AnchorEvent] | None = None) -> None:
        """Resolves one `sent` record: on chain, still pending, resent, or superseded."""
        w3, address = self.w3, self.address
        with transaction(self.factory) as session:
            record = session.get(AnchorRecord, record_id)
            assert record is not None and record.tx_hash is not None
            size, root, tx_hash = record.tree_size, record.root, record.tx_hash
        receipt = registry.receipt_if_mined(w3, address, tx_hash)
        if receipt is not None and receipt.event is not None:
            self._confirm(record_id, receipt.event)
            report.confirmed.append(size)
            return
        if receipt is None and registry.is_known(w3, tx_hash):
            try:
                waited = registry.wait(w3, address, tx_hash, timeout=self.receipt_timeout)
            except TimeExhausted:
                report.pending.append(size)
                return
            if waited.event is not None:
                self._confirm(record_id, waited.event)
                report.confirmed.append(size)
                return
        # Dropped from the mempool, or mined and reverted. Another transaction may still
        # have anchored this size (an earlier resend); the events know.
        if events is None:
            events = registry.read_anchors(w3, address, self.from_block)
        for event in events:
            if event.tree_size == size:
                self._confirm(record_id, event)
                report.confirmed.append(size)
                return
        if registry.latest(w3, address).tree_size >= size:
            with transaction(self.factory) as session:
                record = session.get(AnchorRecord, record_id)
                assert record is not None
                record.status = Status.SUPERSEDED
            report.superseded.append(size)
            logger.warning("anchor of size %s never mined; the chain is past it", size)
            return
        try:
            new_hash = registry.send_anchor(w3, address, size, root)
        except (Web3Exception, ValueError) as exc:  # e.g. paused: stays `sent`, tried next run
            report.rejected.append(f"{size}: {registry.explain_error(exc)}")
            logger.error("resending the anchor of size %s was refused: %s", size,
                         registry.explain_error(exc))
            return
        with transaction(self.factory) as session:
            record = session.get(AnchorRecord, record_id)
            assert record is not None
            record.tx_hash = new_hash
        report.resent.append(size)
        logger.warning("anchor of size %s never mined; sent again in %s", size, new_hash)
        try:
            resent = registry.wait(w3, address, new_hash, timeout=self.receipt_timeout)
        except TimeExhausted:
            report.pending.append(size)
            return
        if resent.event is not None:
            self._confirm(record_id, resent.event)
            report.confirmed.append(size)
        else:
            report.pending.append(size)  # reverted again; the next run looks again

    # --- keeping the records true to the chain -------------------------------------------

    def repair(self) -> RepairReport:
        """Reconciles the `anchors` table with the chain's `Anchored` events (at start, and
        whenever `recheck` finds a recorded anchor missing).

        * an event with no record (crash between sending and recording): recorded;
        * a `sent` record: placed from its receipt or event, resent if its transaction
          never mined, or superseded if the chain has moved past its size;
        * a recorded anchor with no event any more (rollback, reorg): `replaced`, and its
          entries are anchored again by the next `anchor_if_due`;
        * an on-chain root that differs from the log's root at that size: recorded as
          `mismatch` and reported, loudly.
        """
        report = RepairReport()
        with self._lock:
            try:
                self._repair(report)
                self._finalize(report)
            except Exception as exc:
                if not is_chain_down(exc):
                    raise
                report.delayed = reason(exc)
                logger.warning("anchor repair delayed, chain unreachable: %s", report.delayed)
        return report

    def recheck(self) -> RepairReport:
        """The cheap pass run before each anchor: `latest()` and the receipts of recent
        anchors still agree with the records; if not, a full `repair`. Then anchors that
        reached the confirmation depth become final."""
        report = RepairReport()
        with self._lock:
            try:
                if self._something_vanished():
                    self._repair(report)
                self._finalize(report)
            except Exception as exc:
                if not is_chain_down(exc):
                    raise
                report.delayed = reason(exc)
                logger.warning("anchor re-check delayed, chain unreachable: %s",
                               report.delayed)
        return report

    def _something_vanished(self) -> bool:
        chain_id = self.w3.eth.chain_id
        mine = (AnchorRecord.chain_id == chain_id,
                AnchorRecord.registry_address == self.address)
        with transaction(self.factory) as session:
            newest = list(session.scalars(
                select(AnchorRecord).where(*mine, AnchorRecord.status.in_(list(ON_CHAIN)))
                .order_by(AnchorRecord.tree_size.desc()).limit(RECHECK_RECENT)))
            included = list(session.scalars(
                select(AnchorRecord).where(*mine, AnchorRecord.status == Status.INCLUDED)))
            placed = sorted({r.id: r for r in newest + included}.values(),
                            key=lambda r: r.tree_size)
            for record in placed:
                session.expunge(record)
        if not placed:
            return False
        latest = registry.latest(self.w3, self.address)
        top = placed[-1]
        if latest.tree_size < top.tree_size or (
                top.anchor_index is not None and latest.anchor_count <= top.anchor_index):
            logger.warning("the registry's latest() (size %s) is behind our anchor of size %s",
                           latest.tree_size, top.tree_size)
            return True
        for record in placed:
            if record.tx_hash is None:
                return True
            receipt = registry.receipt_if_mined(self.w3, self.address, record.tx_hash)
            if (receipt is None or receipt.event is None or receipt.block != record.block_number
                    or receipt.event.tree_size != record.tree_size):
                logger.warning("anchor of size %s is not where it was recorded (block %s)",
                               record.tree_size, record.block_number)
                return True
        return False

    def _finalize(self, report: RepairReport) -> None:
        if self.depth <= 0:
            return
        head = self.w3.eth.block_number
        chain_id = self.w3.eth.chain_id
        with transaction(self.factory) as session:
            for record in session.scalars(select(AnchorRecord).where(
                    AnchorRecord.chain_id == chain_id,
                    AnchorRecord.registry_address == self.address,
                    AnchorRecord.status == Status.INCLUDED,
                    AnchorRecord.block_number <= head - self.depth,
            ).order_by(AnchorRecord.tree_size)):
                record.status = Status.CONFIRMED
                report.finalized.append(record.tree_size)

    def _repair(self, report: RepairReport) -> None:
        chain_id = self.w3.eth.chain_id
        head = self.w3.eth.block_number
        events = registry.read_anchors(self.w3, self.address, self.from_block, head)
        report.events = len(events)
        on_chain = {e.tree_size for e in events}
        with transaction(self.factory) as session:
            records = {r.tree_size: r for r in self.records(session, chain_id)
                       if r.status in LIVE}
            # First what vanished, so that its anchor number is free for what is there now.
            for record in records.values():
                if (record.status in ON_CHAIN and record.tree_size not in on_chain
                        and (record.block_number or 0) >= self.from_block):
                    logger.error("anchor #%s of size %s (block %s) is no longer on chain; "
                                 "it will be anchored again", record.anchor_index,
                                 record.tree_size, record.block_number)
                    record.status = Status.REPLACED
                    record.anchor_index = None
                    report.replaced.append(record.tree_size)
            session.flush()
            size = store.log_size(session)
            for event in events:
                ours = store.root_at(session, event.tree_size) if event.tree_size <= size else None
                if ours != event.root:
                    report.mismatches.append(event.tree_size)
                    logger.error(
                        "anchor #%s (size %s) on chain has root 0x%s, the log has %s",
                        event.index, event.tree_size, event.root.hex(),
                        "no such size" if ours is None else "0x" + ours.hex(),
                    )
                found = records.get(event.tree_size)
                if found is None:
                    found = AnchorRecord(
                        tree_size=event.tree_size, root=event.root, chain_id=chain_id,
                        registry_address=self.address, status=Status.SENT,
                        created_at=clock.now(),
                    )
                    session.add(found)
                    session.flush()
                    report.recovered.append(event.tree_size)
                elif found.status == Status.SENT:
                    report.confirmed.append(event.tree_size)
                self._place(session, found, event, head)
                if ours != event.root:
                    found.status = Status.MISMATCH
            unsettled = [r.id for r in records.values()
                         if r.status == Status.SENT and r.tree_size not in on_chain]
        for record_id in unsettled:
            self._settle_sent(record_id, report, events=events)
