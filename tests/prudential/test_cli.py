"""`ksp report prudential`: the figures at the terminal; a date before the first record
ends in the bilingual refusal (exit 2), nothing written."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from typer.testing import CliRunner

from ksp.bootstrap import open_database
from ksp.cli import app
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import get_settings
from ksp.ledger.models import LogEntry
from ksp.members import service as members
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.cli import cli_settings


def test_the_figures_and_the_pre_founding_refusal(tmp_path, monkeypatch):
    settings = cli_settings(tmp_path, monkeypatch)
    _engine, factory = open_database(settings)
    with transaction(factory) as session:
        number = members.register(session, PiiCipher(settings.pii_key_bytes()),
                                  members.Registration(
                                      nik="1217014507900001", name="Rosmawati Sinaga",
                                      birth_date=dt.date(1990, 7, 5), address="Pangururan",
                                      phone="081234567801", occupation="Petani")).number
        savings.deposit(session, member_number=number, jenis=Jenis.POKOK, amount=100_000,
                        on=clock.today())
        savings.deposit(session, member_number=number, jenis=Jenis.SUKARELA, amount=400_000,
                        on=clock.today())
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["report", "prudential"])
        assert shown.exit_code == 0, shown.output
        # Kas 500.000 over sukarela 400.000: 125,00%; no loans: NPL 0, Sehat.
        assert "125,00%" in shown.output and "0,00% (Sehat)" in shown.output
        with factory() as session:
            before = session.scalar(select(func.count()).select_from(LogEntry))
        early = (clock.today() - dt.timedelta(days=1)).isoformat()
        refused = runner.invoke(app, ["report", "prudential", "--date", early])
        assert refused.exit_code == 2, refused.output
        assert "sebelum koperasi berdiri" in refused.output
        assert "before the cooperative existed" in refused.output
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(LogEntry)) == before
    finally:
        get_settings.cache_clear()
