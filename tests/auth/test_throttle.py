"""Sign-in throttling: a username locks after repeated failures, each client IP has an
attempt limit, both answer 429 in our error shape with Retry-After, and the counters are
in the database so separate API processes share them."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ksp.api.app import create_app
from ksp.auth.models import LoginThrottle, Role
from ksp.core import clock
from tests.support.client import PASSWORD, KspClient

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def frozen():
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    clock.freeze(start)
    yield start
    clock.freeze(None)


def _login(http, username, password):
    reply = http.post(LOGIN, json={"username": username, "password": password})
    assert reply.status_code != 500, reply.text
    return reply


def _throttled(reply, seconds):
    assert reply.status_code == 429, reply.text
    body = reply.json()
    assert body["code"] == "too_many_attempts"
    assert body["message"].startswith("Terlalu banyak") and "Too many" in body["message_en"]
    assert reply.headers["Retry-After"] == str(seconds)
    assert body["details"] == {"retry_after": seconds}


def test_username_locks_after_repeated_failures_even_for_the_right_password(db_settings,
                                                                            frozen):
    settings = db_settings.model_copy(update={"login_max_failures": 3,
                                              "login_lockout_seconds": 600})
    client = KspClient(settings)
    client.staff(Role.ADMIN)
    for _ in range(3):
        assert _login(client.http, "admin", "salah-tebak-1").status_code == 401
    _throttled(_login(client.http, "admin", PASSWORD), 600)

    clock.freeze(frozen + dt.timedelta(seconds=450))
    _throttled(_login(client.http, "admin", PASSWORD), 150)
    clock.freeze(frozen + dt.timedelta(seconds=601))
    assert _login(client.http, "admin", PASSWORD).status_code == 200


def test_success_resets_the_failure_count(settings, frozen):
    client = KspClient(settings.model_copy(update={"login_max_failures": 3}))
    client.staff(Role.ADMIN)
    for _ in range(2):
        assert _login(client.http, "admin", "salah").status_code == 401
    assert _login(client.http, "admin", PASSWORD).status_code == 200
    for _ in range(2):
        assert _login(client.http, "admin", "salah").status_code == 401
    assert _login(client.http, "admin", PASSWORD).status_code == 200


def test_client_ip_has_an_attempt_limit(settings, frozen):
    client = KspClient(settings.model_copy(update={"login_ip_max_attempts": 4,
                                                   "login_ip_window_seconds": 60}))
    for i in range(4):  # different usernames: no single account locks
        assert _login(client.http, f"tebak{i}", "salah").status_code == 401
    _throttled(_login(client.http, "tebak9", "salah"), 60)
    clock.freeze(frozen + dt.timedelta(seconds=61))
    assert _login(client.http, "tebak9", "salah").status_code == 401


def test_lockout_holds_across_api_processes_sharing_the_database(db_settings, frozen):
    # Two apps with their own engines and pools, as two worker processes would have.
    settings = db_settings.model_copy(update={"login_max_failures": 4})
    first = KspClient(settings)
    first.staff(Role.ADMIN)
    second = KspClient(settings)
    assert second.app is not first.app and second.app.state.engine is not first.app.state.engine
    for http in (first.http, second.http, first.http, second.http):
        assert _login(http, "admin", "salah").status_code == 401
    assert _login(first.http, "admin", PASSWORD).status_code == 429
    assert _login(second.http, "admin", PASSWORD).status_code == 429


def test_throttle_rows_of_old_guesses_are_swept(settings, frozen):
    http = TestClient(create_app(settings))
    for i in range(5):
        _login(http, f"tebakan{i}", "salah")
    clock.freeze(frozen + dt.timedelta(hours=1))
    _login(http, "terakhir", "salah")
    with http.app.state.sessionmaker() as session:
        keys = list(session.scalars(select(LoginThrottle.key)))
    assert sorted(keys) == ["ip:testclient", "user:terakhir"]


def test_username_with_control_characters_is_422_not_500(db_settings):
    client = KspClient(db_settings)
    boss = client.staff(Role.SUPER_ADMIN)
    reply = client.http.post(LOGIN, json={"username": "a\x00b", "password": "x"})
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_input"
    path = client.post("/api/v1/auth/staff/a%00b/disable", {}, boss)
    assert path.status_code == 422 and path.json()["code"] == "invalid_input"
