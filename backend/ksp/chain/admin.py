"""What the pengurus does with the admin key: grant or revoke the backend's operator role,
pause and unpause contracts. Plain web3 (brownie's scripts call it too); the Web3 given
must send from the DEFAULT_ADMIN_ROLE holder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web3 import Web3

from ksp.chain.compiler import PROJECT_ROOT, load_artifact

OPERATOR_ROLE = Web3.keccak(text="OPERATOR_ROLE")
# Every deployed contract has OPERATOR_ROLE and pause/unpause.
MANAGED = ("AnchorRegistry", "CoopMembers", "SavingsToken", "LoanAgreements", "RatVoting")


def _contracts(w3: Web3, deployment: dict[str, Any], names: Iterable[str]) -> list[Any]:
    found = []
    for name in names:
        info = deployment["contracts"].get(name)
        if info is None:
            raise KeyError(f"{name} is not deployed on chain {deployment['chain_id']}")
        found.append(w3.eth.contract(address=Web3.to_checksum_address(info["address"]),
                                     abi=load_artifact(name, PROJECT_ROOT).abi))
    return found


def _send(w3: Web3, call: Any) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact())
    if receipt["status"] != 1:
        raise RuntimeError("transaction reverted")
    return int(receipt["blockNumber"])


def set_operator(w3: Web3, deployment: dict[str, Any], account: str, *, grant: bool,
                 names: Iterable[str] = MANAGED) -> list[str]:
    """Grants (or revokes) OPERATOR_ROLE on every managed contract; returns what changed."""
    changed = []
    account = Web3.to_checksum_address(account)
    for contract in _contracts(w3, deployment, names):
        has = contract.functions.hasRole(OPERATOR_ROLE, account).call()
        if has == grant:
            continue
        fn = contract.functions.grantRole if grant else contract.functions.revokeRole
        _send(w3, fn(OPERATOR_ROLE, account))
        changed.append(contract.address)
    return changed


def set_paused(w3: Web3, deployment: dict[str, Any], *, paused: bool,
               names: Iterable[str] = MANAGED) -> list[str]:
    changed = []
    for contract in _contracts(w3, deployment, names):
        if contract.functions.paused().call() == paused:
            continue
        _send(w3, contract.functions.pause() if paused else contract.functions.unpause())
        changed.append(contract.address)
    return changed
