"""Schedule generation (ksp.loans.schedule.build_schedule) for 10,000 loans: a fixed mix
of the three methods, tenors from 6 to 240 months, principals Rp 1.000.000 to
Rp 500.000.000 and rates 0% to 36% p.a.

    .venv/bin/python -m bench schedules [--quick]

Wall-clock, never asserted. The baseline, measured in the same run, is the cost of only
creating the same number of Instalment objects (the floor any schedule code pays); the
ratio says how much the exact arithmetic and due dates add to it.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import time
from typing import Any

from ksp.loans.schedule import Instalment, Method, build_schedule

TENORS = (6, 12, 12, 18, 24, 24, 36, 48, 60, 120, 240)
SEED = 20261127


def loan_mix(count: int) -> list[tuple[int, int, int, Method, dt.date]]:
    """The same loans every run: (principal, rate_bps, tenor, method, first due date)."""
    rng = random.Random(SEED)
    methods = tuple(Method)
    return [(rng.randrange(1_000_000, 500_000_001, 50_000), rng.randrange(0, 3601, 25),
             rng.choice(TENORS), methods[n % len(methods)],
             # one loan in 7 first due on 31 January: its due dates clamp to month ends
             dt.date(2026, rng.randint(1, 12), rng.randint(1, 28)) if n % 7 else
             dt.date(2026, 1, 31))
            for n in range(count)]


def run(quick: bool = False) -> dict[str, Any]:
    loans = loan_mix(1_000 if quick else 10_000)
    gc.collect()
    started = time.perf_counter()
    schedules = [build_schedule(*loan) for loan in loans]
    seconds = time.perf_counter() - started

    instalments = sum(len(s) for s in schedules)
    gc.collect()
    started = time.perf_counter()
    day = dt.date(2026, 1, 1)
    floor = [Instalment(k, day, k, k, k) for k in range(instalments)]
    floor_seconds = time.perf_counter() - started
    del floor
    gc.collect()

    by_method: dict[str, float] = {}
    for method in Method:
        picked = [loan for loan in loans if loan[3] is method]
        started = time.perf_counter()
        for loan in picked:
            build_schedule(*loan)
        by_method[f"{method.value}_seconds"] = round(time.perf_counter() - started, 3)

    exact = all(sum(r.pokok for r in s) == loan[0] and s[-1].outstanding_after == 0
                for s, loan in zip(schedules, loans, strict=True))
    return {
        "loans": len(loans),
        "instalments": instalments,
        "seconds": round(seconds, 3),
        "loans_per_s": round(len(loans) / seconds),
        "us_per_instalment": round(seconds / instalments * 1e6, 2),
        "baseline_objects_seconds": round(floor_seconds, 3),
        "vs_baseline_ratio": round(seconds / floor_seconds, 1),
        **by_method,
        "principal_repaid_exactly": exact,
    }
