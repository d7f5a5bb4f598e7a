"""Signing and sending with the operator key, in two steps so the caller can record the
transaction hash *before* the transaction leaves: a crash in between is then repairable."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

_SEND_LOCKS: dict[str, threading.Lock] = {}
_SEND_LOCKS_GUARD = threading.Lock()


def sending_lock(address: str) -> threading.Lock:
    """One lock per sending account in this process, held from taking a nonce until the
    node has the transaction: the outbox worker and the anchor job share the operator key,
    and without it both can take the same nonce ("nonce too low")."""
    with _SEND_LOCKS_GUARD:
        return _SEND_LOCKS.setdefault(address.lower(), threading.Lock())


@dataclass(frozen=True)
class SignedTx:
    tx_hash: str
    raw: bytes
    nonce: int


class TxSender:
    def __init__(self, w3: Web3, private_key: str) -> None:
        self.w3 = w3
        self.account: LocalAccount = Account.from_key(private_key)

    @property
    def address(self) -> str:
        address: str = self.account.address
        return address

    def sign(self, call: Any, gas_margin_pct: int = 20) -> SignedTx:
        """Builds and signs a contract call; estimates gas now, so a call that would revert
        fails here, before anything is recorded or sent."""
        nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        tx = call.build_transaction({"from": self.account.address, "nonce": nonce})
        tx["gas"] = int(tx["gas"]) * (100 + gas_margin_pct) // 100
        signed = self.account.sign_transaction(tx)
        return SignedTx("0x" + bytes(signed.hash).hex(), bytes(signed.raw_transaction), nonce)

    def send(self, signed: SignedTx) -> None:
        try:
            self.w3.eth.send_raw_transaction(signed.raw)
        except ValueError as exc:
            # Resending a transaction the node already has is not an error for us.
            if "already known" not in str(exc).lower():
                raise

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        try:
            return dict(self.w3.eth.get_transaction_receipt(HexBytes(tx_hash)))
        except TransactionNotFound:
            return None

    def wait(self, tx_hash: str, timeout: float = 120) -> dict[str, Any]:
        return dict(self.w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=timeout))


def contract(w3: Web3, deployment: dict[str, Any], name: str) -> Any:
    from ksp.chain.compiler import load_artifact

    address = deployment["contracts"][name]["address"]
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=load_artifact(name).abi)
