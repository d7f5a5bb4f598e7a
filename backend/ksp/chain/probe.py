"""The chain's status for `/health`, which must answer within a second whatever the chain
does: a background thread (started on first use) asks the chain every `interval` s with a
short RPC timeout; a caller gets the last answer while it is fresh, else waits briefly for
the next one, else hears "unreachable". The thread ends when nobody has asked for a while."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from ksp.chain.client import make_web3


@dataclass(frozen=True)
class ChainStatus:
    reachable: bool
    chain_id: int | None = None
    block_number: int | None = None
    error: str | None = None
    checked_at: float = 0.0  # time.monotonic() of the answer


class ChainProbe:
    def __init__(self, rpc_url: str, *, rpc_timeout: float = 2.0, interval: float = 1.0,
                 fresh_for: float = 3.0, idle_stop: float = 60.0) -> None:
        self.w3 = make_web3(rpc_url, timeout=rpc_timeout)  # reads only: no key
        self.interval = interval
        self.fresh_for = fresh_for
        self.idle_stop = idle_stop
        self._asked_at = 0.0
        self._answered = threading.Condition()
        self._last: ChainStatus | None = None
        self._thread: threading.Thread | None = None

    def _ask(self) -> ChainStatus:
        try:
            return ChainStatus(True, int(self.w3.eth.chain_id), int(self.w3.eth.block_number),
                               checked_at=time.monotonic())
        except Exception as exc:  # a status to report, not an error to raise
            return ChainStatus(False, error=type(exc).__name__, checked_at=time.monotonic())

    def _loop(self) -> None:
        while True:
            status = self._ask()
            with self._answered:
                self._last = status
                self._answered.notify_all()
                if time.monotonic() - self._asked_at > self.idle_stop:
                    self._thread = None  # the next caller starts a new one
                    return
            time.sleep(self.interval)

    def status(self, wait: float = 0.6) -> ChainStatus:
        """The last answer if fresh; else waits at most `wait` s for the next one. No fresh
        answer then means the chain does not answer in time."""
        deadline = time.monotonic() + wait
        with self._answered:
            self._asked_at = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="chain-probe",
                                                daemon=True)
                self._thread.start()
            while True:
                last = self._last
                now = time.monotonic()
                if last is not None and now - last.checked_at < self.fresh_for:
                    return last
                if now >= deadline:
                    break
                self._answered.wait(deadline - now)
        known = last if last is not None and last.reachable else None
        return ChainStatus(False, chain_id=known.chain_id if known else None,
                           error=f"no answer within {self.fresh_for:.0f} s",
                           checked_at=time.monotonic())


_PROBE_LOCK = threading.Lock()


def probe_of(state: Any) -> ChainProbe:
    """The app's one probe (kept on `app.state`), shared by `/health` and the chain config."""
    with _PROBE_LOCK:
        probe: ChainProbe | None = getattr(state, "chain_probe", None)
        if probe is None:
            probe = ChainProbe(state.settings.effective_rpc_url)
            state.chain_probe = probe
        return probe
