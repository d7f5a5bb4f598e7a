"""The wallet's SHU recomputation (frontend/wallet/shu-calc.js, BigInt) against calc.py on
the same inputs: floor, ceiling and the sen agree for every case, including integers beyond
2^53 that JSON.parse alone would round."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksp.core.settings import PROJECT_ROOT
from ksp.shu import calc

NODE = shutil.which("node")

def _run_js(cases: list[dict[str, int]]) -> list[dict[str, str]]:
    module = (PROJECT_ROOT / "frontend/wallet/shu-calc.js").as_uri()
    source = (f"import {{ parseExact, recompute, matches }} from '{module}';\n"
              "let text = ''; process.stdin.on('data', (c) => { text += c; });\n"
              "process.stdin.on('end', () => {\n"
              "  const out = parseExact(text).map((c) => { const r = recompute(c);\n"
              "    return { floor: String(r.floor), ceil: String(r.ceil), sen: String(r.sen),\n"
              "             ok: matches(c, c.amount),\n"
              "             bad: matches(c, BigInt(c.amount) + 2n) }; });\n"
              "  process.stdout.write(JSON.stringify(out)); });\n")
    done = subprocess.run([NODE or "node", "--input-type=module", "-e", source],
                          input=json.dumps(cases), capture_output=True, text=True, check=True,
                          timeout=60)
    result: list[dict[str, str]] = json.loads(done.stdout)
    return result


amounts = st.integers(0, 10**18)


@pytest.mark.skipif(NODE is None, reason="SKIPPED LOUDLY: node is not installed")
@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(amounts, amounts, amounts, amounts, st.integers(0, 10**12),
                          st.integers(0, 10**12)), min_size=1, max_size=20))
def test_js_recompute_equals_calc_py(rows):
    cases = []
    for sa, va, others_s, others_v, jua, jma in rows:
        tms, vuk = sa + others_s, va + others_v
        pools = calc.Pools(shu=0, split={}, jasa_usaha_bps=0, amounts={}, jasa_usaha=jua,
                           jasa_modal=jma)
        member = calc.MemberInput(1, sa, va)
        exact = calc.exact_share(pools, vuk, tms, member)
        cases.append({"savings_base": sa, "interest_paid": va, "tms": tms, "vuk": vuk,
                      "jasa_usaha": jua, "jasa_modal": jma, "amount": math.floor(exact),
                      "_exact": exact, "_sen": calc.exact_sen(pools, vuk, tms, member)})
    got = _run_js([{k: v for k, v in c.items() if not k.startswith("_")} for c in cases])
    for case, js in zip(cases, got, strict=True):
        exact: Fraction = case["_exact"]
        assert int(js["floor"]) == math.floor(exact) and int(js["ceil"]) == math.ceil(exact)
        assert int(js["sen"]) == case["_sen"]
        assert js["ok"] is True and js["bad"] is False
