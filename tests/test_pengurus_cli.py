"""The pengurus at the terminal: seed, list members, take a deposit, read the reports."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ksp.audit.models import AuditEvent
from ksp.auth.models import Role, StaffUser
from ksp.auth.service import create_staff
from ksp.bootstrap import open_database
from ksp.cli import app
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import get_settings
from ksp.ledger.models import JournalLine, LogEntry
from ksp.members import service as members
from ksp.savings import service as savings
from ksp.savings.service import ACCOUNT, Jenis
from tests.support.cli import cli_settings

KSP = str(Path(sys.executable).parent / "ksp")


def ksp(env: dict[str, str], *args: str, ok: bool = True) -> str:
    result = subprocess.run([KSP, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == (0 if ok else 2), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr  # errors go to stderr


def test_pengurus_runs_the_books_from_the_cli(tmp_path):
    env = {**os.environ, "KSP_VAR_DIR": str(tmp_path / "var"), "KSP_RPC_URL": "http://127.0.0.1:9",
           "COLUMNS": "200"}

    seeded = ksp(env, "demo", "seed", "--members-count", "3")
    assert "ketua" in seeded and "kata sandi" in seeded
    assert "sudah ada" in ksp(env, "demo", "seed", "--members-count", "3")  # not twice

    listing = ksp(env, "member", "list")
    assert "Rp 100.000" in listing  # everyone's simpanan pokok

    moved = ksp(env, "savings", "deposit", "1", "sukarela", "125.000", "--tanggal", "2026-01-02",
                "--alasan", "Slip Januari", "--as", "ketua")
    assert "Rp 125.000" in moved
    statement = ksp(env, "savings", "statement", "1")
    assert "Rp 125.000" in statement

    refused = ksp(env, "savings", "withdraw", "1", "999999999", "--as", "bendahara", ok=False)
    assert "tidak cukup" in refused and "Insufficient" in refused

    neraca = ksp(env, "report", "neraca")
    assert "Seimbang / balanced" in neraca
    trial = ksp(env, "report", "trial-balance")
    assert "Kas" in trial and "Jumlah" in trial
    assert "SHU" in ksp(env, "report", "phu")


# The same commands in-process (typer's CliRunner): errors, amounts and who acted.

@pytest.fixture
def cli(tmp_path, monkeypatch):
    settings = cli_settings(tmp_path, monkeypatch)
    _engine, factory = open_database(settings)
    cipher = PiiCipher(settings.pii_key_bytes())
    with transaction(factory) as session:
        for username, role in (("ketua", Role.PENGURUS), ("pak_pengawas", Role.PENGAWAS),
                               ("mantan", Role.ADMIN)):
            create_staff(session, username=username, password="uji-rahasia-123", role=role)
        session.scalars(select(StaffUser).where(StaffUser.username == "mantan")).one().active = (
            False)
        number = members.register(session, cipher, person_registration()).number
        savings.deposit(session, member_number=number, jenis=Jenis.POKOK, amount=100_000,
                        on=clock.today())
    runner = CliRunner()

    def run(*args, env=None):
        return runner.invoke(app, list(args), env=env)

    yield run, factory
    get_settings.cache_clear()


def person_registration():
    return members.Registration(nik="1217014507900001", name="Rosmawati Sinaga",
                                birth_date=dt.date(1990, 7, 5), address="Pangururan",
                                phone="081234567801", occupation="Petani")


def _rows(factory, model):
    with factory() as session:
        return list(session.scalars(select(model)))


def _user_error(result, *phrases):
    """Exit 2, both languages, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output


def test_fifty_thousand_written_the_indonesian_way_is_fifty_thousand(cli):
    run, factory = cli
    result = run("savings", "deposit", "1", "wajib", "50.000", "--as", "ketua")
    assert result.exit_code == 0, result.output
    assert "Rp 50.000" in result.output
    wajib = [line.amount for line in _rows(factory, JournalLine)
             if line.account_code == ACCOUNT[Jenis.WAJIB]]
    assert wajib == [50_000]


