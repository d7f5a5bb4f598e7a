"""The anchor job: publish the log's root on chain every N entries or T minutes.

Order of work, so that a crash at any point is repaired and nothing is anchored twice:

1. read (size, root) from the log head;
2. send `anchor(size, root)` (the adapter in ksp.chain.anchor_registry);
3. record the anchor as `sent` with its tx hash, in its own transaction, *before* waiting;
4. wait for the receipt and mark the record `confirmed` with block and anchor index.

A crash between 2 and 3 leaves an anchor on chain with no record: `repair` finds it in
the `Anchored` events. A `sent` record whose transaction never mined is sent again (or,
if the chain has moved past its size, marked `superseded`). The chain being down only
delays anchors: every chain error becomes an outcome, never an exception in the ledger.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import ProviderConnectionError, TimeExhausted, Web3Exception

from ksp.anchoring import store
from ksp.anchoring.models import AnchorRecord
from ksp.chain import anchor_registry as registry
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import Settings
from ksp.ledger import log
from ksp.ledger.models import LogEntry

logger = logging.getLogger("ksp.anchoring")


class Status(enum.StrEnum):
    """`AnchorRecord.status` values."""

    SENT = "sent"
    CONFIRMED = "confirmed"
    SUPERSEDED = "superseded"
    MISMATCH = "mismatch"


# Records that hold a size on chain (or may, once mined): the next anchor must be larger.
_LIVE = (Status.SENT, Status.CONFIRMED, Status.MISMATCH)


class Outcome(enum.StrEnum):
    ANCHORED = "anchored"  # mined and recorded as confirmed
    SENT = "sent"  # sent and recorded; the receipt did not come in time (repair confirms it)
    PENDING = "pending"  # an earlier anchor is still unconfirmed; nothing new was sent
    NOTHING_NEW = "nothing_new"  # no entries since the last anchor
    NOT_DUE = "not_due"  # fewer than N new entries and less than T minutes
    DELAYED = "delayed"  # chain unreachable: try again later
    REJECTED = "rejected"  # the node or the contract refused the transaction


@dataclass(frozen=True)
class AnchorOutcome:
    outcome: Outcome
    tree_size: int | None = None
    root: bytes | None = None
    tx_hash: str | None = None
    block: int | None = None
    index: int | None = None
    message_id: str = ""
    message_en: str = ""

    @property
    def message(self) -> str:
        return f"{self.message_id} / {self.message_en}"


@dataclass
class RepairReport:
    """What `repair` found and did."""

    events: int = 0
    recovered: list[int] = field(default_factory=list)  # sizes recorded from events
    confirmed: list[int] = field(default_factory=list)  # `sent` records now confirmed
    resent: list[int] = field(default_factory=list)  # sizes sent again (tx never mined)
    superseded: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # still waiting in the mempool
    mismatches: list[int] = field(default_factory=list)  # on-chain root != log root
    missing_on_chain: list[int] = field(default_factory=list)  # confirmed, but no event now
    rejected: list[str] = field(default_factory=list)  # resends the node or contract refused
    delayed: str | None = None  # the chain error that stopped the repair, if any

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.missing_on_chain or self.delayed or self.rejected)


class ChainUnavailable(Exception):
    """The RPC did not answer (connection refused, timeout)."""


def _is_chain_down(exc: BaseException) -> bool:
    # requests' ConnectionError and Timeout are OSErrors; web3 wraps some in its own types.
    return isinstance(exc, OSError | TimeoutError | ProviderConnectionError)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return f"{type(exc).__name__}: connection refused"
    return f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}"


def _delayed(exc: BaseException, size: int | None = None) -> AnchorOutcome:
    reason = _reason(exc)
    logger.warning("anchor delayed, chain unreachable: %s", reason)
    return AnchorOutcome(
        Outcome.DELAYED,
        tree_size=size,
        message_id=f"Rantai tidak dapat dihubungi; anchor ditunda ({reason}).",
        message_en=f"Chain unreachable; anchor delayed ({reason}).",
    )


def _rejected(exc: BaseException, size: int) -> AnchorOutcome:
    reason = registry.explain_error(exc)
    logger.error("anchor of size %s rejected: %s", size, reason)
    return AnchorOutcome(
        Outcome.REJECTED,
        tree_size=size,
        message_id=f"Anchor ukuran {size} ditolak: {reason}",
        message_en=f"Anchor of size {size} rejected: {reason}",
    )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _records(session: Session, chain_id: int, address: str) -> list[AnchorRecord]:
    return list(
        session.scalars(
            select(AnchorRecord)
            .where(AnchorRecord.chain_id == chain_id, AnchorRecord.registry_address == address)
            .order_by(AnchorRecord.tree_size)
        )
    )


def last_anchor(session: Session, chain_id: int, address: str) -> AnchorRecord | None:
    return session.scalars(
        select(AnchorRecord)
        .where(
            AnchorRecord.chain_id == chain_id,
            AnchorRecord.registry_address == address,
            AnchorRecord.status.in_(list(_LIVE)),
        )
        .order_by(AnchorRecord.tree_size.desc())
        .limit(1)
    ).first()


def _due(session: Session, settings: Settings, size: int, last: AnchorRecord | None) -> bool:
    last_size = last.tree_size if last is not None else 0
    if size - last_size >= settings.anchor_every_entries:
        return True
    if last is not None:
        since = _aware(last.created_at)
    else:
        first = session.scalar(select(LogEntry.recorded_at).where(LogEntry.seq == 1))
        if first is None:
            return False
        since = _aware(first)
    return clock.now() - since >= dt.timedelta(minutes=settings.anchor_every_minutes)


_job_lock = threading.Lock()  # one anchor job at a time in this process


def anchor_if_due(
    factory: sessionmaker[Session],
    w3: Web3,
    registry_address: str,
    settings: Settings,
    *,
    force: bool = False,
    from_block: int = 0,
    receipt_timeout: float = 120,
) -> AnchorOutcome:
    """Anchors the current root if N new entries or T minutes have passed (or `force`).

    Never anchors when nothing is new. Chain errors come back as DELAYED or REJECTED.
    """
    address = registry.checksum(registry_address)
    with _job_lock:
        try:
            chain_id = w3.eth.chain_id
        except Exception as exc:
            if _is_chain_down(exc):
                return _delayed(exc)
            raise
        with transaction(factory) as session:
            pending = [
                r.id for r in _records(session, chain_id, address) if r.status == Status.SENT
            ]
        if pending:
            # Sizes must grow on chain: settle the unconfirmed anchor before a new one.
            try:
                report = RepairReport()
                for record_id in pending:
                    _settle_sent(factory, w3, address, record_id, report,
                                 from_block=from_block, receipt_timeout=receipt_timeout)
            except Exception as exc:
                if _is_chain_down(exc):
                    return _delayed(exc)
                raise
            if report.rejected:
                return AnchorOutcome(
                    Outcome.REJECTED,
                    message_id=f"Anchor ulang ditolak: {'; '.join(report.rejected)}",
                    message_en=f"Resent anchor rejected: {'; '.join(report.rejected)}",
                )
            if report.pending:
                return AnchorOutcome(
                    Outcome.PENDING,
                    tree_size=report.pending[-1],
                    message_id=f"Anchor ukuran {report.pending[-1]} masih menunggu konfirmasi.",
                    message_en=f"Anchor of size {report.pending[-1]} still awaits confirmation.",
                )
        with transaction(factory) as session:
            size, root = log.current_root(session)
            last = last_anchor(session, chain_id, address)
            last_size = last.tree_size if last is not None else 0
            if size <= last_size:
                return AnchorOutcome(
                    Outcome.NOTHING_NEW,
                    tree_size=last_size,
                    message_id=f"Tidak ada entri baru sejak anchor ukuran {last_size}.",
                    message_en=f"No new entries since the anchor of size {last_size}.",
                )
            if not force and not _due(session, settings, size, last):
                return AnchorOutcome(
                    Outcome.NOT_DUE,
                    tree_size=size,
                    message_id=f"{size - last_size} entri baru; belum waktunya anchor.",
                    message_en=f"{size - last_size} new entries; no anchor due yet.",
                )
        return _send_and_record(factory, w3, address, chain_id, size, root,
                                receipt_timeout=receipt_timeout)


def anchor_now(
    factory: sessionmaker[Session],
    w3: Web3,
    registry_address: str,
    settings: Settings,
    *,
    from_block: int = 0,
    receipt_timeout: float = 120,
) -> AnchorOutcome:
    """Anchors the current root now if there is anything new (`ksp anchor now`)."""
    return anchor_if_due(factory, w3, registry_address, settings, force=True,
                         from_block=from_block, receipt_timeout=receipt_timeout)


def _send_and_record(
    factory: sessionmaker[Session],
    w3: Web3,
    address: str,
    chain_id: int,
    size: int,
    root: bytes,
    *,
    receipt_timeout: float,
) -> AnchorOutcome:
    try:
        tx_hash = registry.send_anchor(w3, address, size, root)
    except Exception as exc:
        if _is_chain_down(exc):
            return _delayed(exc, size)
        if isinstance(exc, Web3Exception | ValueError):
            return _rejected(exc, size)
        raise
    # Recorded before waiting: if we die from here on, the record (or, failing that, the
    # chain event) tells the next run what happened.
    with transaction(factory) as session:
        record = AnchorRecord(
            tree_size=size,
            root=root,
            chain_id=chain_id,
            registry_address=address,
            tx_hash=tx_hash,
            status=Status.SENT,
            created_at=clock.now(),
        )
        session.add(record)
        session.flush()
        record_id = record.id
    logger.info("anchor of size %s sent in %s", size, tx_hash)
    return _await_receipt(factory, w3, address, record_id, size, root, tx_hash,
                          receipt_timeout=receipt_timeout)


def _await_receipt(
    factory: sessionmaker[Session],
    w3: Web3,
    address: str,
    record_id: int,
    size: int,
    root: bytes,
    tx_hash: str,
    *,
    receipt_timeout: float,
) -> AnchorOutcome:
    sent = AnchorOutcome(
        Outcome.SENT,
        tree_size=size,
        root=root,
        tx_hash=tx_hash,
        message_id=f"Anchor ukuran {size} terkirim ({tx_hash}); konfirmasi menyusul.",
        message_en=f"Anchor of size {size} sent ({tx_hash}); confirmation pending.",
    )
    try:
        receipt = registry.wait(w3, address, tx_hash, timeout=receipt_timeout)
    except TimeExhausted:
        return sent
    except Exception as exc:
        if _is_chain_down(exc):
            return sent
        raise
    if receipt.status != 1 or receipt.event is None:
        # Left `sent`: the next run sees the reverted receipt and resends or supersedes.
        return AnchorOutcome(
            Outcome.REJECTED,
            tree_size=size,
            tx_hash=tx_hash,
            block=receipt.block,
            message_id=f"Transaksi anchor ukuran {size} gagal di blok {receipt.block}.",
            message_en=f"The anchor transaction for size {size} reverted in block "
            f"{receipt.block}.",
        )
    _confirm(factory, record_id, receipt.event)
    return AnchorOutcome(
        Outcome.ANCHORED,
        tree_size=size,
        root=root,
        tx_hash=receipt.tx_hash,
        block=receipt.block,
        index=receipt.event.index,
        message_id=f"Anchor #{receipt.event.index} ukuran {size} tercatat di blok "
        f"{receipt.block}.",
        message_en=f"Anchor #{receipt.event.index} of size {size} recorded in block "
        f"{receipt.block}.",
    )


def _confirm(factory: sessionmaker[Session], record_id: int, event: registry.AnchorEvent) -> None:
    with transaction(factory) as session:
        record = session.get(AnchorRecord, record_id)
        assert record is not None
        record.status = Status.CONFIRMED if record.root == event.root else Status.MISMATCH
        record.tx_hash = event.tx_hash
        record.block_number = event.block
        record.anchor_index = event.index


def _settle_sent(
    factory: sessionmaker[Session],
    w3: Web3,
    address: str,
    record_id: int,
    report: RepairReport,
    *,
    from_block: int,
    receipt_timeout: float,
    events: list[registry.AnchorEvent] | None = None,
) -> None:
    """Resolves one `sent` record: confirmed, still pending, resent, or superseded."""
    with transaction(factory) as session:
        record = session.get(AnchorRecord, record_id)
        assert record is not None and record.tx_hash is not None
        size, root, tx_hash = record.tree_size, record.root, record.tx_hash
    receipt = registry.receipt_if_mined(w3, address, tx_hash)
    if receipt is not None and receipt.event is not None:
        _confirm(factory, record_id, receipt.event)
        report.confirmed.append(size)
        return
    if receipt is None and registry.is_known(w3, tx_hash):
        try:
            waited = registry.wait(w3, address, tx_hash, timeout=receipt_timeout)
        except TimeExhausted:
            report.pending.append(size)
            return
        if waited.event is not None:
            _confirm(factory, record_id, waited.event)
            report.confirmed.append(size)
            return
    # Dropped from the mempool, or mined and reverted. Another transaction may still
    # have anchored this size (an earlier resend); the events know.
    if events is None:
        events = registry.read_anchors(w3, address, from_block)
    for event in events:
        if event.tree_size == size:
            _confirm(factory, record_id, event)
            report.confirmed.append(size)
            return
    if registry.latest(w3, address).tree_size >= size:
        with transaction(factory) as session:
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
    with transaction(factory) as session:
        record = session.get(AnchorRecord, record_id)
        assert record is not None
        record.tx_hash = new_hash
    report.resent.append(size)
    logger.warning("anchor of size %s never mined; sent again in %s", size, new_hash)
    try:
        resent = registry.wait(w3, address, new_hash, timeout=receipt_timeout)
    except TimeExhausted:
        report.pending.append(size)
        return
    if resent.event is not None:
        _confirm(factory, record_id, resent.event)
        report.confirmed.append(size)
    else:
        report.pending.append(size)  # reverted again; the next run looks again


def repair(
    factory: sessionmaker[Session],
    w3: Web3,
    registry_address: str,
    *,
    from_block: int = 0,
    receipt_timeout: float = 120,
) -> RepairReport:
    """Reconciles the `anchors` table with the chain's `Anchored` events (run at start).

    * an event with no record (crash between sending and recording): recorded;
    * a `sent` record: confirmed from its receipt or event, resent if its transaction
      never mined, or superseded if the chain has moved past its size;
    * an on-chain root that differs from the log's root at that size: recorded as
      `mismatch` and reported, loudly.
    """
    address = registry.checksum(registry_address)
    report = RepairReport()
    with _job_lock:
        try:
            _repair(factory, w3, address, report, from_block=from_block,
                    receipt_timeout=receipt_timeout)
        except Exception as exc:
            if not _is_chain_down(exc):
                raise
            report.delayed = _reason(exc)
            logger.warning("anchor repair delayed, chain unreachable: %s", report.delayed)
    return report


def _repair(
    factory: sessionmaker[Session],
    w3: Web3,
    address: str,
    report: RepairReport,
    *,
    from_block: int,
    receipt_timeout: float,
) -> None:
    chain_id = w3.eth.chain_id
    events = registry.read_anchors(w3, address, from_block)
    report.events = len(events)
    with transaction(factory) as session:
        records = {r.tree_size: r for r in _records(session, chain_id, address)}
        size = store.log_size(session)
        for event in events:
            ours = store.root_at(session, event.tree_size) if event.tree_size <= size else None
            status = Status.CONFIRMED if ours == event.root else Status.MISMATCH
            if status is Status.MISMATCH:
                report.mismatches.append(event.tree_size)
                logger.error(
                    "anchor #%s (size %s) on chain has root 0x%s, the log has %s",
                    event.index, event.tree_size, event.root.hex(),
                    "no such size" if ours is None else "0x" + ours.hex(),
                )
            record = records.get(event.tree_size)
            if record is None:
                session.add(AnchorRecord(
                    tree_size=event.tree_size, root=event.root, chain_id=chain_id,
                    registry_address=address, anchor_index=event.index,
                    tx_hash=event.tx_hash, block_number=event.block, status=status,
                    created_at=clock.now(),
                ))
                report.recovered.append(event.tree_size)
                continue
            if record.status != status or record.tx_hash != event.tx_hash:
                if record.status == Status.SENT:
                    report.confirmed.append(event.tree_size)
                record.status = status
                record.tx_hash = event.tx_hash
                record.block_number = event.block
                record.anchor_index = event.index
        on_chain = {e.tree_size for e in events}
        for record in records.values():
            if (record.status == Status.CONFIRMED and record.tree_size not in on_chain
                    and (record.block_number or 0) >= from_block):
                report.missing_on_chain.append(record.tree_size)
                logger.error("confirmed anchor of size %s has no event on chain",
                             record.tree_size)
        unsettled = [r.id for r in records.values()
                     if r.status == Status.SENT and r.tree_size not in on_chain]
    for record_id in unsettled:
        _settle_sent(factory, w3, address, record_id, report, from_block=from_block,
                     receipt_timeout=receipt_timeout, events=events)


def deployed_registry(settings: Settings) -> tuple[str, int] | None:
    """(address, deploy block) of AnchorRegistry from deployments/<chain_id>.json, or None.

    Reads the file only (no RPC), so the app can set up its worker while the chain is down.
    """
    from ksp.chain.deploy import read_deployment

    contracts = read_deployment(settings.deployments_dir, settings.chain_id)["contracts"]
    info = contracts.get("AnchorRegistry")
    if not info:
        return None
    return str(info["address"]), int(info.get("block", 0))


class AnchorWorker:
    """Runs `repair` once, then `anchor_if_due` every `interval` seconds, in a thread.

    `wake()` runs the job at once (e.g. after a burst of entries); `stop()` ends the loop
    without waiting out the interval. Every failure is logged and kept in `last_error`;
    none escapes the thread. In the app::

        found = deployed_registry(settings)
        if found:
            worker = AnchorWorker(factory, runtime.connect(), found[0], settings,
                                  from_block=found[1])
            worker.start()  # and worker.stop() at shutdown
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        w3: Web3,
        registry_address: str,
        settings: Settings,
        *,
        from_block: int = 0,
        interval: float = 5.0,
        receipt_timeout: float = 60,
        on_outcome: Callable[[AnchorOutcome], None] | None = None,
    ) -> None:
        self.factory = factory
        self.w3 = w3
        self.registry_address = registry_address
        self.settings = settings
        self.from_block = from_block
        self.interval = interval
        self.receipt_timeout = receipt_timeout
        self.on_outcome = on_outcome
        self.last_outcome: AnchorOutcome | None = None
        self.last_repair: RepairReport | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("AnchorWorker already started")
        self._thread = threading.Thread(target=self._run, name="anchor-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_once(self) -> AnchorOutcome:
        """One pass: repair until it has succeeded once, then anchor if due."""
        if self.last_repair is None or self.last_repair.delayed:
            self.last_repair = repair(self.factory, self.w3, self.registry_address,
                                      from_block=self.from_block,
                                      receipt_timeout=self.receipt_timeout)
            if self.last_repair.delayed:
                return AnchorOutcome(
                    Outcome.DELAYED,
                    message_id=f"Rantai tidak dapat dihubungi ({self.last_repair.delayed}).",
                    message_en=f"Chain unreachable ({self.last_repair.delayed}).",
                )
        return anchor_if_due(self.factory, self.w3, self.registry_address, self.settings,
                             from_block=self.from_block, receipt_timeout=self.receipt_timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                outcome = self.run_once()
                self.last_outcome = outcome
                self.last_error = None
            except Exception as exc:  # the loop must outlive any one failure
                logger.exception("anchor job failed")
                self.last_error = f"{type(exc).__name__}: {exc}"
                outcome = AnchorOutcome(
                    Outcome.REJECTED,
                    message_id=f"Pekerjaan anchor gagal: {self.last_error}",
                    message_en=f"Anchor job failed: {self.last_error}",
                )
            if self.on_outcome is not None:
                try:
                    self.on_outcome(outcome)
                except Exception:
                    logger.exception("on_outcome callback failed")
            self._wake.wait(self.interval)
            self._wake.clear()
