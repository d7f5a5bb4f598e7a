"""The staff console through FastAPI's TestClient: sign-in and out, CSRF, the pengawas
who sees everything and changes nothing, teller amounts as typed, and NIK errors shown
next to the field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from ksp.audit.models import AuditEvent
from ksp.auth.models import Role
from ksp.auth.service import set_staff_active
from ksp.core.db import transaction
from ksp.core.idempotency import IdempotencyRecord
from ksp.core.settings import Settings
from ksp.ledger.models import JournalEntry
from ksp.members.models import Member
from tests.support.client import PASSWORD, KspClient
from tests.support.factories import anggota, nik, person, register


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name!r} in the page"
    return found.group(1)


def sign_in(client: KspClient, role: Role, username: str | None = None) -> str:
    """Creates the account (through KspClient) and signs in on the console; the CSRF token."""
    username = username or role.value
    client.staff(role, username)
    http = client.http
    http.cookies.clear()
    form = http.get("/staff/masuk")
    assert form.status_code == 200
    reply = http.post("/staff/masuk", data={"username": username, "password": PASSWORD,
                                             "nonce": hidden(form.text, "nonce")},
                      follow_redirects=False)
    assert reply.status_code == 303, reply.text
    assert reply.headers["location"] == "/staff/anggota"
    return hidden(http.get("/staff/anggota").text, "csrf")


def counts(client: KspClient) -> tuple[int, int, int, int]:
    with client.app.state.sessionmaker() as session:
        return (session.scalar(select(func.count()).select_from(Member)) or 0,
                session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


@pytest.fixture
def client(settings: Settings) -> KspClient:
    return KspClient(settings)


def test_sign_in_sets_a_strict_httponly_cookie_and_sign_out_ends_it(client: KspClient) -> None:
    http = client.http
    assert http.get("/staff/anggota", follow_redirects=False).headers["location"] == \
        "/staff/masuk"
    client.staff(Role.ADMIN)
    form = http.get("/staff/masuk")
    assert "default-src 'self'" in form.headers["content-security-policy"]
    reply = http.post("/staff/masuk", data={"username": "admin", "password": PASSWORD,
                                             "nonce": hidden(form.text, "nonce")},
                      follow_redirects=False)
    cookie = reply.headers["set-cookie"].lower()
    assert "ksp_staff=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    page = http.get("/staff/anggota")
    assert page.status_code == 200 and "admin · admin" in page.text
    out = http.post("/staff/keluar", data={"csrf": hidden(page.text, "csrf")},
                    follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/staff/masuk"
    assert http.get("/staff/anggota", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_in_both_languages(client: KspClient) -> None:
    client.staff(Role.ADMIN)
    form = client.http.get("/staff/masuk")
    reply = client.http.post("/staff/masuk", data={"username": "admin", "password": "salah-sekali",
                                                    "nonce": hidden(form.text, "nonce")})
    assert reply.status_code == 401
    assert "ksp_staff=" not in reply.headers.get("set-cookie", "")
    assert 'id="err-_form"' in reply.text


def test_sign_in_without_the_form_nonce_is_refused(client: KspClient) -> None:
    client.staff(Role.ADMIN)
    reply = client.http.post("/staff/masuk", data={"username": "admin", "password": PASSWORD})
    assert reply.status_code == 403
    assert "ksp_staff=" not in reply.headers.get("set-cookie", "")


def test_a_disabled_account_is_signed_out_at_once(client: KspClient) -> None:
    sign_in(client, Role.ADMIN)
    with transaction(client.app.state.sessionmaker) as session:
        set_staff_active(session, "admin", active=False)
    reply = client.http.get("/staff/anggota", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/staff/masuk"


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(client: KspClient) -> None:
    csrf = sign_in(client, Role.PENGURUS)
    before = counts(client)
    body = person(1) | {"kunci": "k-csrf-1"}
    for sent in ({}, {"csrf": "0" * 64}):
        reply = client.http.post("/staff/anggota/baru", data=body | sent)
        assert reply.status_code == 403
        assert "CSRF" in reply.text
    assert counts(client) == before
    # The same form with the session's token goes through.
    ok = client.http.post("/staff/anggota/baru", data=body | {"csrf": csrf},
                          follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/anggota/1?baru=1"


def test_pengawas_sees_every_page_but_every_write_is_refused(client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    csrf = sign_in(client, Role.PENGAWAS)
    http = client.http
    for path in ("/staff/anggota", "/staff/anggota/baru", f"/staff/anggota/{number}",
                 f"/staff/anggota/{number}/keluar", f"/staff/teller?anggota={number}"):
        page = http.get(path)
        assert page.status_code == 200, path
        assert 'id="read-only"' in page.text, path
        assert 'type="submit">Daftarkan' not in page.text and "Periksa <" not in page.text
        assert "Ya, keluarkan" not in page.text
    assert "Rosmawati Sinaga 1" in http.get("/staff/anggota?q=rosma").text
    before = counts(client)
    writes = {
        "/staff/anggota/baru": person(2),
        "/staff/teller/periksa": {"member": str(number), "arah": "setor", "jenis": "sukarela",
                                  "amount": "50.000"},
        "/staff/teller/simpan": {"member": str(number), "arah": "setor", "jenis": "sukarela",
                                 "amount": "50000"},
        f"/staff/anggota/{number}/keluar": {},
    }
    for path, body in writes.items():
        reply = http.post(path, data=body | {"csrf": csrf, "kunci": f"k-{path}"})
        assert reply.status_code == 403, path
        assert 'id="refused"' in reply.text and "hanya boleh melihat" in reply.text
    assert counts(client) == before


def test_teller_deposit_typed_as_50_000_posts_rp_50_000(client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    csrf = sign_in(client, Role.ADMIN)
    http = client.http
    form = http.get(f"/staff/teller?anggota={number}")
    assert "Rosmawati Sinaga 1" in form.text
    key = hidden(form.text, "kunci")
    check = http.post("/staff/teller/periksa", data={
        "csrf": csrf, "kunci": key, "member": str(number), "arah": "setor",
        "jenis": "sukarela", "amount": "50.000"})
    assert check.status_code == 200
    assert "Rp 50.000" in check.text and 'id="balances-before"' in check.text
    entries = counts(client)[1]
    confirm = {"csrf": csrf, "kunci": key, "member": str(number), "arah": "setor",
               "jenis": "sukarela", "amount": hidden(check.text, "amount")}
    saved = http.post("/staff/teller/simpan", data=confirm, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/staff/struk/{key}"
    again = http.post("/staff/teller/simpan", data=confirm, follow_redirects=False)
    assert again.headers["location"] == f"/staff/struk/{key}"  # a double click posts once
    assert counts(client)[1] == entries + 1
    balances: Any = client.get(f"/api/v1/members/{number}/savings", pengurus).json()
    assert balances["balances"]["sukarela"] == 50_000
    receipt = http.get(saved.headers["location"])
    assert receipt.status_code == 200
    assert re.search(r'id="receipt-amount">Rp 50\.000<', receipt.text)
    assert re.search(r'id="receipt-balance">Rp 50\.000<', receipt.text)
    with client.app.state.sessionmaker() as session:
        audit = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert audit is not None and audit.actor == "admin"
    assert audit.action == "POST /staff/teller/simpan" and audit.log_seq is not None


def test_an_amount_not_understood_is_shown_next_to_the_amount(client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    csrf = sign_in(client, Role.ADMIN)
    before = counts(client)
    reply = client.http.post("/staff/teller/simpan", data={
        "csrf": csrf, "kunci": "k-amount", "member": str(number), "arah": "setor",
        "jenis": "sukarela", "amount": "50,5"})
    assert reply.status_code == 422
    assert re.search(r'id="err-amount"[^>]*>Jumlah .*koma', reply.text)
    assert counts(client) == before


def test_a_bad_nik_is_shown_next_to_the_field_and_nothing_is_written(client: KspClient) -> None:
    csrf = sign_in(client, Role.PENGURUS)
    before = counts(client)
    body = person(1, nik="1217014507900000"[:15] + "X") | {"csrf": csrf, "kunci": "k-nik"}
    reply = client.http.post("/staff/anggota/baru", data=body)
    assert reply.status_code == 422
    field = re.search(r'name="nik"[^>]*>\s*</label>\s*<p class="err" id="err-nik"[^>]*>([^<]*)'
                      r'<br><small class="en">([^<]*)<', reply.text)
    assert field, reply.text
    assert field.group(1).startswith("NIK tidak valid") and field.group(2).startswith(
        "Invalid NIK")
    assert "Rosmawati Sinaga 1" in reply.text  # what was typed stays in the form
    # The birth date that does not match the NIK is the service's own check.
    wrong = person(1, birth_date="1991-07-05") | {"csrf": csrf, "kunci": "k-nik-2"}
    reply = client.http.post("/staff/anggota/baru", data=wrong)
    assert reply.status_code == 422 and "tanggal lahir tidak sama dengan NIK" in reply.text
    assert counts(client) == before


def test_search_finds_by_name_number_and_nik(client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    for serial in (1, 2, 3):
        register(client, pengurus, serial, name=f"Anggota Nama{serial}")
    sign_in(client, Role.ADMIN)
    http = client.http
    assert "Nama2" in http.get("/staff/anggota?q=nama2").text
    by_number = http.get("/staff/anggota?q=3", headers={"HX-Request": "true"})
    assert "Nama3" in by_number.text and "Nama1" not in by_number.text
    assert "<html" not in by_number.text  # htmx gets the rows only
    by_nik = http.get(f"/staff/anggota?q={nik(2)}").text
    assert "Nama2" in by_nik and "Nama1" not in by_nik


def test_exit_confirmation_shows_the_payout_then_pays_it(client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    csrf = sign_in(client, Role.PENGURUS, "pengurus2")
    confirm = client.http.get(f"/staff/anggota/{number}/keluar")
    assert re.search(r"Simpanan pokok.*Rp 100\.000", confirm.text, re.S)
    done = client.http.post(f"/staff/anggota/{number}/keluar",
                            data={"csrf": csrf, "kunci": hidden(confirm.text, "kunci")})
    assert done.status_code == 200 and "telah keluar" in done.text
    profile: Any = client.get(f"/api/v1/members/{number}", pengurus).json()
    assert profile["status"] == "keluar"


def test_password_change_shows_the_policy_error_then_ends_the_session(
        client: KspClient) -> None:
    csrf = sign_in(client, Role.PENGAWAS)  # every staff role changes its own password
    http = client.http
    key = hidden(http.get("/staff/sandi").text, "kunci")
    weak = http.post("/staff/sandi", data={"csrf": csrf, "kunci": key,
                                           "current_password": PASSWORD,
                                           "new_password": "password1"})
    assert weak.status_code == 422 and 'id="err-new_password"' in weak.text
    done = http.post("/staff/sandi", data={
        "csrf": csrf, "kunci": key, "current_password": PASSWORD,
        "new_password": "kerbau-sawah-merah-tujuh"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/masuk?sandi=1"
    assert http.get("/staff/anggota", follow_redirects=False).status_code == 303


def test_hostile_input_never_gives_a_500_on_either_database(db_settings: Settings) -> None:
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    csrf = sign_in(client, Role.ADMIN)
    http = client.http
    before = counts(client)
    nul = "a\x00b"
    url_nul = "a%00b"  # httpx refuses a raw NUL in a URL; the server sees the decoded one
    for path in (f"/staff/anggota?q={url_nul}", "/staff/anggota?q=%25_%5C",
                 f"/staff/struk/{url_nul}", "/staff/struk/" + "x" * 300,
                 f"/staff/teller?anggota={url_nul}",
                 "/staff/anggota/99999999999999999999"):
        assert http.get(path).status_code < 500, path
    teller = {"member": str(number), "arah": "setor", "jenis": "sukarela", "amount": "50.000"}
    posts = [("/staff/teller/simpan", teller | {"kunci": nul}),
             ("/staff/teller/simpan", teller | {"kunci": "k", "amount": nul}),
             ("/staff/teller/periksa", teller | {"member": nul, "jenis": nul}),
             ("/staff/anggota/baru", person(2, nik=nul, name=nul) | {"kunci": "k2"}),
             ("/staff/anggota/baru", person(2) | {"kunci": nul}),
             (f"/staff/anggota/{number}/keluar", {"kunci": nul})]
    for path, body in posts:
        reply = http.post(path, data=body | {"csrf": csrf})
        assert 400 <= reply.status_code < 500, (path, reply.status_code)
    assert counts(client) == before
