"""The auditor's verifier stands alone: no database code comes with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"

_PROBE = """
import json, sys
import ksp.anchoring.verify as verify
result = verify.verify(sys.argv[1], "http://127.0.0.1:9", "0x" + "11" * 20)
print(json.dumps({
    "exit": result.exit_code,
    "code": result.error_code,
    "loaded": sorted(m for m in sys.modules
                     if m.split(".")[0] in ("sqlalchemy", "alembic", "psycopg")
                     or m in ("ksp.core.db", "ksp.core.settings", "ksp.ledger.models")),
}))
"""


def test_the_verifier_imports_and_runs_without_any_database_module(tmp_path):
    export = tmp_path / "log.jsonl"
    export.write_text('{"seq":1}\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(BACKEND)}

    done = subprocess.run([sys.executable, "-c", _PROBE, str(export)], capture_output=True,
                          text=True, timeout=120, env=env)

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["loaded"] == []  # neither imported nor pulled in while running
    assert (seen["exit"], seen["code"]) == (2, "rpc_unreachable")
