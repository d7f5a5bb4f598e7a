"""Helpers for the contract tests: EIP-712 signing with keys the tests hold, and constants."""

from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

OPERATOR_ROLE = keccak(text="OPERATOR_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
ADMIN_ROLE = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
# Seconds between starting and accepting an admin transfer, in the contract fixtures.
ADMIN_DELAY = 24 * 3600

EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


@dataclass(frozen=True)
class Domain:
    name: str
    chain_id: int
    verifying_contract: str
    version: str = "1"

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": str(self.verifying_contract),
        }


def sign_typed(signer, domain: Domain, primary: str, fields: list, message: dict):
    """Signs EIP-712 typed data with `signer`'s key (a brownie LocalAccount from accounts.add())."""
    full = {
        "types": {"EIP712Domain": EIP712_DOMAIN, primary: fields},
        "primaryType": primary,
        "domain": domain.as_dict(),
        "message": message,
    }
    return Account.sign_message(encode_typed_data(full_message=full), signer.private_key)


def typed_digest(domain: Domain, primary: str, fields: list, message: dict) -> bytes:
    full = {
        "types": {"EIP712Domain": EIP712_DOMAIN, primary: fields},
        "primaryType": primary,
        "domain": domain.as_dict(),
        "message": message,
    }
    signable = encode_typed_data(full_message=full)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def compact(signed) -> tuple[bytes, bytes]:
    """ERC-2098 (r, vs) of a 65-byte signature."""
    vs = signed.s | ((signed.v - 27) << 255)
    return signed.r.to_bytes(32, "big"), vs.to_bytes(32, "big")


def recovered(
    domain: Domain, primary: str, fields: list, message: dict, r: bytes, vs: bytes
) -> str:
    """The address a contract recovers from the compact signature (`r`, `vs`) over this typed
    data: for a signature made over anything else, some stranger's address."""
    digest = typed_digest(domain, primary, fields, message)
    vs_int = int.from_bytes(vs, "big")
    v = (vs_int >> 255) + 27
    s = vs_int & ((1 << 255) - 1)
    return Account._recover_hash(digest, vrs=(v, int.from_bytes(r, "big"), s))
