"""The console's payroll upload refuses, with JSON in both languages and nothing written:
a wrong CSRF token, a missing form key, a bad month, a file that is no list; and a resent
upload (same form key) answers the same import."""

from __future__ import annotations

from ksp.auth.models import Role
from tests.console.test_console import sign_in
from tests.support.client import KspClient
from tests.support.factories import anggota
from tests.support.rows import counts

UPLOAD = "/staff/potong-gaji/unggah"


def send(client: KspClient, csrf: str, data: bytes, *, key: str = "form-key-1",
         query: str = "period=2026-11"):
    return client.http.post(f"{UPLOAD}?{query}", content=data, headers={
        "Content-Type": "text/csv", "X-CSRF-Token": csrf, "Idempotency-Key": key})


def test_bad_uploads_are_refused_in_both_languages_and_nothing_is_written(settings):
    client = KspClient(settings)
    anggota(client, client.staff(Role.PENGURUS), 1)
    csrf = sign_in(client, Role.ADMIN)
    good = b"nomor_anggota;wajib\n1;50.000\n"
    before = counts(client)

    wrong_token = send(client, "not-the-token", good)
    no_key = send(client, csrf, good, key="")
    bad_month = send(client, csrf, good, query="period=2026-13")
    no_list = send(client, csrf, b"nama;alamat\nAni;Medan\n")

    assert wrong_token.status_code == 403 and "CSRF" in wrong_token.text
    for reply, code, field in ((no_key, "invalid_input", None),
                               (bad_month, "payroll_invalid_period", "period"),
                               (no_list, "payroll_header_invalid", None)):
        assert reply.status_code == 422, reply.text
        body = reply.json()
        assert (body["code"], body["field"]) == (code, field)
        assert body["message"] and body["message_en"] and body["message"] != body["message_en"]
    assert counts(client) == before


def test_a_resent_upload_answers_the_same_import(settings):
    client = KspClient(settings)
    anggota(client, client.staff(Role.PENGURUS), 1)
    csrf = sign_in(client, Role.ADMIN)
    data = b"nomor_anggota;wajib\n1;50.000\n"

    first = send(client, csrf, data)
    after_first = counts(client)
    again = send(client, csrf, data)

    assert first.status_code == 201, first.text
    assert again.json() == first.json() == {"id": 1, "href": "/staff/potong-gaji/1"}
    assert counts(client) == after_first
    page = client.http.get("/staff/potong-gaji/1")
    assert "1 baris diposting (Rp 50.000)" in page.text
