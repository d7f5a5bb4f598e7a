"""Settings from the environment (prefix KSP_). Development gets working defaults;
production refuses to start without real secrets."""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[3]
_DEV_SECRETS_LOCK = threading.Lock()


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KSP_", env_file=None, extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""  # empty: a SQLite file under var_dir
    # Chain: with no rpc_url the app runs its own Anvil with state under var_dir.
    rpc_url: str | None = None
    # The RPC URL members' phones use to read the chain themselves (a public endpoint);
    # defaults to rpc_url, which is right for a local run.
    public_rpc_url: str | None = None
    anvil_port: int = 8545
    # A block explorer for this chain (e.g. https://amoy.polygonscan.com): the console links
    # transaction hashes to <explorer_url>/tx/<hash>. Unset: hashes are shown plainly.
    explorer_url: str | None = None
    chain_id: int = 31337
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    # The backend's hot key (OPERATOR_ROLE). Either a raw key or an encrypted keystore file.
    operator_key: SecretStr | None = None
    operator_keystore: Path | None = None
    operator_keystore_password: SecretStr | None = None
    # DEFAULT_ADMIN_ROLE holder (pengurus key or multisig); defaults to the operator locally.
    admin_address: str | None = None
    # The admin's key, only for `ksp chain grant-operator|revoke-operator|pause|unpause`
    # run by the pengurus on their own machine; never needed by the server.
    admin_key: SecretStr | None = None
    admin_keystore: Path | None = None
    # AES-256-GCM key for NIK, phone and address, and the HMAC key for lookups (base64).
    pii_key: SecretStr | None = None
    # Signs session tokens.
    secret_key: SecretStr | None = None
    # Blocks on top before a chain write counts as final. Unset: by chain (0 on the local
    # Anvil, the `finalized` tag on Polygon and Ethereum, 64 elsewhere).
    confirmation_depth: int | None = None
    # Anchor the log every N new entries or T minutes, whichever comes first. Short, so a
    # member's "not anchored yet" lasts minutes (gas per day: docs/BENCHMARKS.md).
    anchor_every_entries: int = 50
    anchor_every_minutes: int = 5
    # Gas one outbox transaction may use: it sets how many rows a batch takes (each kind's
    # worst-case gas per row is measured in bench_contract_gas). A third of a 30M block.
    outbox_batch_gas: int = Field(10_000_000, ge=100_000)
    # The business day (posting dates, "today") is in this time zone.
    timezone: str = "Asia/Jakarta"
    # Members must be adults: at least this old when they register.
    min_member_age_years: int = Field(17, ge=0, le=100)
    # Printed at the top of every report and list (ksp.printing).
    coop_name: str = "Koperasi Simpan Pinjam"
    host: str = "127.0.0.1"
    port: int = 8000
    # Request bodies: refused before parsing above this size or JSON nesting depth.
    max_body_bytes: int = 1_048_576
    # ... except file uploads (the payroll import: 200,000 lines are about 6 MB).
    max_upload_bytes: int = 16_777_216
    max_json_depth: int = 32
    # Where members reach this server; the wallet sign-in message names this domain and URI
    # (never the request's Host header, which a look-alike site controls).
    public_url: str = "http://127.0.0.1:8000"
    # Sign-in throttling, counted in the database so every API worker process shares it.
    login_max_failures: int = Field(5, ge=1)  # per username, then a lockout
    login_lockout_seconds: int = Field(900, ge=1)
    login_ip_max_attempts: int = Field(30, ge=1)  # per client IP per window
    login_ip_window_seconds: int = Field(300, ge=1)
    # Wallet challenges: how long a nonce lives, and how many may be open per address.
    wallet_challenge_ttl_seconds: int = Field(600, ge=10)
    wallet_challenge_max_open: int = Field(5, ge=1)
    # A `link` challenge also names the code the member shows at the counter: it lives
    # long enough for the queue there.
    wallet_link_ttl_seconds: int = Field(900, ge=10)
    # ... and how many one client IP may ask for per window (any addresses).
    wallet_challenge_ip_max: int = Field(30, ge=1)
    wallet_challenge_ip_window_seconds: int = Field(60, ge=1)
    # Notifications to members (docs/NOTIFICATIONS.md). The adapter hands messages off:
    # `file` appends them to var_dir/notifications.log (development), `smtp` mails them,
    # `webhook` POSTs them (signed) to an SMS/WhatsApp gateway.
    notify_adapter: Literal["file", "smtp", "webhook"] = "file"
    # How members receive messages (recorded on each message; the gateway routes by it).
    notify_channel: Literal["sms", "whatsapp", "email"] = "whatsapp"
    # Messages with no member (to staff) go here; unset: they fail with a clear error.
    notify_staff_to: str | None = None
    notify_max_attempts: int = Field(8, ge=1)
    notify_retry_seconds: int = Field(60, ge=1)  # first retry; doubles each time, max 6 h
    notify_smtp_host: str | None = None
    notify_smtp_port: int = Field(587, ge=1, le=65535)
    notify_smtp_from: str | None = None
    notify_smtp_starttls: bool = True
    notify_smtp_user: str | None = None
    notify_smtp_password: SecretStr | None = None
    # Members have no e-mail address: the recipient is made from the phone number, e.g.
    # "{phone}@sms-gateway.example" (an e-mail-to-SMS gateway). Staff addresses are used as is.
    notify_smtp_to: str = "{phone}"
    notify_webhook_url: str | None = None
    # HMAC-SHA256 key of the X-KSP-Signature header (the gateway verifies it).
    notify_webhook_secret: SecretStr | None = None
    notify_timeout_seconds: int = Field(10, ge=1, le=120)

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_origin(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("KSP_PUBLIC_URL must be like https://ksp.example.id")
        return value.rstrip("/")

    @field_validator("explorer_url")
    @classmethod
    def _explorer_is_a_site(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("KSP_EXPLORER_URL must be like https://amoy.polygonscan.com")
        return value.rstrip("/")

    @field_validator("notify_webhook_url")
    @classmethod
    def _webhook_is_http(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("KSP_NOTIFY_WEBHOOK_URL must be like https://gateway.example/send")
        return value

    @field_validator("notify_smtp_to")
    @classmethod
    def _smtp_to_names_the_phone(cls, value: str) -> str:
        if "{phone}" not in value:
            raise ValueError("KSP_NOTIFY_SMTP_TO must contain {phone}")
        try:
            value.format(phone="0")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"KSP_NOTIFY_SMTP_TO {value!r}: only {{phone}} may appear") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"KSP_TIMEZONE {value!r} is not a known time zone") from exc
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'ksp.sqlite3'}"
        self._check_notify()
        if self.env is Environment.PRODUCTION:
            missing = [
                name
                for name, value in (
                    ("KSP_PII_KEY", self.pii_key),
                    ("KSP_SECRET_KEY", self.secret_key),
                    ("KSP_RPC_URL", self.rpc_url),
                    ("KSP_OPERATOR_KEYSTORE", self.operator_keystore),
                )
                if value is None
            ]
            if "public_url" not in self.model_fields_set:
                missing.append("KSP_PUBLIC_URL")  # sign-in messages must name the real site
            if missing:
                raise ValueError(f"production needs {', '.join(missing)}; refusing defaults")
        return self

    def _check_notify(self) -> None:
        """The chosen adapter's settings must be there; its secrets too, except in
        development (where the webhook key is a generated one under var_dir)."""
        needed: list[tuple[str, object]] = []
        if self.notify_adapter == "smtp":
            needed = [("KSP_NOTIFY_SMTP_HOST", self.notify_smtp_host),
                      ("KSP_NOTIFY_SMTP_FROM", self.notify_smtp_from)]
            if self.notify_smtp_user and self.env is not Environment.DEVELOPMENT:
                needed.append(("KSP_NOTIFY_SMTP_PASSWORD", _secret(self.notify_smtp_password)))
        elif self.notify_adapter == "webhook":
            needed = [("KSP_NOTIFY_WEBHOOK_URL", self.notify_webhook_url)]
            if self.env is not Environment.DEVELOPMENT:
                needed.append(("KSP_NOTIFY_WEBHOOK_SECRET", _secret(self.notify_webhook_secret)))
            parts = urlsplit(self.notify_webhook_url or "")
            if (self.env is Environment.PRODUCTION and parts.scheme != "https"
                    and parts.hostname not in ("127.0.0.1", "localhost", "::1")):
                # Phone numbers must not cross a network in clear.
                raise ValueError("KSP_NOTIFY_WEBHOOK_URL must be https in production "
                                 "(plain http only to this machine)")
        missing = [name for name, value in needed if not value]
        if missing:
            raise ValueError(f"KSP_NOTIFY_ADAPTER={self.notify_adapter} needs "
                             f"{', '.join(missing)}")

    def notify_webhook_key(self) -> bytes:
        secret = _secret(self.notify_webhook_secret)
        return (secret or self.dev_secret("notify_webhook_secret")).encode()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def public_domain(self) -> str:
        """The host[:port] that sign-in messages name (EIP-4361 `domain`)."""
        return urlsplit(self.public_url).netloc

    @property
    def local_chain(self) -> bool:
        return self.rpc_url is None

    @property
    def effective_rpc_url(self) -> str:
        return self.rpc_url or f"http://127.0.0.1:{self.anvil_port}"

    def dev_secret(self, name: str) -> str:
        """A random secret kept in var_dir/secrets.json, for development and tests only."""
        if self.env is Environment.PRODUCTION:
            raise RuntimeError(f"{name} must come from the environment in production")
        path = self.var_dir / "secrets.json"
        # Requests run in threads: one adding a secret must not let another read a half-
        # written file, so the file is replaced whole, and writers take turns.
        with _DEV_SECRETS_LOCK:
            stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
            if name not in stored:
                stored[name] = base64.b64encode(secrets.token_bytes(32)).decode()
                path.parent.mkdir(parents=True, exist_ok=True)
                fresh = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                fresh.write_text(json.dumps(stored, indent=1))
                os.chmod(fresh, 0o600)
                os.replace(fresh, path)
        return stored[name]

    def pii_key_bytes(self) -> bytes:
        raw = self.pii_key.get_secret_value() if self.pii_key else self.dev_secret("pii_key")
        key = base64.b64decode(raw)
        if len(key) != 32:
            raise ValueError("KSP_PII_KEY must be 32 bytes, base64-encoded")
        return key

    def secret_key_bytes(self) -> bytes:
        raw = self.secret_key.get_secret_value() if self.secret_key else self.dev_secret("secret")
        return raw.encode()

    def operator_private_key(self) -> str:
        if self.operator_key is not None:
            return self.operator_key.get_secret_value()
        if self.operator_keystore is not None:
            password = self.operator_keystore_password
            if password is None:
                raise ValueError("KSP_OPERATOR_KEYSTORE_PASSWORD is required with a keystore")
            return decrypt_keystore(self.operator_keystore, password.get_secret_value())
        # A fresh local key; funded from Anvil by the app. Never a well-known test key.
        return "0x" + base64.b64decode(self.dev_secret("operator_key")).hex()


def _secret(value: SecretStr | None) -> str | None:
    """An unset or empty secret is no secret."""
    return value.get_secret_value() if value is not None and value.get_secret_value() else None


def decrypt_keystore(path: Path, password: str) -> str:
    from eth_account import Account

    key: bytes = Account.decrypt(json.loads(path.read_text()), password)
    return "0x" + key.hex()


@lru_cache
def get_settings() -> Settings:
    return Settings()
