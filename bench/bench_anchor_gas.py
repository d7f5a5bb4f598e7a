"""Gas of AnchorRegistry.anchor, from receipts, after the first anchor."""

from __future__ import annotations

import statistics

from bench.chain import deployed_chain
from ksp.chain.compiler import load_artifact


def run(quick: bool = False) -> dict[str, object]:
    anchors = 5 if quick else 50
    with deployed_chain() as (w3, record):
        info = record["contracts"]["AnchorRegistry"]  # type: ignore[index]
        registry = w3.eth.contract(address=info["address"], abi=load_artifact("AnchorRegistry").abi)
        gas = []
        for i in range(anchors + 1):
            # Log sizes grow (each step under ANCHOR_MAX_STEP); the cost must not.
            size = (i + 1) * 999_983
            root = w3.keccak(text=f"root {i}")
            tx = registry.functions.anchor(size, root).transact()
            gas.append(w3.eth.wait_for_transaction_receipt(tx)["gasUsed"])
    later = gas[1:]
    return {
        "anchor_first_gas": gas[0],
        "anchor_gas_median": int(statistics.median(later)),
        "anchor_gas_max": max(later),
        "anchors_measured": len(later),
        "goal_gas": 35_000,
        "deploy_gas": info["gas_used"],
    }
