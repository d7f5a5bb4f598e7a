"""Proof of wallet ownership: the server issues a nonce, the wallet signs an EIP-4361
style message containing it, the server recovers the signer. The key never leaves the
member's device.

The message names this server as configured (`KSP_PUBLIC_URL`), never the request's Host
header, and when it comes back its domain, URI, chain id, nonce and expiry are checked
against the settings and the stored challenge. A challenge is deleted when used; expired
ones are swept on the next issue; each address may hold only a few open ones, and each
client IP may ask for only so many a minute.

A `link` challenge may name the member number it is for ("Anggota / Member: 12" at the end
of the statement, which EIP-4361 keeps to one line): the proof then links that member only,
wherever it is used."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_defunct
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from web3 import Web3

from ksp.auth import throttle
from ksp.auth.errors import TooManyChallenges
from ksp.auth.throttle import aware, seconds_until
from ksp.core import clock
from ksp.core.errors import InvalidInput
from ksp.core.settings import Settings
from ksp.members.errors import WalletProofInvalid, WalletProofOtherMember
from ksp.members.models import WalletChallenge

STATEMENTS = {
    "link": "Saya membuktikan bahwa dompet ini milik saya untuk keanggotaan koperasi. / "
    "I prove this wallet is mine for my cooperative membership.",
    "login": "Masuk ke KSP. / Sign in to the KSP.",
}
_PREAMBLE = " wants you to sign in with your Ethereum account:"
_MEMBER_LINE = "Anggota / Member: "
_MEMBER = re.compile(r" Anggota / Member: ([0-9]{1,19})$", re.MULTILINE)
_FIELD = re.compile(r"^(URI|Version|Chain ID|Nonce|Issued At|Expiration Time): (.*)$",
                    re.MULTILINE)


def checksum(address: str) -> str:
    if not isinstance(address, str) or not Web3.is_address(address):
        raise InvalidInput(field="address", reason_id="alamat dompet tidak valid",
                           reason_en="not an Ethereum address")
    return Web3.to_checksum_address(address)


def issue_challenge(
    session: Session, *, address: str, purpose: str, settings: Settings,
    client_ip: str | None = None, member: int | None = None,
) -> WalletChallenge:
    if purpose not in STATEMENTS:
        raise InvalidInput(field="purpose", reason_id="tujuan tidak dikenal",
                           reason_en="unknown purpose")
    if member is not None and purpose != "link":
        raise InvalidInput(field="member", reason_id="nomor anggota hanya untuk tujuan link",
                           reason_en="a member number is for the link purpose only")
    account = checksum(address)
    issued = clock.now()
    session.execute(delete(WalletChallenge).where(WalletChallenge.expires_at <= issued))
    if client_ip is not None:  # new addresses are free to make, so the client is limited too
        throttle.sweep(session, settings, issued)
        throttle.take(session, f"challenge-ip:{client_ip}",
                      limit=settings.wallet_challenge_ip_max,
                      window_seconds=settings.wallet_challenge_ip_window_seconds,
                      error=TooManyChallenges)
    open_count, first_expiry = session.execute(
        select(func.count(), func.min(WalletChallenge.expires_at))
        .where(WalletChallenge.address == account)).one()
    # Soft under concurrency (two requests may both see max-1); it bounds storage, which
    # is what it is for.
    if open_count >= settings.wallet_challenge_max_open:
        raise TooManyChallenges(retry_after=seconds_until(first_expiry, issued))
    nonce = secrets.token_hex(16)
    ttl = (settings.wallet_link_ttl_seconds if purpose == "link"
           else settings.wallet_challenge_ttl_seconds)
    expires = issued + dt.timedelta(seconds=ttl)
    statement = STATEMENTS[purpose]
    if member is not None:
        statement += f" {_MEMBER_LINE}{member}"
    message = (
        f"{settings.public_domain}{_PREAMBLE}\n{account}\n\n"
        f"{statement}\n\nURI: {settings.public_url}\nVersion: 1\n"
        f"Chain ID: {settings.chain_id}\nNonce: {nonce}\nIssued At: {issued.isoformat()}\n"
        f"Expiration Time: {expires.isoformat()}"
    )
    challenge = WalletChallenge(nonce=nonce, address=account, purpose=purpose, message=message,
                                expires_at=expires)
    session.add(challenge)
    session.flush()
    return challenge


def _reject(reason_id: str, reason_en: str) -> WalletProofInvalid:
    return WalletProofInvalid(reason_id=reason_id, reason_en=reason_en)


def _fields(message: str) -> dict[str, str]:
    domain, _, _rest = message.partition("\n")
    if not domain.endswith(_PREAMBLE):
        raise _reject("format pesan tidak dikenal", "not a sign-in message")
    fields = {"domain": domain.removesuffix(_PREAMBLE)}
    for key, value in _FIELD.findall(message):
        if key in fields:
            raise _reject(f"kolom {key} ganda", f"{key} appears twice")
        fields[key] = value
    return fields


def _check_origin(fields: dict[str, str], settings: Settings) -> None:
    """The message must name this server and chain, whoever served the challenge."""
    if fields["domain"] != settings.public_domain:
        raise _reject("pesan untuk domain lain", "message names another domain")
    if fields.get("URI") != settings.public_url:
        raise _reject("pesan untuk alamat (URI) lain", "message names another URI")
    if fields.get("Chain ID") != str(settings.chain_id):
        raise _reject("pesan untuk jaringan (chain) lain", "message names another chain")


@dataclass(frozen=True)
class Proof:
    """What a valid signed challenge proves: the address, and the member it names if any."""

    address: str
    member: int | None
    nonce: str
    expires_at: dt.datetime


def named_member(message: str) -> int | None:
    found = _MEMBER.findall(message)
    if len(found) > 1:
        raise _reject("nomor anggota ganda", "member number appears twice")
    return int(found[0]) if found else None


def verify_challenge(session: Session, *, message: str, signature: str, purpose: str,
                     settings: Settings, lock: bool = False) -> Proof:
    """Checks a signed challenge without using it up (a link request keeps it open until
    the teller confirms)."""
    fields = _fields(message or "")
    _check_origin(fields, settings)
    nonce = fields.get("Nonce", "")
    if not re.fullmatch(r"[0-9a-f]{32}", nonce):
        raise _reject("pesan tanpa nonce", "message has no nonce")
    challenge = session.get(WalletChallenge, nonce, with_for_update=lock)
    if challenge is None or challenge.purpose != purpose or challenge.message != message:
        raise _reject("nonce tidak dikenal atau sudah dipakai", "unknown or already used nonce")
    expires = aware(challenge.expires_at)
    try:
        stated_expiry = dt.datetime.fromisoformat(fields.get("Expiration Time", ""))
    except ValueError:
        stated_expiry = None
    if stated_expiry != expires:
        raise _reject("masa berlaku pesan diubah", "expiry in the message was changed")
    if clock.now() > expires:
        raise _reject("nonce kedaluwarsa", "nonce expired")
    try:
        signer = Account.recover_message(encode_defunct(text=message), signature=signature)
    except Exception as exc:  # malformed signatures of every kind
        raise _reject("tanda tangan rusak", "malformed signature") from exc
    if signer != challenge.address:
        raise _reject("penanda tangan bukan pemilik alamat", "signer is not the address owner")
    # The message is the stored one, so the member line in it is the server's own.
    return Proof(address=challenge.address, member=named_member(message), nonce=nonce,
                 expires_at=expires)


def check_member(proof: Proof, member: int | None) -> None:
    """A proof naming a member links that member only; `member` None is a new registration."""
    if proof.member is not None and proof.member != member:
        target = ((f"anggota {member}", f"member {member}") if member is not None
                  else ("pendaftaran anggota baru", "a new member's registration"))
        raise WalletProofOtherMember(named=proof.member, target_id=target[0],
                                     target_en=target[1])


def consume_challenge(session: Session, *, message: str, signature: str, purpose: str,
                      settings: Settings, member: int | None = None) -> str:
    """Returns the proven address; the challenge is deleted, so it cannot be used again.
    `member` is the member the proof is used for (None: a registration): a proof naming
    another member is refused."""
    proof = verify_challenge(session, message=message, signature=signature, purpose=purpose,
                             settings=settings, lock=True)
    check_member(proof, member)
    session.execute(delete(WalletChallenge).where(WalletChallenge.nonce == proof.nonce))
    session.flush()
    return proof.address
