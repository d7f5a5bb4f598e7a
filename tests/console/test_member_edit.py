"""The console's contact edit: the form is prefilled, errors sit by their field, a saved
edit returns to the profile with a notice, and pengawas is refused."""

from __future__ import annotations

import re

from ksp.auth.models import Role
from tests.console.test_console import counts, hidden, sign_in
from tests.support.client import KspClient
from tests.support.factories import anggota, person

NEW = {"phone": "0813 7000 4455", "address": "Jl. Sibolga 12, Tarutung",
       "occupation": "Penenun ulos"}


def test_edit_form_is_prefilled_and_saving_returns_to_the_profile(settings):
    client = KspClient(settings)
    number = anggota(client, client.staff(Role.PENGURUS), 1)
    csrf = sign_in(client, Role.ADMIN)
    http = client.http
    profile = http.get(f"/staff/anggota/{number}")
    assert f'href="/staff/anggota/{number}/ubah"' in profile.text
    form = http.get(f"/staff/anggota/{number}/ubah")
    assert form.status_code == 200
    old = person(1)
    assert f'name="phone" value="{old["phone"]}"' in form.text
    assert f'name="address" value="{old["address"]}"' in form.text
    assert 'name="occupation" value="Petani"' in form.text
    before = counts(client)
    body = NEW | {"csrf": csrf, "kunci": hidden(form.text, "kunci")}
    saved = http.post(f"/staff/anggota/{number}/ubah", data=body, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/staff/anggota/{number}?diubah=1"
    again = http.post(f"/staff/anggota/{number}/ubah", data=body, follow_redirects=False)
    assert again.headers["location"] == f"/staff/anggota/{number}?diubah=1"  # once only
    members, entries, audits, records = counts(client)
    assert (members, entries, audits, records) == (before[0], before[1], before[2] + 1,
                                                   before[3] + 1)
    shown = http.get(saved.headers["location"]).text
    assert 'id="contact-edited"' in shown and "Kontak anggota diubah." in shown
    assert "<dd>0813 7000 4455</dd>" in shown and "<dd>Jl. Sibolga 12, Tarutung</dd>" in shown
    assert "<dd>Penenun ulos</dd>" in shown


def test_bad_phone_and_empty_address_are_shown_by_the_field_and_nothing_is_written(settings):
    client = KspClient(settings)
    number = anggota(client, client.staff(Role.PENGURUS), 1)
    csrf = sign_in(client, Role.ADMIN)
    before = counts(client)
    reply = client.http.post(f"/staff/anggota/{number}/ubah", data=NEW | {
        "phone": "0812-ABC-999", "address": "  ", "csrf": csrf, "kunci": "k-edit-1"})
    assert reply.status_code == 422
    assert re.search(r'id="err-phone"[^>]*>Isian tidak valid\.<br><small class="en">Invalid',
                     reply.text)
    assert re.search(r'id="err-address"[^>]*>Wajib diisi\.<br><small class="en">Required\.<',
                     reply.text)
    assert 'value="0812-ABC-999"' in reply.text  # what was typed stays in the form
    same = person(1)
    unchanged = client.http.post(f"/staff/anggota/{number}/ubah", data={
        "phone": same["phone"], "address": same["address"], "occupation": "Petani",
        "csrf": csrf, "kunci": "k-edit-2"})
    assert unchanged.status_code == 422
    assert re.search(r'id="err-_form"[^>]*>Telepon, alamat dan pekerjaan anggota 1 sama',
                     unchanged.text)
    assert counts(client) == before


def test_pengawas_sees_the_form_but_the_edit_is_refused(settings):
    client = KspClient(settings)
    number = anggota(client, client.staff(Role.PENGURUS), 1)
    csrf = sign_in(client, Role.PENGAWAS)
    form = client.http.get(f"/staff/anggota/{number}/ubah")
    assert form.status_code == 200 and 'id="read-only"' in form.text
    assert "Simpan perubahan" not in form.text
    before = counts(client)
    reply = client.http.post(f"/staff/anggota/{number}/ubah",
                             data=NEW | {"csrf": csrf, "kunci": "k-edit-3"})
    assert reply.status_code == 403 and "hanya boleh melihat" in reply.text
    assert counts(client) == before
