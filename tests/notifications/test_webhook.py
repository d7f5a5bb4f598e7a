"""The webhook adapter against a local HTTP server started here: signed JSON, 2xx is sent;
a 500, a redirect or a refused connection leaves the message pending for a later run."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from ksp.core import clock
from ksp.notifications.adapters import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookAdapter
from ksp.notifications.dispatch import send_pending
from ksp.notifications.models import Notification, NotificationStatus
from tests.conftest import free_port

SECRET = b"kunci-gateway-uji"
T0 = dt.datetime(2026, 3, 12, 1, 0, tzinfo=dt.UTC)


class Gateway:
    """Answers each POST with the next status in `answers` (then 200) and keeps it."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[tuple[Message, bytes]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append((self.headers, body))
                status = gateway.answers.pop(0) if gateway.answers else 200
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kirim"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def gateway():
    g = Gateway()
    g.thread.start()
    yield g
    g.server.shutdown()
    g.server.server_close()


@pytest.fixture
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


def send(opened, url):
    return send_pending(opened.factory, WebhookAdapter(url=url, secret=SECRET, timeout=5),
                        cipher=opened.cipher, settings=opened.settings)


def the_row(opened):
    with opened.factory() as session:
        return session.scalars(select(Notification)).one()


def test_the_gateway_gets_signed_json(opened, gateway, frozen):
    opened.remind(opened.numbers[0], "loan:12:due:2026-03-15:-3")

    counts = send(opened, gateway.url)

    assert counts.sent == 1
    [(headers, body)] = gateway.received
    assert json.loads(body) == {
        "to": opened.phone(1), "channel": "whatsapp",
        "subject": "Pengingat angsuran pinjaman no. 12",
        "body": the_row(opened).body, "dedupe_key": "loan:12:due:2026-03-15:-3",
        "template": "pinjaman.pengingat_jatuh_tempo"}
    assert "Rp 1.250.000" in json.loads(body)["body"]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    expected = hmac.new(SECRET, headers[TIMESTAMP_HEADER].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    wrong = hmac.new(b"other", headers[TIMESTAMP_HEADER].encode() + b"." + body,
                     hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] != f"sha256={wrong}"
    assert the_row(opened).status is NotificationStatus.SENT


@pytest.mark.parametrize("answer, error", [
    (500, "DeliveryFailed: gateway answered HTTP 500"),
    (302, "DeliveryFailed: gateway answered HTTP 302"),
])
def test_an_error_answer_is_retried_and_then_sent_once(opened, gateway, frozen, answer, error):
    opened.remind(opened.numbers[0], "k")
    gateway.answers = [answer]

    first = send(opened, gateway.url)
    failed = the_row(opened)
    clock.freeze(T0 + dt.timedelta(minutes=1))
    second = send(opened, gateway.url)
    third = send(opened, gateway.url)

    assert first.retrying == 1
    assert failed.status is NotificationStatus.PENDING and failed.attempts == 1
    assert failed.last_error == error
    assert (second.sent, third.sent) == (1, 0)
    assert len(gateway.received) == 2  # the failed POST and the good one; nothing more
    assert the_row(opened).status is NotificationStatus.SENT


def test_a_refused_connection_is_retried(opened, gateway, frozen):
    opened.remind(opened.numbers[0], "k")

    first = send(opened, f"http://127.0.0.1:{free_port()}/kirim")  # nothing listens
    failed = the_row(opened)
    clock.freeze(T0 + dt.timedelta(minutes=1))
    second = send(opened, gateway.url)

    assert first.retrying == 1 and failed.attempts == 1
    assert "Connection refused" in failed.last_error
    assert second.sent == 1 and len(gateway.received) == 1
