"""Signed receipts (docs/ANCHORING.md, "Signed receipts").

For a journal entry of a member the operator key signs the EIP-712 typed data
`Receipt(uint64 seq, bytes32 leafHash, uint64 member, int256 amount)` under the domain
{name "KSP Receipt", version "1", chainId, verifyingContract = the AnchorRegistry}. The
amount is what the entry did for that member, in rupiah: credits to their lines minus
debits (a deposit is positive, a withdrawal negative). Signing only: nothing is sent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.chain.eip712 import EIP712_DOMAIN_FIELDS
from ksp.chain.runtime import ChainRuntime
from ksp.core.errors import NotFound
from ksp.ledger.models import JournalEntry, JournalLine, LogEntry
from ksp.receipts.errors import (
    InvalidReceiptText,
    ReceiptMemberRequired,
    ReceiptNotAvailable,
    ReceiptSignerUnavailable,
)

DOMAIN_NAME = "KSP Receipt"
DOMAIN_VERSION = "1"
REGISTRY = "AnchorRegistry"
RECEIPT_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": EIP712_DOMAIN_FIELDS,
    "Receipt": [
        {"name": "seq", "type": "uint64"},
        {"name": "leafHash", "type": "bytes32"},
        {"name": "member", "type": "uint64"},
        {"name": "amount", "type": "int256"},
    ],
}
# Upper case and ':' only, so a QR code uses its compact alphanumeric mode.
QR_PREFIX = "KSP-RECEIPT"
QR_VERSION = 1
_QR = re.compile(
    r"KSP-RECEIPT:1:([1-9][0-9]{0,18}):([1-9][0-9]{0,18}):(0|-?[1-9][0-9]{0,76})"
    r":([0-9A-F]{64}):([0-9A-F]{130})"
)
UINT64_MAX = 2**64 - 1


@dataclass(frozen=True)
class ReceiptDomain:
    chain_id: int
    verifying_contract: str

    def as_eip712(self) -> dict[str, Any]:
        return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract}


@dataclass(frozen=True)
class ReceiptClaim:
    """What the server promises: entry `seq`, with this leaf hash, moved `amount` for
    `member`."""

    seq: int
    leaf_hash: bytes
    member: int
    amount: int


@dataclass(frozen=True)
class SignedReceipt:
    claim: ReceiptClaim
    domain: ReceiptDomain
    signer: str
    signature: bytes

    @property
    def qr_text(self) -> str:
        return qr_text(self.claim, self.signature)


def typed_data(domain: ReceiptDomain, claim: ReceiptClaim) -> dict[str, Any]:
    """The full EIP-712 message, as eth_account and the page's signTypedData take it."""
    return {
        "types": RECEIPT_TYPES,
        "primaryType": "Receipt",
        "domain": domain.as_eip712(),
        "message": {"seq": claim.seq, "leafHash": claim.leaf_hash, "member": claim.member,
                    "amount": claim.amount},
    }


def sign(domain: ReceiptDomain, claim: ReceiptClaim, private_key: str) -> SignedReceipt:
    signed = Account.sign_typed_data(private_key, full_message=typed_data(domain, claim))
    signer: str = Account.from_key(private_key).address
    return SignedReceipt(claim, domain, signer, bytes(signed.signature))


def recover_signer(domain: ReceiptDomain, claim: ReceiptClaim, signature: bytes) -> str:
    """The address that signed this claim under this domain (any claim recovers to SOME
    address: compare it with the published receipt signer)."""
    message = encode_typed_data(full_message=typed_data(domain, claim))
    address: str = Account.recover_message(message, signature=signature)
    return address


def member_amounts(session: Session, seq: int) -> dict[int, int]:
    """Per member named on the entry's journal lines: credits minus debits, in rupiah."""
    rows = session.execute(
        select(JournalLine.member_number, JournalLine.side, JournalLine.amount)
        .join(JournalEntry, JournalLine.entry_id == JournalEntry.id)
        .where(JournalEntry.seq == seq, JournalLine.member_number.is_not(None))
    )
    amounts: dict[int, int] = defaultdict(int)
    for member, side, amount in rows:
        if member is not None:  # filtered above; says so to the type checker
            amounts[member] += amount if side == "C" else -amount
    return dict(amounts)


