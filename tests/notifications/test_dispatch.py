"""Sending: the file adapter in development; failures retried with backoff until sent or
given up; a message sent once even when two dispatchers run at the same time."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import select, text, update

from ksp.core import clock
from ksp.core.db import transaction
from ksp.notifications import service
from ksp.notifications.adapters import FileAdapter, OutgoingMessage
from ksp.notifications.dispatch import CLAIM_LEASE, send_pending
from ksp.notifications.models import Notification, NotificationStatus
from ksp.notifications.templates import LUNAS
from ksp.system import notification_sender

T0 = dt.datetime(2026, 3, 12, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


class Recorder:
    """An adapter that fails the first `failures` calls, then records what it sends."""

    def __init__(self, failures: int = 0, error: str = "gateway down",
                 delay: float = 0) -> None:
        self.failures, self.error, self.delay = failures, error, delay
        self.sent: list[OutgoingMessage] = []
        self.lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> None:
        time.sleep(self.delay)
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise ConnectionError(self.error.format(to=message.to))
            self.sent.append(message)


def rows(opened):
    with opened.factory() as session:
        return session.scalars(select(Notification).order_by(Notification.id)).all()


def send(opened, adapter, **kw):
    return send_pending(opened.factory, adapter, cipher=opened.cipher,
                        settings=opened.settings, **kw)


def test_file_adapter_writes_one_json_line_per_message(opened, frozen):
    opened.remind(opened.numbers[0], "loan:12:due:2026-03-15:-3")
    log = opened.settings.var_dir / "notifications.log"

    counts = send(opened, FileAdapter(log))

    assert (counts.sent, counts.retrying, counts.failed) == (1, 0, 0)
    [line] = log.read_text(encoding="utf-8").splitlines()
    written = json.loads(line)
    assert written["to"] == opened.phone(1)  # the phone, decrypted at send time
    assert written["channel"] == "whatsapp"
    assert written["subject"] == "Pengingat angsuran pinjaman no. 12"
    assert "Rp 1.250.000 jatuh tempo pada 15 Maret 2026" in written["body"]
    assert written["dedupe_key"] == "loan:12:due:2026-03-15:-3"
    [row] = rows(opened)
    assert row.status is NotificationStatus.SENT and row.attempts == 1
    assert clock.as_utc(row.sent_at) == T0


def test_a_failure_is_retried_later_and_sent_once(opened, frozen):
    opened.remind(opened.numbers[0], "loan:12:due:2026-03-15:-3")
    adapter = Recorder(failures=1)

    first = send(opened, adapter)
    [row] = rows(opened)
    too_early = send(opened, adapter)  # the backoff has not passed yet
    sent_too_early = list(adapter.sent)
    clock.freeze(T0 + dt.timedelta(seconds=opened.settings.notify_retry_seconds))
    later = send(opened, adapter)
    after = send(opened, adapter)

    assert (first.sent, first.retrying) == (0, 1)
    assert row.status is NotificationStatus.PENDING and row.attempts == 1
    assert row.last_error == "ConnectionError: gateway down"
    assert clock.as_utc(row.next_attempt_at) == T0 + dt.timedelta(seconds=60)
    assert too_early.sent == 0 and sent_too_early == []
    assert later.sent == 1 and after.sent == 0
    [sent] = rows(opened)
    assert sent.status is NotificationStatus.SENT and sent.attempts == 2
    assert sent.last_error is None
    assert [m.dedupe_key for m in adapter.sent] == ["loan:12:due:2026-03-15:-3"]


def test_backoff_doubles_and_the_last_attempt_gives_up(opened, frozen):
    opened.remind(opened.numbers[0], "k")
    settings = opened.settings.model_copy(update={"notify_max_attempts": 3})
    adapter = Recorder(failures=10)
    waits = []
    for _ in range(3):
        send_pending(opened.factory, adapter, cipher=opened.cipher, settings=settings)
        [row] = rows(opened)
        waits.append(clock.as_utc(row.next_attempt_at) - clock.now())
        clock.freeze(clock.as_utc(row.next_attempt_at))

    assert waits[:2] == [dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    assert row.status is NotificationStatus.FAILED and row.attempts == 3
    assert send_pending(opened.factory, adapter, cipher=opened.cipher,
                        settings=settings).failed == 0  # never tried again
    assert adapter.sent == []


def test_an_error_quoting_the_address_does_not_store_it(opened, frozen):
    opened.remind(opened.numbers[0], "k")

    send(opened, Recorder(failures=1, error="550 <{to}@sms-gateway.example> unknown"))

    with opened.factory() as session:
        raw = " ".join(str(v) for row in session.execute(text("SELECT * FROM notifications"))
                       for v in row)
    assert opened.phone(1) not in raw
    assert "550 <<penerima>@sms-gateway.example> unknown" in raw


def test_two_dispatchers_at_once_send_each_message_once(opened):
    for i in range(6):
        opened.remind(opened.numbers[i % 2], f"loan:{i}:due")
    adapter = Recorder(delay=0.05)
    results = []

    def run():
        results.append(send(opened, adapter, limit=6))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(r.sent for r in results) == 6
    assert sorted(m.dedupe_key for m in adapter.sent) == [f"loan:{i}:due" for i in range(6)]
    assert {r.status for r in rows(opened)} == {NotificationStatus.SENT}


def test_a_row_left_sending_by_a_dead_process_goes_back_after_the_lease(opened, frozen):
    opened.remind(opened.numbers[0], "k")
    with transaction(opened.factory) as session:  # claimed, then the process died
        session.execute(update(Notification).values(status=NotificationStatus.SENDING,
                                                    claimed_at=T0))
    adapter = Recorder()

    within = send(opened, adapter)
    clock.freeze(T0 + CLAIM_LEASE + dt.timedelta(seconds=1))
    after = send(opened, adapter)

    assert (within.sent, within.reclaimed) == (0, 0)
    assert (after.reclaimed, after.sent) == (1, 1)
    assert len(adapter.sent) == 1


def test_a_staff_message_needs_the_staff_address(opened, frozen):
    with transaction(opened.factory) as session:
        service.queue(session, member_number=None, template=LUNAS, dedupe_key="staff:1",
                      params={"nama": "Bendahara", "pinjaman_id": 12,
                              "tanggal_lunas": dt.date(2026, 3, 12)})
    adapter = Recorder()

    without = send(opened, adapter)
    [row] = rows(opened)
    clock.freeze(T0 + dt.timedelta(hours=1))
    settings = opened.settings.model_copy(update={"notify_staff_to": "bendahara@ksp.example"})
    with_address = send_pending(opened.factory, adapter, cipher=opened.cipher,
                                settings=settings)

    assert without.retrying == 1 and "KSP_NOTIFY_STAFF_TO" in (row.last_error or "")
    assert with_address.sent == 1 and adapter.sent[0].to == "bendahara@ksp.example"


def test_the_background_sender_sends_what_is_queued_while_it_runs(opened):
    adapter = Recorder()
    sender = notification_sender(opened.settings, opened.factory, opened.cipher)
    sender.adapter, sender.interval = adapter, 0.05
    sender.start()
    try:
        opened.remind(opened.numbers[0], "k")
        deadline = time.monotonic() + 10
        while not adapter.sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop()

    assert [m.dedupe_key for m in adapter.sent] == ["k"]
    assert rows(opened)[0].status is NotificationStatus.SENT


def test_the_background_sender_goes_on_at_once_after_a_full_batch(opened):
    for i in range(5):
        opened.remind(opened.numbers[i % 2], f"rat:{i}")
    adapter = Recorder()
    sender = notification_sender(opened.settings, opened.factory, opened.cipher)
    sender.adapter, sender.interval, sender.batch = adapter, 60, 2
    sender.start()
    try:
        deadline = time.monotonic() + 10
        while len(adapter.sent) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop()

    assert len(adapter.sent) == 5  # three batches without the 60 s pauses between them
