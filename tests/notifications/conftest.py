"""A migrated database with two members whose phones are encrypted with the real cipher,
and a known cooperative name (messages end with it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ksp.bootstrap import open_database
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import Settings, get_settings
from ksp.members import service as members
from ksp.notifications import service
from ksp.notifications.models import Notification
from ksp.notifications.templates import PENGINGAT_JATUH_TEMPO
from tests.support.factories import person, registration

COOP = "KSP Sejahtera Bersama"


@dataclass
class Opened:
    factory: sessionmaker[Session]
    cipher: PiiCipher
    settings: Settings
    numbers: list[int]

    def phone(self, serial: int) -> str:
        return str(person(serial)["phone"])

    def remind(self, number: int, key: str, *, jumlah: int = 1_250_000) -> Notification | None:
        with transaction(self.factory) as session:
            return service.queue(
                session, member_number=number, template=PENGINGAT_JATUH_TEMPO,
                params={"pinjaman_id": 12, "angsuran_ke": 3, "jumlah": jumlah,
                        "jatuh_tempo": dt.date(2026, 3, 15)},
                dedupe_key=key)


@pytest.fixture(autouse=True)
def coop_name(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KSP_COOP_NAME", COOP)
    monkeypatch.delenv("KSP_NOTIFY_CHANNEL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def opened(db_settings: Settings) -> Iterator[Opened]:
    engine, factory = open_database(db_settings)
    cipher = PiiCipher(db_settings.pii_key_bytes())
    with transaction(factory) as session:
        numbers = [members.register(session, cipher, registration(serial)).number
                   for serial in (1, 2)]
    yield Opened(factory, cipher, db_settings, numbers)
    engine.dispose()
