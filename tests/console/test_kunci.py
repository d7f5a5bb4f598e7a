"""Ganti kunci (HP hilang) in the console: the member's new phone files a link code, staff
propose the new wallet with that code after checking the member's identity (the address is
proven by its signature, never typed), a different pengurus approves in the list, pengawas
changes nothing, and the replaced address hears `wallet_replaced` when it tries to sign
in."""

from __future__ import annotations

import re

from sqlalchemy import select

from ksp.auth.models import Role
from ksp.ledger.models import LogEntry
from ksp.members.models import KeyReplacement, Member
from tests.console.test_console import hidden, sign_in
from tests.members.test_link_requests import file_request
from tests.support.client import KspClient, new_wallet
from tests.support.factories import anggota
from tests.support.rows import counts

REASON = "HP hilang; KTP diperiksa di kantor"


def _proposals(client: KspClient) -> list[KeyReplacement]:
    with client.app.state.sessionmaker() as session:
        return list(session.scalars(select(KeyReplacement).order_by(KeyReplacement.id)))


def _wallet(client: KspClient, number: int) -> str | None:
    with client.app.state.sessionmaker() as session:
        return session.scalars(select(Member.wallet_address)
                               .where(Member.number == number)).one()


def test_propose_then_another_pengurus_approves(settings):
    client = KspClient(settings)
    old, new = new_wallet(), new_wallet()
    number = anggota(client, client.staff(Role.ADMIN), 1, wallet=old)
    csrf = sign_in(client, Role.PENGURUS, "pengurus-satu")
    http = client.http
    profile = http.get(f"/staff/anggota/{number}")
    assert f'href="/staff/anggota/{number}/kunci"' in profile.text
    assert "Ganti kunci (HP hilang)" in profile.text
    form = http.get(f"/staff/anggota/{number}/kunci")
    assert form.status_code == 200 and f'id="old-wallet">{old.address}<' in form.text
    key = hidden(form.text, "kunci")

    other = anggota(client, client.staff(Role.ADMIN, "admin-lain"), 2)
    elsewhere = file_request(client, new_wallet(), other)["code"]
    before = counts(client)
    bad = http.post(f"/staff/anggota/{number}/kunci", data={
        "csrf": csrf, "kunci": key, "code": "12", "alasan": " "})
    assert bad.status_code == 422
    assert re.search(r'id="err-code"[^>]*>Ketik kode 8 huruf/angka', bad.text)
    assert re.search(r'id="err-alasan"[^>]*>Alasan wajib diisi', bad.text)
    assert re.search(r'id="err-dicek"[^>]*>Centang setelah identitas', bad.text)
    unknown = http.post(f"/staff/anggota/{number}/kunci", data={
        "csrf": csrf, "kunci": key, "code": "AAAA-BBBB", "alasan": REASON, "dicek": "ya"})
    assert unknown.status_code == 404 and 'id="err-code"' in unknown.text
    # A code filed for another member number is refused by the field.
    wrong = http.post(f"/staff/anggota/{number}/kunci", data={
        "csrf": csrf, "kunci": key, "code": elsewhere, "alasan": REASON, "dicek": "ya"})
    assert wrong.status_code == 409 and 'id="err-code"' in wrong.text
    assert counts(client) == before and _proposals(client) == []

    code = file_request(client, new, number)["code"]
    made = http.post(f"/staff/anggota/{number}/kunci", data={
        "csrf": csrf, "kunci": key, "code": code.lower().replace("-", ""), "alasan": REASON,
        "dicek": "ya"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/staff/kunci?diusulkan=1"
    [proposal] = _proposals(client)
    assert (proposal.member_number, proposal.old_address, proposal.new_address,
            proposal.reason, proposal.proposed_by, proposal.seq) == (
        number, old.address, new.address, REASON, "pengurus-satu", None)
    listing = http.get(made.headers["location"]).text
    assert "Usulan ganti kunci 1 dibuat" in listing
    assert re.search(r'id="proposal-1">.*Menunggu persetujuan', listing, re.S)
    assert "/staff/kunci/1/setujui" not in listing  # not for its own proposer
    assert _wallet(client, number) == old.address  # nothing changes before the approval

    # The proposer cannot approve their own proposal.
    before = counts(client)
    own = http.post("/staff/kunci/1/setujui", data={"csrf": csrf, "kunci": "k-own-1"})
    assert own.status_code == 403 and "harus disetujui pengurus lain" in own.text
    assert counts(client) == before

    csrf2 = sign_in(client, Role.PENGURUS, "pengurus-dua")
    listing = http.get("/staff/kunci").text
    approve_key = re.search(r'action="/staff/kunci/1/setujui".*?name="kunci" value="([^"]+)"',
                            listing, re.S)
    assert approve_key is not None
    done = http.post("/staff/kunci/1/setujui", data={"csrf": csrf2,
                                                     "kunci": approve_key.group(1)},
                     follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/kunci?disetujui=1"
    assert _wallet(client, number) == new.address
    [proposal] = _proposals(client)
    assert proposal.approved_by == "pengurus-dua" and proposal.seq is not None
    with client.app.state.sessionmaker() as session:
        entry = session.get(LogEntry, proposal.seq)
        assert entry is not None and entry.kind == "anggota.kunci_diganti"
        assert REASON not in entry.payload
    shown = http.get(done.headers["location"]).text
    assert "Usulan 1 disetujui" in shown
    assert re.search(rf'id="proposal-1">.*Disetujui oleh pengurus-dua .*\(seq {proposal.seq}\)',
                     shown, re.S)

    # The old wallet hears why it cannot sign in; the new one can.
    refused = http.post("/api/v1/auth/wallet", json=client.wallet_proof(old, "login"))
    assert refused.status_code == 401 and refused.json()["code"] == "wallet_replaced"
    assert refused.json()["message"] == ("Kunci dompet ini sudah diganti oleh pengurus karena "
                                         "HP hilang. Gunakan dompet di HP baru Anda.")
    assert client.member_login(new)
    # An address never linked still gets the generic refusal.
    stranger = http.post("/api/v1/auth/wallet", json=client.wallet_proof(new_wallet(), "login"))
    assert stranger.status_code == 401 and stranger.json()["code"] == "wallet_proof_invalid"


def test_pengawas_sees_the_screens_but_cannot_propose_or_approve(settings):
    client = KspClient(settings)
    number = anggota(client, client.staff(Role.ADMIN), 1, wallet=new_wallet())
    csrf = sign_in(client, Role.ADMIN)
    code = file_request(client, new_wallet(), number)["code"]
    made = client.http.post(f"/staff/anggota/{number}/kunci", data={
        "csrf": csrf, "kunci": "k-prop-1", "code": code, "alasan": REASON, "dicek": "ya"},
        follow_redirects=False)
    assert made.status_code == 303
    csrf = sign_in(client, Role.PENGAWAS)
    http = client.http
    for path in (f"/staff/anggota/{number}/kunci", "/staff/kunci"):
        page = http.get(path)
        assert page.status_code == 200 and 'id="read-only"' in page.text, path
        assert "Usulkan ganti kunci <" not in page.text and "/setujui" not in page.text
    before = counts(client)
    for path, body in ((f"/staff/anggota/{number}/kunci",
                        {"code": file_request(client, new_wallet(), number)["code"],
                         "alasan": REASON, "dicek": "ya"}),
                       ("/staff/kunci/1/setujui", {})):
        reply = http.post(path, data=body | {"csrf": csrf, "kunci": "k-pengawas"})
        assert reply.status_code == 403 and "hanya boleh melihat" in reply.text, path
    assert counts(client) == before and len(_proposals(client)) == 1
    assert _proposals(client)[0].seq is None
