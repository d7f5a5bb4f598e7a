"""Queueing: rendered in the caller's transaction, once per dedupe_key, with the member's
name filled in, and no address of any kind in the table."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from ksp.core.db import transaction
from ksp.members.errors import UnknownMember
from ksp.notifications import service
from ksp.notifications.models import Channel, Notification, NotificationStatus
from ksp.notifications.templates import RAT_UNDANGAN


def test_queue_renders_for_the_member_and_is_idempotent_by_dedupe_key(opened):
    number = opened.numbers[0]

    first = opened.remind(number, "loan:12:due:2026-03-15:-3")
    again = opened.remind(number, "loan:12:due:2026-03-15:-3", jumlah=999)

    assert first is not None and again is None
    assert first.status is NotificationStatus.PENDING and first.attempts == 0
    assert first.channel is Channel.WHATSAPP  # the KSP_NOTIFY_CHANNEL default
    assert first.body.startswith("Yth. Rosmawati Sinaga 1, angsuran ke-3 pinjaman no. 12 "
                                 "sebesar Rp 1.250.000 jatuh tempo pada 15 Maret 2026.")
    assert first.body.endswith("- KSP Sejahtera Bersama")
    with opened.factory() as session:
        rows = session.scalars(select(Notification)).all()
    assert [(r.dedupe_key, r.member_number) for r in rows] == [
        ("loan:12:due:2026-03-15:-3", number)]
    assert "Rp 999" not in rows[0].body  # the second call changed nothing


def test_a_message_to_an_unknown_member_is_refused_and_nothing_is_written(opened):
    with pytest.raises(UnknownMember), transaction(opened.factory) as session:
        service.queue(session, member_number=9999, template=RAT_UNDANGAN, params={},
                      dedupe_key="rat:2025:9999")
    with opened.factory() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_no_phone_nik_or_address_is_stored(opened):
    for number in opened.numbers:
        with transaction(opened.factory) as session:
            service.queue(session, member_number=number, template=RAT_UNDANGAN, params={
                "judul": "RAT 2025", "tanggal": dt.date(2026, 3, 14), "waktu": "09.00 WIB",
                "tempat": "Balai Desa", "agenda": "laporan pengurus"},
                dedupe_key=f"rat:2025:{number}")
    with opened.factory() as session:
        raw = session.execute(text("SELECT * FROM notifications")).all()
    stored = " ".join(str(value) for row in raw for value in row)
    assert len(raw) == 2
    for serial in (1, 2):
        assert opened.phone(serial) not in stored
        assert opened.phone(serial)[1:] not in stored  # not even without the leading 0
        assert "121701450790" not in stored  # NIK
        assert "Danau Toba" not in stored  # address
