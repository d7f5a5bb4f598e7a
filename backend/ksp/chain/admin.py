"""What the pengurus does with the admin key: grant or revoke the backend's operator role,
pause and unpause contracts. Plain web3 (brownie's scripts call it too); the Web3 given
must send from the key that holds the role the action needs.

Who may do what (contracts/access/CoopRoles.sol): PAUSER_ROLE pauses, only the admin
(DEFAULT_ADMIN_ROLE, moved in two steps) unpauses; the operator hot key can do neither."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web3 import Web3

from ksp.chain.compiler import PROJECT_ROOT, load_artifact

OPERATOR_ROLE = Web3.keccak(text="OPERATOR_ROLE")
PAUSER_ROLE = Web3.keccak(text="PAUSER_ROLE")
# Every deployed contract has OPERATOR_ROLE, PAUSER_ROLE and pause/unpause.
MANAGED = ("AnchorRegistry", "CoopMembers", "SavingsToken", "LoanAgreements", "RatVoting")


class MissingRole(ValueError):
    """The sending key lacks the role an action needs; nothing was sent."""


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


def _sender(w3: Web3) -> str:
    return Web3.to_checksum_address(str(w3.eth.default_account))


def set_operator(w3: Web3, deployment: dict[str, Any], account: str, *, grant: bool,
                 names: Iterable[str] = MANAGED) -> list[str]:
    """Grants (or revokes) OPERATOR_ROLE on every managed contract; returns what changed."""
    return set_role(w3, deployment, OPERATOR_ROLE, account, grant=grant, names=names)


def set_role(w3: Web3, deployment: dict[str, Any], role: bytes, account: str, *, grant: bool,
             names: Iterable[str] = MANAGED) -> list[str]:
    """Grants (or revokes) `role` on every managed contract; returns what changed."""
    changed = []
    account = Web3.to_checksum_address(account)
    for contract in _contracts(w3, deployment, names):
        has = contract.functions.hasRole(role, account).call()
        if has == grant:
            continue
        fn = contract.functions.grantRole if grant else contract.functions.revokeRole
        _send(w3, fn(role, account))
        changed.append(contract.address)
    return changed


def set_paused(w3: Web3, deployment: dict[str, Any], *, paused: bool,
               names: Iterable[str] = MANAGED) -> list[str]:
    """Pauses (needs PAUSER_ROLE) or unpauses (needs the admin) every named contract.
    Checks the role on all of them first, so a wrong key changes nothing."""
    sender = _sender(w3)
    contracts = _contracts(w3, deployment, names)
    for contract in contracts:
        if paused and not contract.functions.hasRole(PAUSER_ROLE, sender).call():
            raise MissingRole(f"{sender} tidak memegang / lacks PAUSER_ROLE on {contract.address}")
        if not paused and contract.functions.defaultAdmin().call() != sender:
            raise MissingRole(f"{sender} bukan admin / is not the admin of {contract.address}; "
                              "only the admin unpauses")
    changed = []
    for contract in contracts:
        if contract.functions.paused().call() == paused:
            continue
        _send(w3, contract.functions.pause() if paused else contract.functions.unpause())
        changed.append(contract.address)
    return changed
