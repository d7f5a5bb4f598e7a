"""Staff password policy (length and a zxcvbn strength check), and the staff commands of
the pengurus CLI: `staff add` refuses a weak password, `staff disable` ends sessions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from ksp.auth.errors import WeakPassword
from ksp.auth.models import Role, StaffUser
from ksp.auth.service import check_password_policy, create_staff
from ksp.bootstrap import open_database
from ksp.core.db import transaction
from tests.support.client import KspClient

KSP = str(Path(sys.executable).parent / "ksp")


@pytest.mark.parametrize(("password", "reason_en"), [
    ("abc", "at least 10 characters"),
    ("123456789", "at least 10 characters"),
    ("password123", "too easy to guess"),
    ("qwertyuiop", "too easy to guess"),
    ("bendahara2026", "too easy to guess"),
    ("aaaaaaaaaaaaaaaa", "too easy to guess"),
])
def test_weak_passwords_are_refused_with_the_reason_in_both_languages(password, reason_en):
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password, username="bendahara")
    body = refused.value.to_json()
    assert body["code"] == "weak_password"
    assert reason_en in body["message_en"]
    assert body["message"].startswith("Kata sandi ditolak: ")
    assert ("minimal 10 karakter" in body["message"]) == ("10 characters" in reason_en)


@pytest.mark.parametrize("password", ["tujuh-ekor-kerbau-di-sawah", "Danau Toba 1957 biru!"])
def test_strong_passwords_pass(password):
    check_password_policy(password, username="bendahara")


def test_create_staff_refuses_weak_password(settings):
    client = KspClient(settings)
    with pytest.raises(WeakPassword), transaction(client.app.state.sessionmaker) as session:
        create_staff(session, username="kasir", password="abc", role=Role.ADMIN)
    with client.app.state.sessionmaker() as session:
        assert session.scalars(select(StaffUser)).first() is None


def _ksp(env, *args, stdin=""):
    return subprocess.run([KSP, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def cli_env(settings):
    env = {**os.environ, "KSP_ENV": "test", "KSP_VAR_DIR": str(settings.var_dir),
           "KSP_DATABASE_URL": settings.database_url, "KSP_RPC_URL": "http://127.0.0.1:9",
           "COLUMNS": "200"}
    return env


def test_cli_staff_add_refuses_abc_without_a_traceback(cli_env, settings):
    result = _ksp(cli_env, "staff", "add", "kasir", "admin", stdin="abc\nabc\n")
    assert result.returncode == 2, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "Kata sandi ditolak" in said and "at least 10" in said
    assert "Traceback" not in said
    _engine, factory = open_database(settings)
    with factory() as session:
        assert session.scalars(select(StaffUser)).first() is None


def test_cli_staff_disable_ends_login_and_tokens(cli_env, settings):
    client = KspClient(settings)
    token = client.staff(Role.ADMIN, "kasir")
    client.staff(Role.SUPER_ADMIN, "ketua")
    assert client.get("/api/v1/auth/me", token).status_code == 200

    result = _ksp(cli_env, "staff", "disable", "kasir", "--as", "ketua")
    assert result.returncode == 0, result.stdout + result.stderr
    assert client.get("/api/v1/auth/me", token).json()["code"] == "session_ended"

    missing = _ksp(cli_env, "staff", "disable", "nobody", "--as", "ketua")
    assert missing.returncode == 2 and "tidak ditemukan" in missing.stdout + missing.stderr
    assert _ksp(cli_env, "staff", "enable", "kasir", "--as", "ketua").returncode == 0
    with client.app.state.sessionmaker() as session:
        kasir = session.scalars(select(StaffUser).where(StaffUser.username == "kasir")).one()
        assert kasir.active is True
