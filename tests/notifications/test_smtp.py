"""The SMTP adapter against a real SMTP server started here (aiosmtpd on 127.0.0.1): the
member's message arrives at the address made from their phone, in correct UTF-8."""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from ksp.core.db import transaction
from ksp.notifications import service
from ksp.notifications.adapters import SmtpAdapter
from ksp.notifications.dispatch import send_pending
from ksp.notifications.models import Channel, Notification, NotificationStatus
from ksp.notifications.templates import RAT_UNDANGAN
from tests.conftest import free_port

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:  # pragma: no cover - the dev dependency is missing
    Controller = None


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self.unknown: set[str] = set()

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address in self.unknown:
            return f"550 5.1.1 <{address}> unknown user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        mail = email.message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 OK"


def login_only(user: str, password: str):
    def check(_server, _session, _envelope, _mechanism, auth_data):
        return AuthResult(success=auth_data.login == user.encode()
                          and auth_data.password == password.encode())
    return check


@pytest.fixture
def smtp_server():
    if Controller is None:
        pytest.skip("SKIPPED LOUDLY: aiosmtpd is not installed (dev dependency)")
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port,
                            authenticator=login_only("ksp", "rahasia-uji"),
                            auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


AGENDA = "laporan pengurus – tahun buku 2025, pembagian SHU"


def test_a_member_notice_arrives_by_smtp_in_utf8(opened, smtp_server):
    inbox, port = smtp_server
    number = opened.numbers[0]
    with transaction(opened.factory) as session:
        service.queue(session, member_number=number, template=RAT_UNDANGAN,
                      channel=Channel.EMAIL, dedupe_key=f"rat:2025:{number}", params={
                          "judul": "Rapat Anggota Tahunan — Tahun Buku 2025",
                          "tanggal": dt.date(2026, 3, 14), "waktu": "09.00 WIB",
                          "tempat": "Balai Desa Pangururan", "agenda": AGENDA})
    adapter = SmtpAdapter(host="127.0.0.1", port=port, sender="ksp@ksp.example",
                          to_template="{phone}@sms-gateway.example", starttls=False,
                          user="ksp", password="rahasia-uji", timeout=5)

    counts = send_pending(opened.factory, adapter, cipher=opened.cipher,
                          settings=opened.settings)

    assert counts.sent == 1
    [(recipients, mail)] = inbox.mails
    address = f"{opened.phone(1)}@sms-gateway.example"
    assert recipients == [address] and mail["To"] == address
    assert mail["From"] == "ksp@ksp.example"
    assert mail["Subject"] == "Undangan Rapat Anggota Tahunan — Tahun Buku 2025"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().replace("\r\n", "\n") == (
        "Yth. Rosmawati Sinaga 1, Anda diundang menghadiri Rapat Anggota Tahunan — Tahun "
        "Buku 2025 pada Sabtu, 14 Maret 2026 pukul 09.00 WIB di Balai Desa Pangururan. "
        f"Acara: {AGENDA}. Kehadiran anggota menentukan sahnya keputusan rapat. - Pengurus "
        "KSP Sejahtera Bersama\n")
    assert mail["Message-ID"].endswith("@ksp.example>")


def test_a_refused_recipient_leaves_the_message_pending_without_the_address(
        opened, smtp_server):
    inbox, port = smtp_server
    opened.remind(opened.numbers[0], "loan:12:due:2026-03-15:-3")
    adapter = SmtpAdapter(host="127.0.0.1", port=port, sender="ksp@ksp.example",
                          to_template="{phone}@sms-gateway.example", starttls=False,
                          user="ksp", password="rahasia-uji", timeout=5)
    inbox.unknown.add(f"{opened.phone(1)}@sms-gateway.example")

    counts = send_pending(opened.factory, adapter, cipher=opened.cipher,
                          settings=opened.settings)

    assert counts.retrying == 1 and inbox.mails == []
    with opened.factory() as session:
        row = session.scalars(select(Notification)).one()
    assert row.status is NotificationStatus.PENDING and row.attempts == 1
    assert row.last_error.startswith("SMTPRecipientsRefused")
    assert "<penerima>@sms-gateway.example" in row.last_error
    assert opened.phone(1) not in row.last_error