def test_an_ambiguous_amount_is_refused_and_nothing_is_written(cli):
    run, factory = cli
    before = len(_rows(factory, LogEntry)), len(_rows(factory, AuditEvent))
    for text in ("50,5", "50.00", "5.0000", "-5", "0", "abc"):
        # "--" so that "-5" reaches the parser instead of reading as an option
        _user_error(run("savings", "deposit", "--as", "ketua", "1", "wajib", "--", text),
                    "tidak dapat dibaca", "not understood")
    assert (len(_rows(factory, LogEntry)), len(_rows(factory, AuditEvent))) == before


def test_a_user_error_prints_no_traceback(cli):
    run, _factory = cli
    _user_error(run("savings", "statement", "999"), "Anggota 999 tidak ditemukan",
                "Member 999 not found")
    _user_error(run("report", "neraca", "--date", "0001-12-31"), "di luar rentang",
                "is outside")
    _user_error(run("savings", "deposit", "1", "sukarela", "5.000", "--tanggal", "9999-12-31",
                    "--as", "ketua"), "di luar rentang", "is outside")
    _user_error(run("savings", "deposit", "1", "sukarela", "5.000", "--tanggal", "2020-01-01",
                    "--as", "ketua"), "masuk pada", "joined on")


def test_writes_name_an_active_staff_account_allowed_to_act(cli):
    run, factory = cli
    before = len(_rows(factory, LogEntry))
    _user_error(run("savings", "deposit", "1", "sukarela", "5.000"), "--as", "Say who")
    _user_error(run("savings", "deposit", "1", "sukarela", "5.000", "--as", "siapa"),
                "Tidak ada akun staf aktif bernama siapa", "No active staff account")
    _user_error(run("savings", "deposit", "1", "sukarela", "5.000", "--as", "mantan"),
                "Tidak ada akun staf aktif bernama mantan")
    _user_error(run("savings", "deposit", "1", "sukarela", "5.000", "--as", "pak_pengawas"),
                "tidak berwenang", "may not do")
    assert len(_rows(factory, LogEntry)) == before


def test_the_cli_actor_is_in_the_audit_trail(cli):
    run, factory = cli
    result = run("savings", "deposit", "1", "sukarela", "Rp 75.000", env={"KSP_ACTOR": "ketua"})
    assert result.exit_code == 0, result.output
    event = _rows(factory, AuditEvent)[-1]
    seq = max(entry.seq for entry in _rows(factory, LogEntry))
    assert (event.actor, event.role, event.action, event.log_seq) == (
        "ketua", "pengurus", "cli: savings deposit", seq)


def test_closing_and_reopening_the_books_from_the_cli(cli):
    run, factory = cli
    _user_error(run("period", "close", "9999-12-31", "--as", "ketua"), "di luar rentang")
    _user_error(run("period", "close", clock.today().isoformat(), "--as", "ketua"),
                "sudah lewat", "past date")
    _user_error(run("period", "close", "2025-06-30", "--as", "pak_pengawas"), "tidak berwenang")
    assert run("period", "close", "2025-06-30", "--as", "ketua").exit_code == 0

    asked = run("period", "reopen", "--through", "2025-03-31", "--alasan", "Slip April",
                "--as", "pak_pengawas")
    assert asked.exit_code == 0, asked.output
    _user_error(run("period", "approve", "1", "--as", "pak_pengawas"), "harus disetujui oleh")
    approved = run("period", "approve", "1", "--as", "ketua")
    assert approved.exit_code == 0, approved.output
    shown = run("period", "show")
    assert "2025-03-31" in shown.output and "Slip April" in shown.output
    actions = [(e.actor, e.action) for e in _rows(factory, AuditEvent)]
    assert actions[-3:] == [("ketua", "cli: period close"),
                            ("pak_pengawas", "cli: period reopen"),
                            ("ketua", "cli: period approve")]
    reopened = [e for e in _rows(factory, LogEntry) if e.kind == "period.reopened"]
    assert len(reopened) == 1 and _rows(factory, AuditEvent)[-1].log_seq == reopened[0].seq
