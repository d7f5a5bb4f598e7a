#!/usr/bin/env bash
# `make test`: the backend suite (pytest) and the contract suite (brownie), then one line
# with the combined counts. Exits non-zero if either fails or runs nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/@foundry-rs/anvil-linux-amd64/bin:$PATH"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== backend: pytest tests/ (SQLite, PostgreSQL when reachable, Anvil, Chromium)"
.venv/bin/python -m pytest tests 2>&1 | tee "$logs/pytest.log"
py_rc=${PIPESTATUS[0]}

echo "== contracts: brownie test (chain_tests/ on its own Anvil)"
.venv-brownie/bin/brownie test --network ksp-test 2>&1 | tee "$logs/brownie.log"
br_rc=${PIPESTATUS[0]}

count() {  # count WORD FILE: the number before WORD on pytest's closing line
  grep -E "=+ .*(passed|failed|error|skipped).* in [0-9.]+s" "$2" | tail -n 1 \
    | grep -oE "[0-9]+ $1" | grep -oE "[0-9]+" || echo 0
}
passed=$(( $(count passed "$logs/pytest.log") + $(count passed "$logs/brownie.log") ))
failed=$(( $(count failed "$logs/pytest.log") + $(count failed "$logs/brownie.log") ))
errors=$(( $(count error "$logs/pytest.log") + $(count error "$logs/brownie.log") ))
skipped=$(( $(count skipped "$logs/pytest.log") + $(count skipped "$logs/brownie.log") ))
failed=$(( failed + errors ))

echo
echo "backend pytest exit $py_rc; brownie exit $br_rc"
echo "total: $passed passed, $failed failed, $skipped skipped"
if [ "$py_rc" -ne 0 ] || [ "$br_rc" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
