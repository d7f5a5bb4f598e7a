"""Staff accounts API (issue 9 item 8): the super admin lists, creates with a role and
changes roles; a role change ends the account's sessions."""

from __future__ import annotations

from ksp.auth.models import Role
from tests.support.client import PASSWORD, KspClient

STRONG = "kopi-tubruk-danau-toba-77"


def _login(client, username, password):
    return client.http.post("/api/v1/auth/login",
                            json={"username": username, "password": password})


def test_super_admin_creates_lists_and_changes_a_role(db_settings):
    client = KspClient(db_settings)
    root = client.staff(Role.SUPER_ADMIN, "root")
    created = client.post("/api/v1/auth/staff",
                          {"username": "siti.teller", "password": STRONG, "role": "admin"}, root)
    assert created.status_code == 201, created.text
    assert created.json() == {"username": "siti.teller", "role": "admin", "active": True}
    token = _login(client, "siti.teller", STRONG).json()["token"]
    assert client.get("/api/v1/auth/me", token).json()["role"] == "admin"

    listed = client.get("/api/v1/auth/staff", root).json()["staff"]
    assert {(s["username"], s["role"], s["active"]) for s in listed} == {
        ("root", "super_admin", True), ("siti.teller", "admin", True)}

    changed = client.post("/api/v1/auth/staff/siti.teller/role", {"role": "pengurus"}, root)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["sessions_ended"]) == ("pengurus", True)
    ended = client.get("/api/v1/auth/me", token)
    assert ended.status_code == 401 and ended.json()["code"] == "session_ended"
    again = _login(client, "siti.teller", STRONG).json()
    assert again["role"] == "pengurus"


def test_weak_password_taken_name_and_own_role_are_refused(db_settings):
    client = KspClient(db_settings)
    root = client.staff(Role.SUPER_ADMIN, "root")
    weak = client.post("/api/v1/auth/staff",
                       {"username": "budi", "password": "password123", "role": "admin"}, root)
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    taken = client.post("/api/v1/auth/staff",
                        {"username": "root", "password": STRONG, "role": "admin"}, root)
    assert taken.status_code == 409 and taken.json()["code"] == "username_taken"
    member_role = client.post("/api/v1/auth/staff",
                              {"username": "budi", "password": STRONG, "role": "anggota"}, root)
    assert member_role.status_code == 422
    own = client.post("/api/v1/auth/staff/root/role", {"role": "admin"}, root)
    assert own.status_code == 409 and own.json()["code"] == "cannot_change_own_role"
    unknown = client.post("/api/v1/auth/staff/nobody/role", {"role": "admin"}, root)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_staff"
    names = {s["username"] for s in client.get("/api/v1/auth/staff", root).json()["staff"]}
    assert names == {"root"}  # nothing written


def test_only_the_super_admin_manages_staff(db_settings):
    client = KspClient(db_settings)
    client.staff(Role.SUPER_ADMIN, "root")
    for role in (Role.ADMIN, Role.PENGURUS, Role.PENGAWAS):
        token = client.staff(role)
        assert client.get("/api/v1/auth/staff", token).status_code == 403
        made = client.post("/api/v1/auth/staff",
                           {"username": "x-" + role.value, "password": STRONG,
                            "role": "super_admin"}, token)
        assert made.status_code == 403
        assert client.post("/api/v1/auth/staff/root/role", {"role": "pengawas"},
                           token).status_code == 403
    assert _login(client, "root", PASSWORD).json()["role"] == "super_admin"
