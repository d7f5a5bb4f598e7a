"""Starts and stops a real Anvil from node_modules (or PATH) for local runs and tests.

The local chain's state survives a power cut: instead of Anvil's own `--state` dump, which
rewrites the file in place (a kill in mid-write leaves a file Anvil cannot read), this
process asks Anvil for its state (`anvil_dumpState`) on a timer and writes it with
`StateFile`: to a temporary file, flushed to disk, then renamed, keeping the copy before it.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from ksp.chain.compiler import PROJECT_ROOT

NPM_ANVIL = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
STATE_INTERVAL_SECONDS = 5.0
log = logging.getLogger(__name__)


class AnvilNotFound(RuntimeError):
    def __init__(self) -> None:
        super().__init__("Anvil not found: run `make setup` (it installs Anvil from npm)")


class AnvilFailedToStart(RuntimeError):
    pass


def find_anvil(root: Path = PROJECT_ROOT) -> Path:
    local = root / NPM_ANVIL
    if local.exists():
        return local
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise AnvilNotFound()


def rpc_call(
    url: str, method: str, params: list[object] | None = None, timeout: float = 5
) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def _fsync_directory(directory: Path) -> None:
    """Makes a rename in `directory` durable (the new name survives a power cut)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_usable_state(path: Path) -> bool:
    """`path` holds a complete Anvil state: JSON with accounts and a block number."""
    try:
        with path.open("rb") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "accounts" in data and "best_block_number" in data


class StateFile:
    """Anvil's state on disk as two complete copies: `path` (the latest) and `path.prev` (the
    one before). A dump is written to `path.tmp` and flushed, the latest becomes `.prev`,
    then the dump is renamed to `path`. Renames are atomic, so whenever the power goes,
    `path` or `.prev` is a complete state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.previous = path.with_name(path.name + ".prev")
        self.temporary = path.with_name(path.name + ".tmp")
        # Whether `path` is known complete; a broken one is never rotated over a good `.prev`.
        self._latest_good = False

    def best(self) -> Path | None:
        """The newest complete copy, or None when there is none."""
        for candidate in (self.path, self.previous):
            if is_usable_state(candidate):
                self._latest_good = candidate == self.path
                return candidate
        return None

    def set_aside_broken(self) -> Path | None:
        """Keeps a present but unreadable latest copy for inspection; returns its new name."""
        if not self.path.exists() or is_usable_state(self.path):
            return None
        broken = self.path.with_name(f"{self.path.name}.broken-{int(time.time())}")
        os.replace(self.path, broken)
        return broken

    def write(self, state_json: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.temporary.open("wb") as f:
            f.write(state_json)
            f.flush()
            os.fsync(f.fileno())
        if self._latest_good:
            os.replace(self.path, self.previous)
        os.replace(self.temporary, self.path)
        _fsync_directory(self.path.parent)
        self._latest_good = True


class Anvil:
    """A running Anvil. With `state_file`, chain state survives a stop, a start and a power cut:
    it starts from the newest complete copy (see `StateFile`), and only when there is none
    from a fresh chain, which it logs as a warning and records in `fresh_start_reason`."""

    def __init__(
        self,
        *,
        port: int,
        chain_id: int = 31337,
        state_file: Path | None = None,
        host: str = "127.0.0.1",
        root: Path = PROJECT_ROOT,
        state_interval: float = STATE_INTERVAL_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.state_file = state_file
        self.state = StateFile(state_file) if state_file is not None else None
        self.state_interval = state_interval
        self.binary = find_anvil(root)
        self.process: subprocess.Popen[str] | None = None
        self.log: list[str] = []
        self.loaded_from: Path | None = None  # the state copy this start loaded
        # Why this start is a fresh chain although a state file was asked for (None: it is not).
        self.fresh_start_reason: str | None = None
        self._dumping: threading.Thread | None = None
        self._stop_dumping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30) -> str:
        args = [
            str(self.binary),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
        ]
        if self.state is not None:
            args += self._load_state_args(self.state)
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop Anvil in order
        )
        ready = threading.Event()
        threading.Thread(target=self._read_output, args=(ready,), daemon=True).start()
        if not ready.wait(timeout) or self.process.poll() is not None:
            self.stop()
            raise AnvilFailedToStart(
                f"Anvil did not start on {self.url}:\n" + "\n".join(self.log[-20:])
            )
        answered = int(str(rpc_call(self.url, "eth_chainId")), 16)
        if answered != self.chain_id:
            self.stop()
            raise AnvilFailedToStart(f"Anvil answered chain id {answered}, wanted {self.chain_id}")
        if self.state is not None:
            self._stop_dumping.clear()
            self._dumping = threading.Thread(target=self._dump_loop, name="anvil-state",
                                             daemon=True)
            self._dumping.start()
        return self.url

    def _load_state_args(self, state: StateFile) -> list[str]:
        self.loaded_from = state.best()
        self.fresh_start_reason = None
        if self.loaded_from is not None:
            if self.loaded_from != state.path:
                broken = state.set_aside_broken()
                what = f"unusable (kept as {broken})" if broken else "missing"
                log.warning("Anvil state %s %s; starting from the previous copy %s",
                            state.path, what, self.loaded_from)
            return ["--load-state", str(self.loaded_from)]
        broken = state.set_aside_broken()
        if broken is not None or state.previous.exists():
            self.fresh_start_reason = (
                f"no usable Anvil state in {state.path} or {state.previous}"
                + (f" (unreadable copy kept as {broken})" if broken else "")
            )
        else:
            self.fresh_start_reason = f"no Anvil state yet at {state.path}"
        log.warning("RANTAI BARU / FRESH CHAIN: %s; starting a new local chain",
                    self.fresh_start_reason)
        return []

    def dump_state(self) -> None:
        """Writes Anvil's current state to the state file now (atomically, see `StateFile`)."""
        if self.state is None:
            return
        hex_state = str(rpc_call(self.url, "anvil_dumpState", timeout=60))
        # The dump is gzip'd JSON; `--load-state` reads the JSON. gzip's CRC checks it whole.
        self.state.write(gzip.decompress(bytes.fromhex(hex_state.removeprefix("0x"))))

    def _dump_loop(self) -> None:
        while not self._stop_dumping.wait(self.state_interval):
            try:
                self.dump_state()
            except Exception as exc:  # noqa: BLE001 - a failed dump waits for the next tick
                log.warning("Anvil state dump failed: %s", exc)

    def _read_output(self, ready: threading.Event) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line.rstrip())
            if "Listening on" in line:
                ready.set()
        ready.set()  # process ended: wake the waiter, which then sees poll() != None

    def stop(self, timeout: float = 15) -> None:
        """A last state dump, then SIGINT; SIGKILL only if Anvil hangs."""
        dumping, self._dumping = self._dumping, None
        if dumping is not None:
            self._stop_dumping.set()
            dumping.join()
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # Only a chain that started fully is dumped: never a wrong one over the good copies.
        if dumping is not None:
            try:
                self.dump_state()
            except Exception as exc:  # noqa: BLE001 - the last timed dump stays on disk
                log.warning("Anvil state dump at stop failed: %s", exc)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> Anvil:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
