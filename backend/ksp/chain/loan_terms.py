"""The EIP-712 `Acceptance` a borrower signs to accept a loan on LoanAgreements, built in one
place: the loan service verifies a member's signature with it before relaying, the wallet
page asks the member's wallet to sign the same dict, and the contract checks the same digest
(`acceptanceDigest(loanId, deadline)`).

Domain: name "KSP LoanAgreements", version "1", the chain id, the LoanAgreements address.
A guarantor's `GuarantorConsent` (below) uses the same domain but is checked off chain.
"""

from __future__ import annotations

import re
from typing import Any

from ksp.chain import eip712
from ksp.core.errors import InvalidInput

DOMAIN_NAME = "KSP LoanAgreements"
DOMAIN_VERSION = "1"
PRIMARY_TYPE = "Acceptance"
# Field order and types exactly as ACCEPTANCE_TYPEHASH in contracts/LoanAgreements.sol.
ACCEPTANCE_FIELDS: list[dict[str, str]] = [
    {"name": "loanId", "type": "uint64"},
    {"name": "principal", "type": "uint128"},
    {"name": "rateBps", "type": "uint32"},
    {"name": "method", "type": "uint8"},
    {"name": "tenorMonths", "type": "uint16"},
    {"name": "firstDueDate", "type": "uint64"},
    {"name": "termsHash", "type": "bytes32"},
    {"name": "deadline", "type": "uint256"},
]
_BITS = {f["name"]: int(f["type"].removeprefix("uint")) for f in ACCEPTANCE_FIELDS
         if f["type"].startswith("uint")} | {"guarantor": 64}
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _checked(name: str, value: int) -> int:
    # bool is an int to Python but never a figure of the terms.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2 ** _BITS[name]:
        raise InvalidInput(field=name,
                           reason_id=f"harus bilangan bulat 0 sampai 2^{_BITS[name]} - 1",
                           reason_en=f"must be a whole number from 0 to 2^{_BITS[name]} - 1")
    return value


def acceptance_typed_data(chain_id: int, contract: str, loan_id: int, principal: int,
                          rate_bps: int, method: int, tenor_months: int, first_due_date: int,
                          terms_hash: str, deadline: int) -> dict[str, Any]:
    """The full typed data (types, primaryType, domain, message) of the borrower's acceptance
    of loan `loan_id` with these terms until `deadline` (unix seconds). JSON-ready: the terms
    hash stays a 0x-prefixed hex string, so the same dict goes to a wallet's signTypedData.
    A figure out of its Solidity type's range, or a malformed hash or address, is bad input."""
    if not isinstance(terms_hash, str) or _HASH.fullmatch(terms_hash) is None:
        raise InvalidInput(field="terms_hash", reason_id="harus 0x diikuti 64 digit hex",
                           reason_en="must be 0x followed by 64 hex digits")
    if not isinstance(contract, str) or _ADDRESS.fullmatch(contract) is None:
        raise InvalidInput(field="contract", reason_id="bukan alamat kontrak",
                           reason_en="not a contract address")
    message = {
        "loanId": _checked("loanId", loan_id),
        "principal": _checked("principal", principal),
        "rateBps": _checked("rateBps", rate_bps),
        "method": _checked("method", method),
        "tenorMonths": _checked("tenorMonths", tenor_months),
        "firstDueDate": _checked("firstDueDate", first_due_date),
        "termsHash": terms_hash.lower(),
        "deadline": _checked("deadline", deadline),
    }
    return {
        "types": {"EIP712Domain": eip712.EIP712_DOMAIN_FIELDS, PRIMARY_TYPE: ACCEPTANCE_FIELDS},
        "primaryType": PRIMARY_TYPE,
        "domain": eip712.domain(DOMAIN_NAME, DOMAIN_VERSION, chain_id, contract),
        "message": message,
    }


def acceptance_digest(typed_data: dict[str, Any]) -> bytes:
    """What the contract's `acceptanceDigest(loanId, deadline)` returns for these terms."""
    return eip712.digest(typed_data)


def recover_acceptance_signer(typed_data: dict[str, Any], signature: bytes | str) -> str:
    """The checksum address that signed this acceptance; compare it with the borrower's
    wallet. A malformed signature raises InvalidInput (field "signature")."""
    return eip712.recover_signer(typed_data, signature)


# --- a guarantor's consent -------------------------------------------------------------------
# Signed by the guarantor's linked wallet over the registered terms; checked and kept off
# chain (LoanGuarantor.consent_signature and the log), under the same "KSP LoanAgreements"
# domain so a wallet shows it as the same cooperative's loan contract. The contract has no
# GuarantorConsent type, so such a signature can never pass as an Acceptance (the type hash
# differs).
CONSENT_TYPE = "GuarantorConsent"
CONSENT_FIELDS: list[dict[str, str]] = [
    {"name": "loanId", "type": "uint64"},
    {"name": "guarantor", "type": "uint64"},
    {"name": "termsHash", "type": "bytes32"},
]


def guarantor_consent_typed_data(chain_id: int, contract: str, loan_id: int, guarantor: int,
                                 terms_hash: str) -> dict[str, Any]:
    """The typed data member `guarantor` signs to stand surety for loan `loan_id` on the terms
    with hash `terms_hash`. JSON-ready, like `acceptance_typed_data`."""
    if not isinstance(terms_hash, str) or _HASH.fullmatch(terms_hash) is None:
        raise InvalidInput(field="terms_hash", reason_id="harus 0x diikuti 64 digit hex",
                           reason_en="must be 0x followed by 64 hex digits")
    if not isinstance(contract, str) or _ADDRESS.fullmatch(contract) is None:
        raise InvalidInput(field="contract", reason_id="bukan alamat kontrak",
                           reason_en="not a contract address")
    return {
        "types": {"EIP712Domain": eip712.EIP712_DOMAIN_FIELDS, CONSENT_TYPE: CONSENT_FIELDS},
        "primaryType": CONSENT_TYPE,
        "domain": eip712.domain(DOMAIN_NAME, DOMAIN_VERSION, chain_id, contract),
        "message": {"loanId": _checked("loanId", loan_id),
                    "guarantor": _checked("guarantor", guarantor),
                    "termsHash": terms_hash.lower()},
    }


def recover_signer(typed_data: dict[str, Any], signature: bytes | str) -> str:
    """The checksum address that signed any of these typed data (acceptance or consent)."""
    return eip712.recover_signer(typed_data, signature)
