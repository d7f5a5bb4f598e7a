"""Proof of wallet ownership: the server issues a nonce, the wallet signs an EIP-4361
style message containing it, the server recovers the signer. The key never leaves the
member's device."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from eth_account import Account
from eth_account.messages import encode_defunct
from sqlalchemy.orm import Session
from web3 import Web3

from ksp.core import clock
from ksp.core.errors import InvalidInput
from ksp.members.errors import WalletProofInvalid
from ksp.members.models import WalletChallenge

CHALLENGE_TTL = dt.timedelta(minutes=10)
STATEMENTS = {
    "link": "Saya membuktikan bahwa dompet ini milik saya untuk keanggotaan koperasi. / "
    "I prove this wallet is mine for my cooperative membership.",
    "login": "Masuk ke KSP. / Sign in to the KSP.",
}


def checksum(address: str) -> str:
    if not isinstance(address, str) or not Web3.is_address(address):
        raise InvalidInput(field="address", reason_id="alamat dompet tidak valid",
                           reason_en="not an Ethereum address")
    return Web3.to_checksum_address(address)


def issue_challenge(
    session: Session, *, address: str, purpose: str, domain: str, chain_id: int
) -> WalletChallenge:
    if purpose not in STATEMENTS:
        raise InvalidInput(field="purpose", reason_id="tujuan tidak dikenal",
                           reason_en="unknown purpose")
    account = checksum(address)
    nonce = secrets.token_hex(16)
    issued = clock.now()
    expires = issued + CHALLENGE_TTL
    message = (
        f"{domain} wants you to sign in with your Ethereum account:\n{account}\n\n"
        f"{STATEMENTS[purpose]}\n\nURI: http://{domain}\nVersion: 1\nChain ID: {chain_id}\n"
        f"Nonce: {nonce}\nIssued At: {issued.isoformat()}\n"
        f"Expiration Time: {expires.isoformat()}"
    )
    challenge = WalletChallenge(nonce=nonce, address=account, purpose=purpose, message=message,
                                expires_at=expires)
    session.add(challenge)
    session.flush()
    return challenge


def _reject(reason_id: str, reason_en: str) -> WalletProofInvalid:
    return WalletProofInvalid(reason_id=reason_id, reason_en=reason_en)


def consume_challenge(session: Session, *, message: str, signature: str, purpose: str) -> str:
    """Returns the proven address; the nonce cannot be used again."""
    match = re.search(r"^Nonce: ([0-9a-f]{32})$", message or "", re.MULTILINE)
    if not match:
        raise _reject("pesan tanpa nonce", "message has no nonce")
    challenge = session.get(WalletChallenge, match.group(1), with_for_update=True)
    if challenge is None or challenge.purpose != purpose or challenge.message != message:
        raise _reject("nonce tidak dikenal", "unknown nonce")
    if challenge.used_at is not None:
        raise _reject("nonce sudah dipakai", "nonce already used")
    expires = challenge.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=dt.UTC)
    if clock.now() > expires:
        raise _reject("nonce kedaluwarsa", "nonce expired")
    try:
        signer = Account.recover_message(encode_defunct(text=message), signature=signature)
    except Exception as exc:  # malformed signatures of every kind
        raise _reject("tanda tangan rusak", "malformed signature") from exc
    if signer != challenge.address:
        raise _reject("penanda tangan bukan pemilik alamat", "signer is not the address owner")
    challenge.used_at = clock.now()
    return challenge.address
