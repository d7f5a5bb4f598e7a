"""Idempotent deployment of the contracts into `deployments/<chainId>.json`.

Used by `ksp deploy` (signing with the operator's local key) and by
`brownie run scripts/deploy.py` (an unlocked Anvil account): both hand in a Web3 whose
default account can send transactions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from ksp.chain.compiler import PROJECT_ROOT, Artifact, load_artifact

# A new admin takes over only this long after the transfer starts (two-step, in seconds):
# time for the pengurus to notice and cancel a transfer they did not start.
ADMIN_DELAY_SECONDS = 3 * 24 * 3600
# The most entries one anchor may add; far above a day of a cooperative's postings, far
# below the 2^64 that would end anchoring. The admin can change it on chain.
ANCHOR_MAX_STEP = 1_000_000


@dataclass(frozen=True)
class Roles:
    admin: str  # DEFAULT_ADMIN_ROLE: the pengurus key or multisig; unpauses
    operator: str  # OPERATOR_ROLE: the backend's hot key; cannot pause or unpause
    pauser: str | None = None  # PAUSER_ROLE: pauses only; the admin if not given
    admin_delay: int = ADMIN_DELAY_SECONDS

    def base_args(self) -> list[Any]:
        """The constructor arguments every contract starts with (contracts/access/CoopRoles)."""
        return [self.admin, self.operator, self.pauser or self.admin, self.admin_delay]


# Contract name -> constructor arguments, given the roles and what is deployed so far.
ConstructorArgs = Callable[[Roles, dict[str, str]], Sequence[Any]]

CONTRACTS: dict[str, ConstructorArgs] = {
    "AnchorRegistry": lambda roles, _deployed: [*roles.base_args(), ANCHOR_MAX_STEP],
    "CoopMembers": lambda roles, _deployed: roles.base_args(),
    "SavingsToken": lambda roles, _deployed: roles.base_args(),
    "LoanAgreements": lambda roles, _deployed: roles.base_args(),
    # After CoopMembers: RatVoting reads the roll at each meeting's record block.
    "RatVoting": lambda roles, deployed: [*roles.base_args(), deployed["CoopMembers"]],
}


def deployment_path(deployments_dir: Path, chain_id: int) -> Path:
    return deployments_dir / f"{chain_id}.json"


def read_deployment(deployments_dir: Path, chain_id: int) -> dict[str, Any]:
    path = deployment_path(deployments_dir, chain_id)
    if not path.exists():
        return {"chain_id": chain_id, "contracts": {}}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def bytecode_hash(artifact: Artifact) -> str:
    return "0x" + Web3.keccak(hexstr=artifact.bytecode).hex().removeprefix("0x")


def _is_live(w3: Web3, record: dict[str, Any], artifact: Artifact, args: list[str]) -> bool:
    """The recorded contract is on this chain, built from today's code, with today's
    constructor arguments (so a redeployed dependency or a new admin redeploys it too)."""
    if record.get("bytecode_hash") != bytecode_hash(artifact) or record.get("args") != args:
        return False
    code = w3.eth.get_code(Web3.to_checksum_address(record["address"]))
    return len(code) > 0


def deploy_all(
    w3: Web3,
    roles: Roles,
    deployments_dir: Path = PROJECT_ROOT / "deployments",
    root: Path = PROJECT_ROOT,
    names: Sequence[str] | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """Deploys what this chain lacks; returns the deployment record (also written to disk)."""
    chain_id = w3.eth.chain_id
    record = read_deployment(deployments_dir, chain_id)
    contracts: dict[str, Any] = record["contracts"]
    deployed = {name: c["address"] for name, c in contracts.items()}
    changed = False
    for name in names or list(CONTRACTS):
        artifact = load_artifact(name, root)
        args = list(CONTRACTS[name](roles, deployed))
        recorded_args = [str(a) for a in args]
        existing = contracts.get(name)
        if existing and _is_live(w3, existing, artifact, recorded_args):
            log(f"{name} already at {existing['address']}")
            continue
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx_hash = factory.constructor(*args).transact()
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise RuntimeError(f"deploying {name} failed in tx {tx_hash.hex()}")
        address = receipt["contractAddress"]
        contracts[name] = {
            "address": address,
            "block": receipt["blockNumber"],
            "tx": "0x" + bytes(tx_hash).hex(),
            "abi_hash": artifact.abi_hash,
            "bytecode_hash": bytecode_hash(artifact),
            "args": recorded_args,
            "gas_used": receipt["gasUsed"],
        }
        deployed[name] = address
        changed = True
        log(f"{name} deployed at {address} (block {receipt['blockNumber']})")
    if changed:
        deployments_dir.mkdir(parents=True, exist_ok=True)
        deployment_path(deployments_dir, chain_id).write_text(json.dumps(record, indent=2) + "\n")
    return record
