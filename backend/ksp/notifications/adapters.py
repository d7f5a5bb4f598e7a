"""How a message leaves the server. An adapter's `send` returns when the message was
handed off and raises on any failure; the dispatcher then retries later.

- FileAdapter: one JSON line per message in var_dir/notifications.log (development).
- SmtpAdapter: e-mail through an SMTP server; members' addresses come from their phone
  (KSP_NOTIFY_SMTP_TO, e.g. "{phone}@sms-gateway.example").
- WebhookAdapter: a signed JSON POST to an SMS/WhatsApp gateway (docs/NOTIFICATIONS.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from ksp.core import clock
from ksp.core.settings import Settings

SIGNATURE_HEADER = "X-KSP-Signature"
TIMESTAMP_HEADER = "X-KSP-Timestamp"


@dataclass(frozen=True)
class OutgoingMessage:
    to: str  # the member's phone number, or a staff address
    channel: str  # sms | whatsapp | email
    subject: str
    body: str
    dedupe_key: str  # the same message sent twice has the same key: a gateway can drop it
    template: str


class DeliveryFailed(Exception):
    """The receiving side refused or did not answer as expected."""


class Adapter(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


class FileAdapter:
    """Appends each message as a JSON line; prints nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> None:
        line = json.dumps({"at": clock.now().isoformat(), **asdict(message)},
                          ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(line + "\n")


class SmtpAdapter:
    def __init__(self, *, host: str, port: int, sender: str, to_template: str = "{phone}",
                 starttls: bool = True, user: str | None = None, password: str | None = None,
                 timeout: float = 10) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.to_template, self.starttls = to_template, starttls
        self.user, self.password, self.timeout = user, password, timeout

    def address_for(self, to: str) -> str:
        """A staff address as given; a member's phone through the template."""
        return to if "@" in to else self.to_template.format(phone=to)

    def send(self, message: OutgoingMessage) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = self.address_for(message.to)
        mail["Subject"] = message.subject
        # The same message always has the same Message-ID, so a resend can be recognised.
        digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
        mail["Message-ID"] = f"<{digest}@{self.sender.rpartition('@')[2] or 'ksp'}>"
        mail.set_content(message.body, charset="utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            refused = smtp.send_message(mail)
        if refused:
            raise DeliveryFailed(f"SMTP refused {len(refused)} recipient(s)")


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 over `<timestamp>.<raw body>`."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not a delivery (and urllib would turn the POST into a GET)."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class WebhookAdapter:
    """POSTs {to, channel, subject, body, dedupe_key, template} as JSON; any 2xx is sent."""

    def __init__(self, *, url: str, secret: bytes, timeout: float = 10) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, message: OutgoingMessage) -> None:
        body = json.dumps(asdict(message), ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self.secret, timestamp, body),
        })
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                status = reply.status
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"gateway answered HTTP {exc.code}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"gateway answered HTTP {status}")


def adapter_from_settings(settings: Settings) -> Adapter:
    if settings.notify_adapter == "smtp":
        password = settings.notify_smtp_password
        return SmtpAdapter(host=settings.notify_smtp_host or "", port=settings.notify_smtp_port,
                           sender=settings.notify_smtp_from or "",
                           to_template=settings.notify_smtp_to,
                           starttls=settings.notify_smtp_starttls, user=settings.notify_smtp_user,
                           password=password.get_secret_value() if password else None,
                           timeout=settings.notify_timeout_seconds)
    if settings.notify_adapter == "webhook":
        return WebhookAdapter(url=settings.notify_webhook_url or "",
                              secret=settings.notify_webhook_key(),
                              timeout=settings.notify_timeout_seconds)
    return FileAdapter(settings.var_dir / "notifications.log")
