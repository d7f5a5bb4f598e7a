"""The chain's status for `/health`, which must answer within a second whatever the
chain does: probes run in a background thread with a short RPC timeout, and a caller
waits for a fresh answer only briefly, else gets "unreachable"."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ksp.chain.client import make_web3


@dataclass(frozen=True)
class ChainStatus:
    reachable: bool
    chain_id: int | None = None
    block_number: int | None = None
    error: str | None = None
    checked_at: float = 0.0  # time.monotonic() of the answer


class ChainProbe:
    def __init__(self, rpc_url: str, *, rpc_timeout: float = 2.0, fresh_for: float = 2.0
                 ) -> None:
        self.w3 = make_web3(rpc_url, timeout=rpc_timeout)  # reads only: no key
        self.fresh_for = fresh_for
        self._lock = threading.Lock()
        self._last: ChainStatus | None = None
        self._probe: threading.Thread | None = None
        self._probe_started = 0.0

    def _run(self) -> None:
        try:
            status = ChainStatus(True, int(self.w3.eth.chain_id), int(self.w3.eth.block_number),
                                 checked_at=time.monotonic())
        except Exception as exc:  # a status to report, not an error to raise
            status = ChainStatus(False, error=type(exc).__name__, checked_at=time.monotonic())
        with self._lock:
            self._last = status

    def status(self, wait: float = 0.5) -> ChainStatus:
        """The last answer if fresh; else starts a probe (one at a time) and waits at most
        `wait` s for it. A probe still running then means the chain does not answer."""
        now = time.monotonic()
        with self._lock:
            last = self._last
            if last is not None and now - last.checked_at < self.fresh_for:
                return last
            if self._probe is None or not self._probe.is_alive():
                self._probe = threading.Thread(target=self._run, name="chain-probe",
                                               daemon=True)
                self._probe_started = now
                self._probe.start()
            probe, started = self._probe, self._probe_started
        probe.join(wait)
        with self._lock:
            last = self._last
        if last is not None and last.checked_at >= started:
            return last
        return ChainStatus(False, error=f"no answer within {time.monotonic() - started:.1f} s",
                           checked_at=time.monotonic())
