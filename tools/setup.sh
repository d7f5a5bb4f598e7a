#!/usr/bin/env bash
# Installs everything the project needs, from PyPI, npm and apt only. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"' \
  || { echo "Python 3.11+ is required (found: $("$PYTHON" --version 2>&1))"; exit 1; }
command -v node >/dev/null || { echo "Node.js 20+ is required: apt-get install nodejs npm"; exit 1; }
node -e 'process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)' \
  || { echo "Node.js 20+ is required (found $(node --version))"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
say "pip install -e .[dev]"
# (this machine's pip config names local mirrors that may be absent: drop that noise)
quiet_pip() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet_pip .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"

# Brownie pins its whole dependency tree, so it gets a virtualenv of its own.
BROWNIE_REQ=$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["optional-dependencies"]["brownie"][0])')
if [ ! -x .venv-brownie/bin/brownie ]; then
  say "creating .venv-brownie ($BROWNIE_REQ)"
  "$PYTHON" -m venv .venv-brownie
fi
quiet_pip .venv-brownie/bin/python -m pip install --quiet --disable-pip-version-check \
  "$BROWNIE_REQ"

# brownie's `ksp-test` network: an Anvil on 8546, away from `make run`'s chain on 8545.
if ! .venv-brownie/bin/brownie networks list 2>/dev/null | grep -q "ksp-test"; then
  say "adding brownie network ksp-test"
  .venv-brownie/bin/brownie networks add Development ksp-test cmd=anvil host=http://127.0.0.1 \
    port=8546 accounts=10 base_fee=0 gas_limit=30000000 chain_id=31337 >/dev/null
fi
# brownie's `amoy` network: Polygon Amoy (80002) at whatever KSP_RPC_URL says when it runs.
if ! .venv-brownie/bin/brownie networks list 2>/dev/null | grep -q "amoy"; then
  say "adding brownie network amoy"
  .venv-brownie/bin/brownie networks add Polygon amoy host='$KSP_RPC_URL' chainid=80002 \
    >/dev/null
fi

say "npm ci"
npm ci --no-audit --no-fund --loglevel=error

say "solc from npm"
.venv/bin/python tools/install_solc.py

if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    say "installing Debian chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "chromium missing: run 'sudo apt-get install chromium' for the browser tests (they skip without it)"
  fi
fi
# WeasyPrint (PDF reports) needs Pango/HarfBuzz from apt, and a local font.
PDF_LIBS="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
if ! dpkg -s $PDF_LIBS >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    say "installing WeasyPrint's system libraries for the PDF reports"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PDF_LIBS >/dev/null
  else
    say "PDF libraries missing: run 'sudo apt-get install $PDF_LIBS' for the PDF reports"
  fi
fi
say "ready"
