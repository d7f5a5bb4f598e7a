"""One compile path for the contracts: py-solc-x, standard JSON, OpenZeppelin from node_modules.

Artifacts (ABI + bytecode) land in `artifacts/<Contract>.json` with the hash of the sources
they came from, so a stale artifact is recompiled and never silently used.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SOLC_VERSION = "0.8.28"
EVM_VERSION = "cancun"  # Polygon PoS (Amoy, mainnet) and Anvil both run Cancun
OPTIMIZER_RUNS = 200
REMAPPINGS = ["@openzeppelin/=node_modules/@openzeppelin/"]


class CompilerMissing(RuntimeError):
    """solc is not installed where py-solc-x looks for it."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    sources_hash: str

    @property
    def abi_hash(self) -> str:
        canonical = json.dumps(self.abi, sort_keys=True, separators=(",", ":")).encode()
        return "0x" + hashlib.sha256(canonical).hexdigest()


def contract_sources(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Source unit name (path relative to the project) -> text, for every .sol file."""
    files = sorted((root / "contracts").rglob("*.sol"))
    return {f.relative_to(root).as_posix(): f.read_text() for f in files}


def sources_hash(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256(f"{SOLC_VERSION}|{EVM_VERSION}|{OPTIMIZER_RUNS}".encode())
    for name, text in contract_sources(root).items():
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def standard_input(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in contract_sources(root).items()},
        "settings": {
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "evmVersion": EVM_VERSION,
            "remappings": REMAPPINGS,
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
            },
        },
    }


def compile_contracts(root: Path = PROJECT_ROOT) -> dict[str, Artifact]:
    """Compiles every contract under contracts/ and writes artifacts/. Returns them by name."""
    import solcx  # imported here: only compiling needs it
    from solcx.exceptions import SolcNotInstalled

    try:
        output = solcx.compile_standard(
            standard_input(root),
            solc_version=SOLC_VERSION,
            base_path=str(root),
            allow_paths=[str(root)],
        )
    except SolcNotInstalled as exc:
        raise CompilerMissing(f"solc {SOLC_VERSION} not found: run `make setup`") from exc
    digest = sources_hash(root)
    out_dir = root / "artifacts"
    out_dir.mkdir(exist_ok=True)
    artifacts: dict[str, Artifact] = {}
    for source, contracts in output["contracts"].items():
        if not source.startswith("contracts/"):
            continue
        for name, data in contracts.items():
            bytecode = data["evm"]["bytecode"]["object"]
            if not bytecode:  # interfaces and abstract contracts
                continue
            artifact = Artifact(
                name=name,
                abi=data["abi"],
                bytecode="0x" + bytecode,
                deployed_bytecode="0x" + data["evm"]["deployedBytecode"]["object"],
                sources_hash=digest,
            )
            artifacts[name] = artifact
            (out_dir / f"{name}.json").write_text(json.dumps(artifact.__dict__, indent=1))
    return artifacts


def load_artifact(name: str, root: Path = PROJECT_ROOT) -> Artifact:
    """The artifact of contract `name`, compiling first if sources changed since the last build."""
    path = root / "artifacts" / f"{name}.json"
    if path.exists():
        data = json.loads(path.read_text())
        if data.get("sources_hash") == sources_hash(root):
            return Artifact(**data)
    artifacts = compile_contracts(root)
    if name not in artifacts:
        raise KeyError(f"no contract named {name} under contracts/")
    return artifacts[name]
