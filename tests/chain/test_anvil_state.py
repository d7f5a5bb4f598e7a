"""The local chain's state file survives a power cut (issue 14, item 4): Anvil's state is
written to a temporary file and renamed, the copy before it is kept, and a start uses the
newest complete copy; only with none does it start a fresh chain, and it says so."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ksp.chain.anvil import Anvil, StateFile, is_usable_state, rpc_call
from tests.conftest import free_port

WATCHED = "0x00000000000000000000000000000000000000aa"


def balance(chain: Anvil) -> int:
    return int(str(rpc_call(chain.url, "eth_getBalance", [WATCHED, "latest"])), 16)


def set_balance(chain: Anvil, wei: int) -> None:
    rpc_call(chain.url, "anvil_setBalance", [WATCHED, hex(wei)])
    rpc_call(chain.url, "evm_mine")


def power_cut(chain: Anvil) -> None:
    """SIGKILL, as a power cut: no last dump, no clean exit."""
    assert chain.process is not None
    chain._stop_dumping.set()  # the timer thread dies with the process in a real cut
    os.killpg(chain.process.pid, signal.SIGKILL)
    chain.process.wait()
    chain.process = None
    chain._dumping = None


@pytest.fixture
def two_dumps(tmp_path):
    """A chain dumped twice (balance 1 then 2), then cut: `.prev` has 1, the latest has 2."""
    state = tmp_path / "anvil-state.json"
    chain = Anvil(port=free_port(), state_file=state, state_interval=3600)
    chain.start()
    set_balance(chain, 1)
    chain.dump_state()
    set_balance(chain, 2)
    chain.dump_state()
    set_balance(chain, 3)  # never dumped: lost in the cut
    power_cut(chain)
    return state


def restart(state: Path) -> Anvil:
    chain = Anvil(port=free_port(), state_file=state, state_interval=3600)
    chain.start()
    return chain


def test_a_restart_starts_from_the_latest_complete_dump(two_dumps):
    chain = restart(two_dumps)
    try:
        assert chain.loaded_from == two_dumps and chain.fresh_start_reason is None
        assert balance(chain) == 2
    finally:
        chain.stop()


@pytest.mark.parametrize("damage", ["empty", "truncated", "missing"])
def test_a_broken_latest_copy_starts_from_the_previous_one(two_dumps, caplog, damage):
    text = two_dumps.read_bytes()
    if damage == "missing":  # a cut between the two renames
        two_dumps.unlink()
    else:
        two_dumps.write_bytes(b"" if damage == "empty" else text[: len(text) // 2])

    with caplog.at_level(logging.WARNING, logger="ksp.chain.anvil"):
        chain = restart(two_dumps)
    try:
        assert chain.loaded_from == two_dumps.with_name("anvil-state.json.prev")
        assert chain.fresh_start_reason is None
        assert balance(chain) == 1
        if damage != "missing":
            assert "previous copy" in caplog.text
            [kept] = two_dumps.parent.glob("anvil-state.json.broken-*")
            assert kept.stat().st_size == (0 if damage == "empty" else len(text) // 2)
        # The next dump writes a good latest copy and keeps the previous one it started from.
        set_balance(chain, 5)
        chain.dump_state()
        assert is_usable_state(two_dumps)
        assert is_usable_state(two_dumps.with_name("anvil-state.json.prev"))
    finally:
        chain.stop()
    again = restart(two_dumps)
    try:
        assert balance(again) == 5  # stop() dumped last; the restart reads it
    finally:
        again.stop()


def test_with_no_usable_copy_it_starts_fresh_and_says_so(two_dumps, caplog):
    two_dumps.write_bytes(b"")
    two_dumps.with_name("anvil-state.json.prev").write_bytes(b"{")

    with caplog.at_level(logging.WARNING, logger="ksp.chain.anvil"):
        chain = restart(two_dumps)
    try:
        assert chain.loaded_from is None
        assert chain.fresh_start_reason is not None
        assert "no usable Anvil state" in chain.fresh_start_reason
        assert "FRESH CHAIN" in caplog.text
        assert balance(chain) == 0
        assert int(str(rpc_call(chain.url, "eth_blockNumber")), 16) == 0
    finally:
        chain.stop()


def test_the_timer_dumps_without_being_asked(tmp_path):
    state = tmp_path / "anvil-state.json"
    chain = Anvil(port=free_port(), state_file=state, state_interval=0.2)
    chain.start()
    try:
        set_balance(chain, 7)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if is_usable_state(state) and json.loads(state.read_text())["best_block_number"]:
                break
            time.sleep(0.1)
        power_cut(chain)
    finally:
        chain.stop()
    chain = restart(state)
    try:
        assert balance(chain) == 7
    finally:
        chain.stop()


WRITER = """
import json, sys
from pathlib import Path
from ksp.chain.anvil import StateFile
state = StateFile(Path(sys.argv[1]))
state.best()
padding = "x" * 4_000_000  # a few MB, so kills land in the middle of writes
n = 0
while True:
    n += 1
    state.write(json.dumps({"accounts": {}, "best_block_number": n, "pad": padding}).encode())
    print(n, flush=True)
"""


def test_sigkill_while_dumping_never_leaves_no_usable_state(tmp_path):
    state = tmp_path / "anvil-state.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rng = random.Random(14)
    for _ in range(15):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(state)], env=env,
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None
        writer.stdout.readline()  # at least one complete write, then kill at a random moment
        time.sleep(rng.uniform(0, 0.15))
        writer.kill()
        writer.wait()
        writer.stdout.close()

        best = StateFile(state).best()
        assert best is not None, "a kill left no usable state"
        assert json.loads(best.read_text())["best_block_number"] >= 1
