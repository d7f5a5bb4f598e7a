"""Sending what is queued. Rows are claimed first (pending -> sending, in one short
transaction; `FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite has one writer), so two
dispatchers never take the same row. The address is resolved (the phone decrypted) just
before sending and is never written back. No database transaction is open while a message
is on its way.

A failure counts an attempt and schedules the next one (KSP_NOTIFY_RETRY_SECONDS, doubling,
at most 6 hours) until KSP_NOTIFY_MAX_ATTEMPTS, then the row is `failed`. A row left in
`sending` (the process died mid-send) goes back to `pending` after CLAIM_LEASE: it may then
be delivered twice, which is why each message carries its dedupe_key to the gateway (in the
webhook body, as the SMTP Message-ID)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import reading, transaction
from ksp.core.settings import Settings, get_settings
from ksp.members.service import get_member
from ksp.notifications.adapters import Adapter, OutgoingMessage
from ksp.notifications.models import Notification, NotificationStatus

log = logging.getLogger("ksp.notifications")

CLAIM_LEASE = dt.timedelta(minutes=10)  # far longer than any adapter timeout
MAX_BACKOFF = dt.timedelta(hours=6)
INTERRUPTED = "terputus saat mengirim / interrupted while sending"


class NoAddress(Exception):
    pass


@dataclass
class DispatchCounts:
    sent: int = 0
    retrying: int = 0  # failed this time; tried again later
    failed: int = 0  # failed for the last time
    reclaimed: int = 0  # stale `sending` rows put back to `pending`


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """Wait before attempt `attempts + 1`: the base, doubled per failed attempt."""
    seconds = settings.notify_retry_seconds * 2 ** min(attempts - 1, 20)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


def _claim(factory: sessionmaker[Session], limit: int, counts: DispatchCounts) -> list[int]:
    now = clock.now()
    with transaction(factory) as session:
        stale = session.execute(
            update(Notification)
            .where(Notification.status == NotificationStatus.SENDING,
                   Notification.claimed_at < now - CLAIM_LEASE)
            .values(status=NotificationStatus.PENDING, claimed_at=None,
                    last_error=INTERRUPTED))
        counts.reclaimed += stale.rowcount  # type: ignore[attr-defined]
        ids = list(session.scalars(
            select(Notification.id)
            .where(Notification.status == NotificationStatus.PENDING,
                   Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)))
        if ids:
            session.execute(update(Notification).where(Notification.id.in_(ids))
                            .values(status=NotificationStatus.SENDING, claimed_at=now))
    return ids


def _message(session: Session, cipher: PiiCipher, settings: Settings, row: Notification
             ) -> OutgoingMessage:
    if row.member_number is None:
        if not settings.notify_staff_to:
            raise NoAddress("no KSP_NOTIFY_STAFF_TO for a message to staff")
        to = settings.notify_staff_to
    else:
        member = get_member(session, row.member_number)
        to = cipher.decrypt(member.phone_encrypted, "member.phone")
    return OutgoingMessage(to=to, channel=row.channel.value, subject=row.subject,
                           body=row.body, dedupe_key=row.dedupe_key, template=row.template)


def _deliver(factory: sessionmaker[Session], adapter: Adapter, cipher: PiiCipher,
             settings: Settings, row_id: int, counts: DispatchCounts) -> None:
    to = ""
    with reading(factory) as session:
        row = session.scalars(select(Notification).where(Notification.id == row_id)).one()
        attempts = row.attempts + 1
        try:
            message: OutgoingMessage | Exception = _message(session, cipher, settings, row)
        except Exception as exc:  # e.g. the member's phone no longer decrypts: an attempt
            message = exc
    try:
        if isinstance(message, Exception):
            raise message
        to = message.to
        adapter.send(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if to:  # the address must not reach the table through an error text (SMTP quotes it)
            error = error.replace(to, "<penerima>")
        give_up = attempts >= settings.notify_max_attempts
        with transaction(factory) as session:
            session.execute(
                update(Notification)
                .where(Notification.id == row_id)
                .values(status=NotificationStatus.FAILED if give_up
                        else NotificationStatus.PENDING,
                        attempts=attempts, last_error=error[:500], claimed_at=None,
                        next_attempt_at=clock.now() + backoff(settings, attempts)))
        if give_up:
            counts.failed += 1
        else:
            counts.retrying += 1
        log.warning("notification %s attempt %s failed: %s", row_id, attempts, error)
        return
    with transaction(factory) as session:
        session.execute(update(Notification).where(Notification.id == row_id)
                        .values(status=NotificationStatus.SENT, attempts=attempts,
                                last_error=None, claimed_at=None, sent_at=clock.now()))
    counts.sent += 1


def send_pending(factory: sessionmaker[Session], adapter: Adapter, *, cipher: PiiCipher,
                 limit: int = 100, settings: Settings | None = None) -> DispatchCounts:
    """Sends up to `limit` due messages, each at most once per run."""
    settings = settings or get_settings()
    counts = DispatchCounts()
    for row_id in _claim(factory, limit, counts):
        _deliver(factory, adapter, cipher, settings, row_id, counts)
    return counts


class NotificationThread:
    """Runs `send_pending` every `interval` seconds until stopped (next to the outbox)."""

    def __init__(self, factory: sessionmaker[Session], adapter: Adapter, cipher: PiiCipher,
                 settings: Settings, interval: float = 30, batch: int = 100) -> None:
        self.factory, self.adapter, self.cipher = factory, adapter, cipher
        self.settings, self.interval, self.batch = settings, interval, batch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="notifications", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                counts = send_pending(self.factory, self.adapter, cipher=self.cipher,
                                      settings=self.settings, limit=self.batch)
                # A full batch (a RAT notice to every member): go on without waiting.
                busy = counts.sent + counts.retrying + counts.failed >= self.batch
            except Exception:  # the database itself failed: log, and try again later
                log.exception("notification dispatch failed")
            if not busy:
                self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
