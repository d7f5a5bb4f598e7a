"""`ksp loans close` and `ksp loans portfolio` at the terminal: the close names who runs it,
closes each missed day once, and the portfolio shows the classes and the allowance."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ksp.audit.models import AuditEvent
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.bootstrap import open_database
from ksp.cli import app
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import get_settings
from tests.support.cli import cli_settings
from tests.support.factories import JOINED, join
from tests.support.loan_rows import disbursed_loan


@pytest.fixture
def cli(tmp_path, monkeypatch):
    clock.freeze(dt.datetime(2026, 3, 1, 5, tzinfo=dt.UTC))
    settings = cli_settings(tmp_path, monkeypatch)
    engine, factory = open_database(settings)
    with transaction(factory) as session:
        create_staff(session, username="ketua", password="uji-rahasia-123", role=Role.PENGURUS)
        create_staff(session, username="pak_pengawas", password="uji-rahasia-123",
                     role=Role.PENGAWAS)
        member = join(session, PiiCipher(settings.pii_key_bytes()), 1,
                      on=dt.date.fromisoformat(JOINED))
        disbursed_loan(session, member=member.number, first_due=dt.date(2026, 2, 15),
                       disbursed_on=dt.date(2026, 1, 15))
    runner = CliRunner()
    yield (lambda *args: runner.invoke(app, list(args))), factory
    engine.dispose()
    clock.freeze(None)
    get_settings.cache_clear()


def test_close_from_the_cli_runs_once_and_the_portfolio_shows_it(cli):
    run, factory = cli
    refused = run("loans", "close", "--as", "pak_pengawas")
    assert refused.exit_code == 2 and "tidak berwenang" in refused.output
    first = run("loans", "close", "--date", "2026-02-28", "--as", "ketua")
    again = run("loans", "close", "--date", "2026-02-28", "--as", "ketua")
    assert first.exit_code == 0, first.output
    # 19-28 February: 10 days x 0,1% of Rp 916.800 (Rp 917).
    assert "45 hari ditutup" in first.output and "denda Rp 9.170" in first.output
    assert again.exit_code == 0 and "Sudah ditutup" in again.output
    portfolio = run("loans", "portfolio", "--date", "2026-02-28")
    assert portfolio.exit_code == 0, portfolio.output
    assert "Dalam Perhatian Khusus" in portfolio.output and "Rp 10.000.000" in portfolio.output
    assert "NPL 0,00% (Sehat)" in portfolio.output
    assert "required Rp 500.000" in portfolio.output and "posted Rp 500.000" in portfolio.output
    with factory() as session:
        actions = [e.action for e in session.scalars(
            select(AuditEvent).where(AuditEvent.actor == "ketua"))]
    assert actions == ["cli: loans close", "cli: loans close"]
