"""`ksp import payroll`: the pengurus at the terminal, with the rejects report written
next to the file."""

from __future__ import annotations

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
from ksp.printing.render import read_csv
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.cli import cli_settings
from tests.support.factories import join


@pytest.fixture
def cli(tmp_path, monkeypatch):
    settings = cli_settings(tmp_path, monkeypatch)
    engine, factory = open_database(settings)
    cipher = PiiCipher(settings.pii_key_bytes())
    with transaction(factory) as session:
        create_staff(session, username="ketua", password="uji-rahasia-123", role=Role.PENGURUS)
        create_staff(session, username="pak_pengawas", password="uji-rahasia-123",
                     role=Role.PENGAWAS)
        for serial in (1, 2):
            join(session, cipher, serial, on=clock.today())
    runner = CliRunner()
    yield (lambda *args: runner.invoke(app, list(args))), factory
    engine.dispose()
    get_settings.cache_clear()


def test_import_from_the_cli_posts_reports_and_does_not_post_twice(cli, tmp_path):
    run, factory = cli
    file = tmp_path / "gaji-2026-11.csv"
    file.write_bytes(b"nomor_anggota;wajib;sukarela\n1;50.000;\n2;50.000;10.000\n3;50.000;\n")

    first = run("import", "payroll", str(file), "--period", "2026-11", "--as", "ketua")
    second = run("import", "payroll", str(file), "--period", "2026-11", "--as", "ketua")

    assert first.exit_code == 0, first.output
    assert "2 baris diposting (Rp 110.000)" in first.output
    assert "2 lines posted (Rp 110.000)" in first.output
    assert "ditolak: 1 baris" in first.output
    rejects = read_csv((tmp_path / "gaji-2026-11.ditolak.csv").read_text(encoding="utf-8"))
    assert rejects[1] == ["4", "3", "unknown_member", "anggota 3 tidak ditemukan",
                          "member 3 not found"]
    assert second.exit_code == 0, second.output
    assert "0 baris diposting" in second.output and "sudah diimpor: 2 baris" in second.output
    with factory() as session:
        assert savings.balances(session, 2)[Jenis.SUKARELA] == 10_000
        assert savings.balances(session, 1)[Jenis.WAJIB] == 50_000
        actions = [e.action for e in session.scalars(select(AuditEvent)
                                                     .where(AuditEvent.actor == "ketua"))]
    assert actions == ["cli: payroll import", "cli: payroll import selesai"] * 2


def test_the_cli_refuses_a_pengawas_and_an_unreadable_file(cli, tmp_path):
    run, factory = cli
    file = tmp_path / "gaji.csv"
    file.write_bytes(b"nomor_anggota;wajib\n1;50.000\n")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("nomor_anggota;wajib;nama\n1;50.000;Süß\n".encode("latin-1"))

    pengawas = run("import", "payroll", str(file), "--period", "2026-11", "--as",
                   "pak_pengawas")
    nobody = run("import", "payroll", str(file), "--period", "2026-11")
    unreadable = run("import", "payroll", str(latin1), "--period", "2026-11", "--as", "ketua")

    assert pengawas.exit_code == 2 and "tidak berwenang" in pengawas.output
    assert nobody.exit_code == 2 and "--as" in nobody.output
    assert unreadable.exit_code == 2
    assert "bukan teks UTF-8" in unreadable.output and "not UTF-8" in unreadable.output
    with factory() as session:
        assert savings.balances(session, 1)[Jenis.WAJIB] == 0
