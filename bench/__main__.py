"""`make bench`: runs every benchmark and writes bench/results/latest.json.

Figures, not pass/fail: gas comes from receipts; wall-clock figures are reported next to
a baseline measured in the same run, as ratios, because the machines are shared.
`python -m bench --quick` runs the same code on small sizes (a smoke check).
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import platform
import sys
import traceback
from pathlib import Path

BENCHES = [
    "bench_anchor_gas",
    "bench_contract_gas",
    "bench_deposits",
    "bench_merkle",
    "bench_store_proofs",
    "bench_audit",
    "bench_page_load",
    "bench_payroll",
    "bench_schedules",
    "bench_shu",
    "bench_prudential",
]
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def main() -> int:
    quick = "--quick" in sys.argv
    # A bench by module name or without its prefix: `python -m bench schedules`.
    only = [a if a.startswith("bench_") else f"bench_{a}"
            for a in sys.argv[1:] if not a.startswith("--")]
    results: dict[str, object] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "quick": quick,
    }
    failed = False
    for name in BENCHES:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            results[name] = module.run(quick=quick)
        except Exception:  # a broken bench is reported, the others still run
            failed = True
            results[name] = {"error": traceback.format_exc(limit=3)}
        print(json.dumps(results[name], indent=1), flush=True)
    if not quick:
        if only and RESULTS.exists():  # a partial run updates its own figures, keeps the rest
            results = {**json.loads(RESULTS.read_text()), **results}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
