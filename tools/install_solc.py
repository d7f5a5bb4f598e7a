"""Make solc available to py-solc-x and brownie without downloading it.

Prefers a native `solc` of the right version on PATH; otherwise installs a shim
that runs the npm `solc` package (tools/solc-npm.cjs) under Node. Idempotent:
the shim is rewritten only when it points elsewhere (another clone, say).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import solcx

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = ROOT / "tools" / "solc-npm.cjs"


def npm_solc_version() -> str:
    package = ROOT / "node_modules" / "solc" / "package.json"
    if not package.exists():
        sys.exit("solc npm package not found: run `make setup` (npm ci) first")
    match = re.search(r'"version":\s*"([^"]+)"', package.read_text())
    if not match:
        sys.exit(f"cannot read the solc version from {package}")
    return match.group(1)


def native_solc(version: str) -> Path | None:
    found = shutil.which("solc")
    if not found:
        return None
    out = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    return Path(found) if f"Version: {version}+" in out else None


def main() -> None:
    version = npm_solc_version()
    folder = Path(solcx.get_solcx_install_folder())
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"solc-v{version}"
    native = native_solc(version)
    if native:
        wanted = f'#!/bin/sh\nexec "{native}" "$@"\n'
    else:
        node = shutil.which("node")
        if not node:
            sys.exit("Node.js not found: install Node 20+ (apt-get install nodejs)")
        wanted = f'#!/bin/sh\nexec "{node}" "{WRAPPER}" "$@"\n'
    if target.is_symlink() or (target.exists() and target.read_text() != wanted):
        target.unlink()
    if not target.exists():
        target.write_text(wanted)
        target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    out = subprocess.run([str(target), "--version"], capture_output=True, text=True, env=os.environ)
    if f"Version: {version}" not in out.stdout:
        sys.exit(f"solc shim at {target} does not answer --version: {out.stderr or out.stdout}")
    source = "native" if native else "npm solc-js"
    print(f"solc {version} ready at {target} ({source})")  # noqa: T201


if __name__ == "__main__":
    main()
