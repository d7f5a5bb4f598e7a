"""The processes of KSP, assembled here and nowhere else.

- `ksp serve --workers N`: only the API and pages (uvicorn, N processes). Any number of
  these can run; none of them sends a chain transaction.
- `ksp worker`: the chain side as its own process: the outbox worker (mirror of the
  ledger on chain) and the anchor job. Run exactly one per database and operator key.
  It also sends queued notifications to members (safe to run more than once: rows are
  claimed).
- `ksp run`: everything on one machine: a local Anvil (unless KSP_RPC_URL), contracts
  deployed if needed, the demo cooperative on first start, the API, and both workers (and
  the notification sender) as threads of the same process.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from ksp.chain.deploy import read_deployment
from ksp.chain.rebuild import ChainGuard, ChainWatch, ResetFound
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxThread, OutboxWorker
from ksp.core.crypto import PiiCipher
from ksp.core.settings import Settings
from ksp.notifications.adapters import adapter_from_settings
from ksp.notifications.dispatch import NotificationThread

log = logging.getLogger("ksp.system")
Say = Callable[[str], None]


class NotDeployed(RuntimeError):
    pass


@dataclass
class ChainWorkers:
    """The outbox worker and the anchor job, as background threads of one process. Both
    wait out chain outages; neither ever blocks the ledger."""

    outbox: OutboxThread
    anchor: Any | None  # ksp.anchoring.service.AnchorWorker

    def start(self) -> None:
        self.outbox.start()
        if self.anchor is not None:
            self.anchor.start()

    def stop(self) -> None:
        self.outbox.stop()
        if self.anchor is not None:
            self.anchor.stop()


def chain_workers(settings: Settings, factory: sessionmaker[Session], w3: Web3,
                  deployment: dict[str, Any]) -> ChainWorkers:
    from ksp.anchoring.service import AnchorWorker, deployed_registry

    if not deployment.get("contracts"):
        raise NotDeployed(
            f"no contracts recorded for chain {settings.chain_id} in "
            f"{settings.deployments_dir}: run `ksp deploy` first")
    outbox = OutboxThread(OutboxWorker(factory, w3, deployment, settings.operator_private_key(),
                                       confirmation_depth=settings.confirmation_depth,
                                       batch_gas=settings.outbox_batch_gas))
    found = deployed_registry(settings)
    anchor = None
    if found:
        anchor = AnchorWorker(factory, w3, found[0], settings, from_block=found[1])
    return ChainWorkers(outbox, anchor)


def notification_sender(settings: Settings, factory: sessionmaker[Session], cipher: PiiCipher
                        ) -> NotificationThread:
    """The notification dispatcher as a thread. It does not depend on the chain, so a
    chain rebuild leaves it running."""
    return NotificationThread(factory, adapter_from_settings(settings), cipher, settings)


@dataclass
class RunningWorkers:
    """The chain workers now running; replaced as a whole when the chain is rebuilt."""

    workers: ChainWorkers

    def rebuild_with(self, settings: Settings, factory: sessionmaker[Session],
                     runtime: ChainRuntime, guard: ChainGuard, say: Say
                     ) -> Callable[[ResetFound], None]:
        def on_reset(_found: ResetFound) -> None:
            self.workers.stop()
            try:
                guard.ensure(lambda: runtime.deploy(log=say), say, only_to_rebuild=True)
            finally:
                self.workers = chain_workers(settings, factory, runtime.connect(),
                                             read_deployment(settings.deployments_dir,
                                                             settings.chain_id))
                self.workers.start()
        return on_reset


def _wait_for_stop_signal() -> None:
    """Blocks until SIGTERM or SIGINT (Ctrl-C)."""
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM,
                                                                      signal.SIGINT)}
    try:
        while not stop.wait(1):
            pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_worker(settings: Settings, say: Say) -> None:
    """`ksp worker`: the outbox and the anchor job until SIGTERM or Ctrl-C. Reads the
    deployment from its file, so it starts even while the chain is down."""
    from ksp.bootstrap import open_database

    engine, factory = open_database(settings)
    runtime = ChainRuntime(settings)
    guard = ChainGuard(settings, factory, runtime.connect())
    try:
        guard.ensure(runtime.deploy, say, only_to_rebuild=True)
    except Exception as exc:  # chain down at start: the watch below checks again later
        log.warning("chain check at start skipped: %s", exc)
    deployment = read_deployment(settings.deployments_dir, settings.chain_id)
    running = RunningWorkers(chain_workers(settings, factory, runtime.connect(), deployment))
    running.workers.start()
    sender = notification_sender(settings, factory, PiiCipher(settings.pii_key_bytes()))
    sender.start()
    watch = ChainWatch(guard, running.rebuild_with(settings, factory, runtime, guard, say))
    watch.start()
    say(f"KSP worker berjalan / running: outbox{' + anchor' if running.workers.anchor else ''}"
        f" → {settings.effective_rpc_url}")
    try:
        _wait_for_stop_signal()
    finally:
        watch.stop()
        running.workers.stop()
        sender.stop()
        engine.dispose()
        say("KSP worker berhenti / stopped.")


def serve_api(settings: Settings, workers: int) -> None:
    """`ksp serve`: only the API (uvicorn, `workers` processes), no chain worker."""
    import uvicorn

    from ksp.bootstrap import open_database

    engine, _factory = open_database(settings)  # migrate once, before workers start
    engine.dispose()
    uvicorn.run("ksp.api.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=workers, log_level="warning")


def _seed_demo_once(factory: sessionmaker[Session], cipher: Any, var_dir: Path, say: Say
                    ) -> None:
    """First start: a demo cooperative, and staff passwords written to var/ (not the repo)."""
    from ksp.demo import seed

    passwords = seed(factory, cipher)
    if passwords:
        lines = [f"{user}: {password}" for user, password in passwords.items()]
        credentials = var_dir / "demo-credentials.txt"
        credentials.write_text("\n".join(lines) + "\n")
        credentials.chmod(0o600)
        say(f"Koperasi contoh dibuat; kata sandi staf di / passwords in {credentials}")


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def run_all(settings: Settings, say: Say) -> None:
    """`ksp run`: chain (local Anvil unless KSP_RPC_URL), contracts, demo data, API and
    pages, and the chain workers, in one process."""
    import uvicorn

    from ksp.api.app import create_app

    # uvicorn re-raises SIGTERM after its shutdown; make that an exit we can clean up after.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    runtime = ChainRuntime(settings)
    runtime.start_local_chain()
    try:
        web = create_app(settings, runtime)
        factory = web.state.sessionmaker
        # Before any worker: a chain that lost our contracts is rebuilt from the ledger.
        guard = ChainGuard(settings, factory, runtime.connect())
        guard.ensure(lambda: runtime.deploy(log=say), say)
        _seed_demo_once(factory, web.state.cipher, settings.var_dir, say)
        running = RunningWorkers(chain_workers(settings, factory, runtime.connect(),
                                               runtime.deployment))
        running.workers.start()
        sender = notification_sender(settings, factory, web.state.cipher)
        sender.start()
        watch = ChainWatch(guard, running.rebuild_with(settings, factory, runtime, guard, say))
        watch.start()
        say(f"KSP berjalan di / running at http://{settings.host}:{settings.port}")
        try:
            uvicorn.run(web, host=settings.host, port=settings.port, log_level="info")
        finally:
            watch.stop()
            running.workers.stop()
            sender.stop()
    finally:
        runtime.stop()
