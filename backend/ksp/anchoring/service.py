"""The anchor job as the system runs it: `AnchorWorker`, a background thread around one
`AnchorJob` (ksp.anchoring.job), and how the app finds the registry.

In the app::

    found = deployed_registry(settings)
    if found:
        worker = AnchorWorker(factory, runtime.connect(), found[0], settings,
                              from_block=found[1])
        worker.start()  # and worker.stop() at shutdown
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from ksp.anchoring.job import AnchorJob
from ksp.anchoring.outcomes import AnchorOutcome, Outcome, RepairReport, Status
from ksp.core.settings import Settings

__all__ = ["AnchorJob", "AnchorOutcome", "AnchorWorker", "Outcome", "RepairReport", "Status",
           "deployed_registry"]

logger = logging.getLogger("ksp.anchoring")


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
    """Runs `repair` once, then each pass `recheck` and `anchor_if_due`, every `interval`
    seconds, in a thread.

    `wake()` runs the job at once (e.g. after a burst of entries); `stop()` ends the loop
    without waiting out the interval. Every failure is logged and kept in `last_error`;
    none escapes the thread.
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
        self.job = AnchorJob(factory, w3, registry_address, settings, from_block=from_block,
                             receipt_timeout=receipt_timeout)
        self.interval = interval
        self.on_outcome = on_outcome
        self.last_outcome: AnchorOutcome | None = None
        self.last_repair: RepairReport | None = None  # the full repair at start
        self.last_recheck: RepairReport | None = None  # the re-check of the latest pass
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
    def registry_address(self) -> str:
        return self.job.address

    @property
    def from_block(self) -> int:
        return self.job.from_block

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_once(self) -> AnchorOutcome:
        """One pass: repair until it has succeeded once (afterwards the cheaper re-check
        of recent anchors), then anchor if due."""
        if self.last_repair is None or self.last_repair.delayed:
            self.last_repair = report = self.job.repair()
        else:
            self.last_recheck = report = self.job.recheck()
        if report.delayed:
            return AnchorOutcome(
                Outcome.DELAYED,
                message_id=f"Rantai tidak dapat dihubungi ({report.delayed}).",
                message_en=f"Chain unreachable ({report.delayed}).",
            )
        return self.job.anchor_if_due()

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
