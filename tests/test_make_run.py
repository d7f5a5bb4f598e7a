"""`make run` as a newcomer sees it: `ksp run` prints the URL, /health shows chain 31337
and the AnchorRegistry; stopped and started again, the chain state and the address are
the same and nothing is redeployed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

KSP = str(Path(sys.executable).parent / "ksp")


def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen([KSP, "run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:  # blocks until the app says where it is
        lines.append(line)
        if "running at http://" in line:
            return process, lines
    pytest.fail("ksp run ended before serving:\n" + "".join(lines))


def health(url: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(f"{url}/health", timeout=5).json()
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # uvicorn binds just after printing; poll until it answers


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    return out


def test_run_serves_and_a_restart_keeps_chain_and_contracts(tmp_path):
    port = free_port()
    env = {**os.environ, "KSP_VAR_DIR": str(tmp_path / "var"),
           "KSP_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
           "KSP_PORT": str(port), "KSP_ANVIL_PORT": str(free_port())}
    env.pop("KSP_RPC_URL", None)
    url = f"http://127.0.0.1:{port}"

    first, lines = start(env)
    try:
        assert any(url in line for line in lines)
        body = health(url)
    finally:
        first_out = "".join(lines) + stop(first)
    assert body["chain_id"] == 31337
    registry = body["contracts"]["AnchorRegistry"]
    assert "AnchorRegistry deployed at" in first_out
    assert (tmp_path / "var" / "anvil-state.json").exists()

    second, lines = start(env)
    try:
        again = health(url)
    finally:
        second_out = "".join(lines) + stop(second)
    assert again["contracts"]["AnchorRegistry"] == registry
    assert again["block_number"] >= body["block_number"]
    assert "deployed at" not in second_out
    assert f"AnchorRegistry already at {registry}" in second_out
