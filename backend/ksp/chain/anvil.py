"""Starts and stops a real Anvil from node_modules (or PATH) for local runs and tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path
from types import TracebackType

from ksp.chain.compiler import PROJECT_ROOT

NPM_ANVIL = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")


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


class Anvil:
    """A running Anvil. With `state_file`, chain state survives a stop and a start."""

    def __init__(
        self,
        *,
        port: int,
        chain_id: int = 31337,
        state_file: Path | None = None,
        host: str = "127.0.0.1",
        root: Path = PROJECT_ROOT,
    ) -> None:
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.state_file = state_file
        self.binary = find_anvil(root)
        self.process: subprocess.Popen[str] | None = None
        self.log: list[str] = []

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
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            # --state loads at start and dumps at exit; the interval bounds what a crash loses.
            args += ["--state", str(self.state_file), "--state-interval", "5"]
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
        return self.url

    def _read_output(self, ready: threading.Event) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line.rstrip())
            if "Listening on" in line:
                ready.set()
        ready.set()  # process ended: wake the waiter, which then sees poll() != None

    def stop(self, timeout: float = 15) -> None:
        """SIGINT first, so Anvil dumps its state file; SIGKILL only if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
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
