"""The EIP-712 messages of RatVoting (domain "KSP RatVoting", version "2"): what a member's
wallet signs, and recovering who signed. The same typed data goes to the page's
signTypedData, so the member's wallet shows every field before signing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from ksp.chain.deploy import read_deployment
from ksp.core.settings import Settings
from ksp.rat.errors import ChainNotReady, InvalidSignature

DOMAIN_NAME = "KSP RatVoting"
DOMAIN_VERSION = "2"
CONTRACT = "RatVoting"

_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
TYPES: dict[str, list[dict[str, str]]] = {
    "Ballot": [
        {"name": "meetingId", "type": "uint64"},
        {"name": "proposalIndex", "type": "uint32"},
        {"name": "contentHash", "type": "bytes32"},
        {"name": "choice", "type": "uint256"},
    ],
    "ProxyBallot": [
        {"name": "meetingId", "type": "uint64"},
        {"name": "proposalIndex", "type": "uint32"},
        {"name": "contentHash", "type": "bytes32"},
        {"name": "choice", "type": "uint256"},
        {"name": "principalNumber", "type": "uint64"},
    ],
    "Proxy": [
        {"name": "meetingId", "type": "uint64"},
        {"name": "principalNumber", "type": "uint64"},
        {"name": "proxy", "type": "address"},
        {"name": "agendaHash", "type": "bytes32"},
    ],
    "ProxyAcceptance": [
        {"name": "meetingId", "type": "uint64"},
        {"name": "principalNumber", "type": "uint64"},
        {"name": "proxy", "type": "address"},
    ],
    "ProxyRevocation": [
        {"name": "meetingId", "type": "uint64"},
        {"name": "principalNumber", "type": "uint64"},
    ],
}


@dataclass(frozen=True)
class RatDomain:
    chain_id: int
    verifying_contract: str

    def as_eip712(self) -> dict[str, Any]:
        return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract}


def domain_from_settings(settings: Settings) -> RatDomain:
    """The chain id and RatVoting address of the recorded deployment (no chain call)."""
    deployment = read_deployment(settings.deployments_dir, settings.chain_id)
    record = deployment.get("contracts", {}).get(CONTRACT)
    if not record:
        raise ChainNotReady(reason_id="RatVoting belum di-deploy",
                            reason_en="RatVoting is not deployed")
    return RatDomain(settings.chain_id, str(record["address"]))


def typed_data(domain: RatDomain, primary: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"types": {"EIP712Domain": _DOMAIN_TYPE, primary: TYPES[primary]},
            "primaryType": primary, "domain": domain.as_eip712(), "message": message}


def hash32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def ballot_message(meeting: int, position: int, content_hash: str, choice: int,
                   principal: int | None = None) -> tuple[str, dict[str, Any]]:
    """(primary type, message) of an own ballot, or a proxy's ballot for `principal`."""
    message: dict[str, Any] = {"meetingId": meeting, "proposalIndex": position,
                               "contentHash": hash32(content_hash), "choice": choice}
    if principal is None:
        return "Ballot", message
    return "ProxyBallot", message | {"principalNumber": principal}


def recover(domain: RatDomain, primary: str, message: dict[str, Any], signature: str) -> str:
    """The checksummed address that signed; a malformed signature is a 422."""
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
        if len(raw) != 65:
            raise ValueError("not 65 bytes")
        encoded = encode_typed_data(full_message=typed_data(domain, primary, message))
        address: str = Account.recover_message(encoded, signature=raw)
    except Exception as exc:  # any decoding failure is the sender's
        raise InvalidSignature(reason_id="bukan tanda tangan EIP-712 65 bita yang sah",
                               reason_en=f"not a valid 65-byte EIP-712 signature ({exc})") from exc
    return address


def sign(domain: RatDomain, primary: str, message: dict[str, Any], private_key: Any) -> str:
    """Signs as a wallet would (tests and demos); 0x-hex of r || s || v."""
    signed = Account.sign_typed_data(private_key,
                                     full_message=typed_data(domain, primary, message))
    return "0x" + bytes(signed.signature).hex()
