"""A session lives only as long as its account: an exited member's token and a disabled
staff member's token stop working at once; `bearer` is accepted in any case."""

from __future__ import annotations

import pytest

from ksp.auth.models import Role
from ksp.auth.service import Principal, issue_token
from tests.members.helpers import deposit, register
from tests.support.client import PASSWORD, KspClient, new_wallet

STRONG = "tujuh-ekor-kerbau-di-sawah"


def _ended(reply):
    assert reply.status_code == 401, reply.text
    body = reply.json()
    assert body["code"] == "session_ended" and body["message"] and body["message_en"]


@pytest.fixture
def client(db_settings):
    return KspClient(db_settings)


def test_exited_member_token_is_refused(client):
    admin = client.staff(Role.ADMIN)
    account = new_wallet()
    number = register(client, admin, 1, wallet=account)
    deposit(client, admin, number, "pokok", 100_000)
    token = client.member_login(account)
    assert client.get(f"/api/v1/members/{number}/savings", token).status_code == 200

    leaving = client.post(f"/api/v1/members/{number}/exit", {}, admin)
    assert leaving.status_code == 200, leaving.text

    _ended(client.get(f"/api/v1/members/{number}/savings", token))
    _ended(client.get("/api/v1/auth/me", token))


def test_disabled_staff_token_and_login_are_refused_until_enabled(client):
    boss = client.staff(Role.SUPER_ADMIN)
    admin = client.staff(Role.ADMIN)
    assert client.get("/api/v1/members", admin).status_code == 200

    reply = client.post("/api/v1/auth/staff/admin/disable", {}, boss)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"username": "admin", "role": "admin", "active": False}

    _ended(client.get("/api/v1/members", admin))
    login = client.http.post("/api/v1/auth/login", json={"username": "admin",
                                                         "password": PASSWORD})
    assert login.status_code == 401 and login.json()["code"] == "bad_credentials"

    assert client.post("/api/v1/auth/staff/admin/enable", {}, boss).json()["active"] is True
    login = client.http.post("/api/v1/auth/login", json={"username": "admin",
                                                         "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert client.get("/api/v1/members", login.json()["token"]).status_code == 200
    _ended(client.get("/api/v1/members", admin))  # re-enabling does not revive old tokens


def test_only_super_admin_disables_and_never_themself(client):
    boss = client.staff(Role.SUPER_ADMIN)
    admin = client.staff(Role.ADMIN)
    refused = client.post("/api/v1/auth/staff/super_admin/disable", {}, admin)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    own = client.post("/api/v1/auth/staff/super_admin/disable", {}, boss)
    assert own.status_code == 409 and own.json()["code"] == "cannot_disable_self"
    missing = client.post("/api/v1/auth/staff/nobody/disable", {}, boss)
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_staff"
    assert client.get("/api/v1/auth/me", boss).status_code == 200


def test_token_for_an_account_that_does_not_exist_is_refused(client):
    secret = client.app.state.settings.secret_key_bytes()
    ghost = issue_token(Principal(subject="ghost", role=Role.SUPER_ADMIN), secret)
    _ended(client.get("/api/v1/auth/me", ghost))
    no_member = issue_token(Principal(subject="77", role=Role.ANGGOTA, member_number=77,
                                      wallet=new_wallet().address), secret)
    _ended(client.get("/api/v1/auth/me", no_member))


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(settings, scheme):
    client = KspClient(settings)
    token = client.staff(Role.ADMIN)
    reply = client.http.get("/api/v1/auth/me", headers={"Authorization": f"{scheme} {token}"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["subject"] == "admin"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "token"])
def test_other_authorization_headers_are_401(settings, header):
    client = KspClient(settings)
    reply = client.http.get("/api/v1/auth/me", headers={"Authorization": header})
    assert reply.status_code == 401 and reply.json()["code"] == "unauthenticated"


def test_staff_changes_own_password_and_older_tokens_end(client):
    admin = client.staff(Role.ADMIN)
    other_device = client.http.post("/api/v1/auth/login", json={
        "username": "admin", "password": PASSWORD}).json()["token"]

    reply = client.post("/api/v1/auth/password",
                        {"current_password": PASSWORD, "new_password": STRONG}, admin)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"username": "admin", "sessions_ended": True}

    _ended(client.get("/api/v1/auth/me", admin))
    _ended(client.get("/api/v1/auth/me", other_device))
    old = client.http.post("/api/v1/auth/login", json={"username": "admin",
                                                       "password": PASSWORD})
    assert old.status_code == 401
    new = client.http.post("/api/v1/auth/login", json={"username": "admin", "password": STRONG})
    assert new.status_code == 200, new.text


def test_password_change_refuses_wrong_current_weak_new_and_members(client):
    admin = client.staff(Role.ADMIN)
    wrong = client.post("/api/v1/auth/password",
                        {"current_password": "not-my-password", "new_password": STRONG}, admin)
    assert wrong.status_code == 403 and wrong.json()["code"] == "current_password_wrong"
    weak = client.post("/api/v1/auth/password",
                       {"current_password": PASSWORD, "new_password": "abc"}, admin)
    assert weak.status_code == 422, weak.text
    assert weak.json()["code"] == "weak_password"
    assert "10" in weak.json()["message"] and "10" in weak.json()["message_en"]
    # Nothing changed: the old password and the token still work.
    assert client.get("/api/v1/auth/me", admin).status_code == 200

    account = new_wallet()
    number = register(client, admin, 1, wallet=account)
    deposit(client, admin, number, "pokok", 100_000)
    member = client.member_login(account)
    refused = client.post("/api/v1/auth/password",
                          {"current_password": "x", "new_password": STRONG}, member)
    assert refused.status_code == 403, refused.text
