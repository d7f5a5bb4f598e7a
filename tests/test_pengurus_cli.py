"""The pengurus at the terminal: seed, list members, take a deposit, read the reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KSP = str(Path(sys.executable).parent / "ksp")


def ksp(env: dict[str, str], *args: str, ok: bool = True) -> str:
    result = subprocess.run([KSP, *args], env=env, capture_output=True, text=True, timeout=300)
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result.stdout


def test_pengurus_runs_the_books_from_the_cli(tmp_path):
    env = {**os.environ, "KSP_VAR_DIR": str(tmp_path / "var"), "KSP_RPC_URL": "http://127.0.0.1:9",
           "COLUMNS": "200"}

    seeded = ksp(env, "demo", "seed", "--members-count", "3")
    assert "ketua" in seeded and "kata sandi" in seeded
    assert "sudah ada" in ksp(env, "demo", "seed", "--members-count", "3")  # not twice

    listing = ksp(env, "member", "list")
    assert "Rp 100.000" in listing  # everyone's simpanan pokok

    moved = ksp(env, "savings", "deposit", "1", "sukarela", "125000", "--tanggal", "2026-01-02")
    assert "Rp 125.000" in moved
    statement = ksp(env, "savings", "statement", "1")
    assert "Rp 125.000" in statement

    refused = ksp(env, "savings", "withdraw", "1", "999999999", ok=False)
    assert "tidak cukup" in refused and "Insufficient" in refused

    neraca = ksp(env, "report", "neraca")
    assert "Seimbang / balanced" in neraca
    trial = ksp(env, "report", "trial-balance")
    assert "Kas" in trial and "Jumlah" in trial
    assert "SHU" in ksp(env, "report", "phu")
