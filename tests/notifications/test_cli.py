"""`ksp notify send` and `ksp notify status` from the terminal (file adapter)."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from ksp.bootstrap import open_database
from ksp.cli import app
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import get_settings
from ksp.members import service as members
from ksp.notifications import service
from ksp.notifications.templates import LUNAS
from tests.support.cli import cli_settings
from tests.support.factories import registration


def test_send_from_the_cli_sends_once(tmp_path, monkeypatch):
    monkeypatch.delenv("KSP_NOTIFY_ADAPTER", raising=False)
    settings = cli_settings(tmp_path, monkeypatch)
    engine, factory = open_database(settings)
    with transaction(factory) as session:
        number = members.register(session, PiiCipher(settings.pii_key_bytes()),
                                  registration(1)).number
        service.queue(session, member_number=number, template=LUNAS, dedupe_key="loan:12:lunas",
                      params={"pinjaman_id": 12, "tanggal_lunas": dt.date(2026, 12, 1)})
    engine.dispose()
    runner = CliRunner()
    try:
        first = runner.invoke(app, ["notify", "send"])
        again = runner.invoke(app, ["notify", "send"])
        status = runner.invoke(app, ["notify", "status"])
    finally:
        get_settings.cache_clear()

    assert first.exit_code == 0, first.output
    assert "terkirim / sent 1, dicoba lagi nanti / retrying 0, gagal / failed 0" in first.output
    assert "terkirim / sent 0" in again.output
    assert "sent: 1" in status.output and "pending: 0" in status.output
    [line] = (tmp_path / "var" / "notifications.log").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["subject"] == "Pinjaman no. 12 lunas"
