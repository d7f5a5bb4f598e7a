"""EIP-712 typed data as eth_account's `encode_typed_data(full_message=...)` and a wallet's
`eth_signTypedData_v4` take it: the domain every contract of the project uses, the digest,
and the signer recovered from a signature."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from ksp.anchoring.merkle import keccak256
from ksp.core.errors import InvalidInput

EIP712_DOMAIN_FIELDS: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def domain(name: str, version: str, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    return {"name": name, "version": version, "chainId": chain_id,
            "verifyingContract": verifying_contract}


def digest(typed_data: dict[str, Any]) -> bytes:
    """The 32 bytes a signer signs (what a contract's `_hashTypedDataV4` returns)."""
    signable = encode_typed_data(full_message=typed_data)
    return keccak256(b"\x19" + signable.version + signable.header + signable.body)


def recover_signer(typed_data: dict[str, Any], signature: bytes | str) -> str:
    """The checksum address whose key made `signature` (65 bytes r, s, v; hex or bytes)
    over `typed_data`. Any well-formed signature recovers to SOME address: compare it with
    the expected signer. A malformed one is refused as bad input."""
    message = encode_typed_data(full_message=typed_data)
    try:
        address: str = Account.recover_message(message, signature=signature)
    except Exception as exc:  # eth_account raises several types for a malformed signature
        raise InvalidInput(field="signature",
                           reason_id="bukan tanda tangan 65 byte yang sah",
                           reason_en="not a valid 65-byte signature") from exc
    return address
