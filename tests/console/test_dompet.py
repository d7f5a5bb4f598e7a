"""Hubungkan dompet in the console: the teller types the member's code, sees the member
(NIK masked but the last four) and the wallet, ticks the KTP check and links; a code for
another member, an unknown code, a missing tick and the pengawas are refused next to the
field with nothing written."""

from __future__ import annotations

import pytest

from ksp.auth.models import Role
from ksp.core.settings import Settings
from tests.console.test_console import counts, hidden, sign_in
from tests.members.test_link_requests import file_request, wallet_of
from tests.support.client import KspClient, new_wallet
from tests.support.factories import register


@pytest.fixture
def client(settings: Settings) -> KspClient:
    return KspClient(settings)


def _members(client: KspClient) -> tuple[int, int]:
    admin = client.staff(Role.ADMIN)
    return register(client, admin, 1), register(client, admin, 2)


def test_teller_links_by_typed_code_after_the_ktp_check(client: KspClient) -> None:
    first, _ = _members(client)
    account = new_wallet()
    code = file_request(client, account, first)["code"]
    csrf = sign_in(client, Role.PENGURUS)
    http = client.http
    profile = http.get(f"/staff/anggota/{first}").text
    assert f'href="/staff/anggota/{first}/dompet"' in profile

    form = http.get(f"/staff/anggota/{first}/dompet")
    assert form.status_code == 200
    assert '<script src="/staff/aset/jsQR.js" defer></script>' in form.text
    key = hidden(form.text, "kunci")
    typed = code.replace("-", "").lower()
    check = http.post(f"/staff/anggota/{first}/dompet/periksa",
                      data={"csrf": csrf, "kunci": key, "code": typed})
    assert check.status_code == 200, check.text
    assert '<dd class="mono" id="nik-masked">••••••••••••0001</dd>' in check.text
    assert "1217014507900001" not in check.text
    assert "Rosmawati Sinaga 1" in check.text and "05-07-1990" in check.text
    assert f'<dd class="mono" id="link-address">{account.address}</dd>' in check.text
    assert hidden(check.text, "kunci") == key

    before = counts(client)
    unticked = http.post(f"/staff/anggota/{first}/dompet",
                         data={"csrf": csrf, "kunci": key, "code": code})
    assert unticked.status_code == 422
    assert 'id="err-identitas"' in unticked.text and "Cek KTP anggota dulu" in unticked.text
    assert counts(client) == before and wallet_of(client, first) is None

    body = {"csrf": csrf, "kunci": key, "code": code, "identitas": "1"}
    done = http.post(f"/staff/anggota/{first}/dompet", data=body, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/staff/anggota/{first}/dompet?selesai=1"
    assert wallet_of(client, first) == account.address
    members, journals, audits, records = counts(client)
    assert (members, journals, audits, records) == (before[0], before[1], before[2] + 1,
                                                    before[3] + 1)
    shown = http.get(done.headers["location"]).text
    assert f"Dompet terhubung ke anggota {first}." in shown and account.address in shown
    # A double submit replays the result; nothing more is written.
    again = http.post(f"/staff/anggota/{first}/dompet", data=body, follow_redirects=False)
    assert again.status_code == 303
    assert counts(client) == (members, journals, audits, records)
    assert f'href="/staff/anggota/{first}/dompet"' not in http.get(
        f"/staff/anggota/{first}").text


def test_code_for_another_member_or_unknown_is_refused_by_the_field(client: KspClient) -> None:
    first, second = _members(client)
    code = file_request(client, new_wallet(), first)["code"]
    csrf = sign_in(client, Role.PENGURUS)
    http = client.http
    key = hidden(http.get(f"/staff/anggota/{second}/dompet").text, "kunci")
    before = counts(client)
    for path in ("dompet/periksa", "dompet"):
        other = http.post(f"/staff/anggota/{second}/{path}",
                          data={"csrf": csrf, "kunci": key, "code": code, "identitas": "1"})
        assert other.status_code == 409, other.text
        assert 'id="err-code"' in other.text
        assert f"Bukti dompet ini dibuat untuk anggota {first}, bukan untuk anggota {second}." \
            in other.text
        assert f"This wallet proof was made for member {first}, not for member {second}." \
            in other.text
    unknown = http.post(f"/staff/anggota/{second}/dompet/periksa",
                        data={"csrf": csrf, "kunci": key, "code": "2345-6789"})
    assert unknown.status_code == 404 and 'id="err-code"' in unknown.text
    assert "Kode 2345-6789 tidak dikenal" in unknown.text
    assert counts(client) == before
    assert wallet_of(client, first) is None and wallet_of(client, second) is None


def test_pengawas_sees_the_page_but_cannot_link(client: KspClient) -> None:
    first, _ = _members(client)
    code = file_request(client, new_wallet(), first)["code"]
    csrf = sign_in(client, Role.PENGAWAS)
    http = client.http
    page = http.get(f"/staff/anggota/{first}/dompet")
    assert page.status_code == 200 and 'id="f-dompet"' not in page.text
    assert f'href="/staff/anggota/{first}/dompet"' not in http.get(f"/staff/anggota/{first}").text
    before = counts(client)
    for path in ("dompet/periksa", "dompet"):
        reply = http.post(f"/staff/anggota/{first}/{path}",
                          data={"csrf": csrf, "kunci": "k-pengawas-1", "code": code,
                                "identitas": "1"})
        assert reply.status_code == 403 and "hanya boleh melihat" in reply.text
    assert counts(client) == before and wallet_of(client, first) is None


def test_jsqr_is_served_by_us(client: KspClient) -> None:
    reply = client.http.get("/staff/aset/jsQR.js")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/javascript")
    assert "jsQR" in reply.text[:400]
