"""PII at rest: AES-256-GCM for NIK, phone and address; HMAC for lookups and log commitments."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
VERSION = b"\x01"  # lets the format change without guessing later


class PiiCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("PII key must be 32 bytes")
        # Separate keys for encryption and lookup hashes, both derived from the one secret.
        self._aead = AESGCM(hashlib.sha256(b"ksp-pii-enc|" + key).digest())
        self._lookup_key = hashlib.sha256(b"ksp-pii-lookup|" + key).digest()

    def encrypt(self, plaintext: str, context: str) -> bytes:
        """`context` (e.g. "member.nik") is bound as associated data: a ciphertext moved to
        another column does not decrypt."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return VERSION + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> str:
        if blob[:1] != VERSION:
            raise ValueError("unknown PII ciphertext version")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, context.encode()).decode()

    def lookup_hash(self, value: str, context: str) -> str:
        """Deterministic keyed hash for equality lookups (duplicate NIK), never reversible."""
        return hmac.new(self._lookup_key, f"{context}|{value}".encode(), hashlib.sha256).hexdigest()


def commitment(salt: bytes, *fields: str) -> str:
    """A per-member keyed hash the log can hold instead of personal data. Erasing the salt
    (UU 27/2022) unlinks the member without touching the log."""
    message = "\x1f".join(fields).encode()
    return "0x" + hmac.new(salt, message, hashlib.sha256).hexdigest()