def claim_for(session: Session, seq: int, member: int | None) -> ReceiptClaim:
    """The claim of entry `seq` for `member` (None: the entry's only member)."""
    entry = session.get(LogEntry, seq)
    if entry is None:
        raise NotFound(what_id="Entri log", what_en="Log entry", key=seq)
    amounts = member_amounts(session, seq)
    if member is None:
        if len(amounts) > 1:
            raise ReceiptMemberRequired(seq=seq, members=", ".join(map(str, sorted(amounts))))
        if not amounts:
            raise ReceiptNotAvailable(seq=seq, member="-")
        [member] = amounts
    if member not in amounts or member > UINT64_MAX:
        raise ReceiptNotAvailable(seq=seq, member=member)
    return ReceiptClaim(seq, bytes(entry.leaf_hash), member, amounts[member])


def domain_of(chain: ChainRuntime) -> ReceiptDomain:
    """The chain id and AnchorRegistry of the current deployment; 503 when there is none."""
    try:
        chain_id = int(chain.connect().eth.chain_id)
        deployment = chain.read_deployment()
    except Exception as exc:  # any chain failure: the receipt waits for the chain
        raise ReceiptSignerUnavailable(
            reason_id="rantai tidak dapat dihubungi", reason_en="the chain cannot be reached"
        ) from exc
    registry = deployment.get("contracts", {}).get(REGISTRY)
    if not registry:
        raise ReceiptSignerUnavailable(reason_id="AnchorRegistry belum di-deploy",
                                       reason_en="the AnchorRegistry is not deployed")
    return ReceiptDomain(chain_id, str(registry["address"]))


def operator_key(chain: ChainRuntime) -> str:
    try:
        return chain.settings.operator_private_key()
    except Exception as exc:  # e.g. a keystore without its password
        raise ReceiptSignerUnavailable(reason_id="kunci operator tidak tersedia",
                                       reason_en="the operator key is not available") from exc


def signer_address(chain: ChainRuntime) -> str | None:
    """The public receipt signer (the operator address); None when the key is missing."""
    try:
        return chain.operator_address
    except Exception:  # a missing key means "no signer", never a 500 on the config
        return None


def signed_receipt(session: Session, chain: ChainRuntime, seq: int,
                   member: int | None) -> SignedReceipt:
    claim = claim_for(session, seq, member)
    domain = domain_of(chain)
    return sign(domain, claim, operator_key(chain))


def qr_text(claim: ReceiptClaim, signature: bytes) -> str:
    """`KSP-RECEIPT:1:<seq>:<member>:<amount>:<LEAF HASH>:<SIGNATURE>` (hex, upper case,
    no 0x): about 230 characters, a version 9 QR code at error level M."""
    return ":".join([QR_PREFIX, str(QR_VERSION), str(claim.seq), str(claim.member),
                     str(claim.amount), claim.leaf_hash.hex().upper(),
                     signature.hex().upper()])


def parse_qr_text(text: str) -> tuple[ReceiptClaim, bytes]:
    """The claim and signature of a scanned receipt (case does not matter)."""
    found = _QR.fullmatch(text.strip().upper())
    if found is None:
        raise InvalidReceiptText(
            reason_id="bukan teks KSP-RECEIPT versi 1",
            reason_en="not KSP-RECEIPT version 1 text")
    seq, member, amount, leaf, signature = found.groups()
    if int(seq) > UINT64_MAX or int(member) > UINT64_MAX or abs(int(amount)) >= 2**255:
        raise InvalidReceiptText(reason_id="angka di luar batas tipe datanya",
                                 reason_en="a number is out of its type's range")
    claim = ReceiptClaim(int(seq), bytes.fromhex(leaf), int(member), int(amount))
    return claim, bytes.fromhex(signature)
