"""The RAT over HTTP: the pengurus creates and announces, a member signs a ballot in their
wallet and gets a receipt that says the choice will be public; refusals are 4xx in our shape
with nothing written; the pengawas' one RAT write is the co-signature of paper counts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.settings import Settings
from ksp.rat import service
from ksp.rat.signing import ballot_message, sign
from tests.rat.conftest import DOMAIN, HELD_AT, VOTING_END, VOTING_START
from tests.support.client import PASSWORD, KspClient, new_wallet
from tests.support.factories import anggota
from tests.support.rows import counts

MEETING = {"kind": "annual", "title": "RAT Tahun Buku 2025",
           "held_at": HELD_AT.isoformat(), "record_date": "2026-11-01",
           "voting_start": VOTING_START.isoformat(), "voting_end": VOTING_END.isoformat(),
           "place": "Aula KSP", "online_link": "https://ksp.example/rat"}
LPJ = {"kind": "lpj", "title": "Pengesahan LPJ 2025", "text": "LPJ pengurus tahun 2025."}


@pytest.fixture
def world(settings: Settings) -> tuple[KspClient, str, list[Any], list[int]]:
    settings.deployments_dir.mkdir(parents=True, exist_ok=True)
    (settings.deployments_dir / f"{DOMAIN.chain_id}.json").write_text(json.dumps(
        {"chain_id": DOMAIN.chain_id,
         "contracts": {"RatVoting": {"address": DOMAIN.verifying_contract}}}))
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    wallets = [new_wallet() for _ in range(3)]
    numbers = [anggota(client, admin, i + 1, wallet=w, tanggal="2026-01-10")
               for i, w in enumerate(wallets)]
    return client, client.staff(Role.PENGURUS), wallets, numbers


def at(client: KspClient, instant: dt.datetime) -> None:
    """Moves the clock; staff sign in again (their tokens last 8 hours)."""
    clock.freeze(instant)
    for username in client.tokens:
        reply = client.http.post("/api/v1/auth/login",
                                 json={"username": username, "password": PASSWORD})
        client.tokens[username] = reply.json()["token"]


def problem(reply: Any, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()
    assert body["code"] == code and body["message"] and body["message_en"]
    return body


def announced(client: KspClient, pengurus: str) -> dict[str, Any]:
    made = client.post("/api/v1/rat/meetings", MEETING, pengurus)
    assert made.status_code == 201, made.text
    meeting_id = made.json()["id"]
    item = client.post(f"/api/v1/rat/meetings/{meeting_id}/items", LPJ, pengurus)
    assert item.status_code == 201, item.text
    done = client.post(f"/api/v1/rat/meetings/{meeting_id}/announce", {}, pengurus)
    assert done.status_code == 200 and done.json()["notices"] == 3, done.text
    reply: dict[str, Any] = client.get(f"/api/v1/rat/meetings/{meeting_id}", pengurus).json()
    return reply


def signed_ballot(meeting: dict[str, Any], wallet: Any, choice: int,
                  content_hash: str | None = None) -> dict[str, Any]:
    item = meeting["items"][0]
    primary, message = ballot_message(meeting["id"], 0, content_hash or item["content_hash"],
                                      choice)
    return {"position": 0, "choice": choice, "content_hash": content_hash or
            item["content_hash"], "signature": sign(DOMAIN, primary, message, wallet.key)}


def test_member_votes_with_a_signed_ballot_and_gets_a_public_receipt(world: Any) -> None:
    client, pengurus, wallets, numbers = world
    meeting = announced(client, pengurus)
    assert meeting["eip712_domain"] == DOMAIN.as_eip712()
    assert meeting["items"][0]["threshold_bps"] == 5000
    at(client, HELD_AT)
    token = client.member_login(wallets[0])
    reply = client.post(f"/api/v1/rat/meetings/{meeting['id']}/ballots",
                        signed_ballot(meeting, wallets[0], 1), token)
    assert reply.status_code == 201, reply.text
    receipt = reply.json()
    assert (receipt["member"], receipt["choice"], receipt["relay_status"]) == (numbers[0], 1,
                                                                               "pending")
    assert "terlihat di rantai publik" in receipt["public_choice_notice"]
    mine = client.get(f"/api/v1/rat/meetings/{meeting['id']}/ballots/mine", token).json()
    assert [b["ballot_id"] for b in mine] == [receipt["ballot_id"]]

    before = counts(client)
    again = client.post(f"/api/v1/rat/meetings/{meeting['id']}/ballots",
                        signed_ballot(meeting, wallets[0], 0), token)
    problem(again, 409, "rat_already_voted")
    other_text = signed_ballot(meeting, wallets[1], 1, content_hash="0x" + "ab" * 32)
    problem(client.post(f"/api/v1/rat/meetings/{meeting['id']}/ballots", other_text,
                        client.member_login(wallets[1])), 409, "rat_content_hash_mismatch")
    # Member 3's token with member 2's signature: the signature is the authority.
    problem(client.post(f"/api/v1/rat/meetings/{meeting['id']}/ballots",
                        signed_ballot(meeting, wallets[1], 1),
                        client.member_login(wallets[2])), 403, "rat_signer_mismatch")
    at(client, VOTING_END)
    problem(client.post(f"/api/v1/rat/meetings/{meeting['id']}/ballots",
                        signed_ballot(meeting, wallets[2], 1),
                        client.member_login(wallets[2])), 409, "rat_voting_not_open")
    assert counts(client) == before


def test_notice_shorter_than_the_adart_is_a_422_and_nothing_is_written(world: Any) -> None:
    client, pengurus, _wallets, _numbers = world
    before = counts(client)
    short = MEETING | {"voting_start": "2026-11-10T01:00:00Z", "held_at": "2026-11-10T02:00:00Z",
                       "voting_end": "2026-11-10T08:00:00Z"}
    body = problem(client.post("/api/v1/rat/meetings", short, pengurus), 422,
                   "rat_notice_too_short")
    assert body["details"] == {"start": "2026-11-10", "days": 9, "required": 14}
    assert counts(client) == before


def test_pengawas_writes_only_the_cosignature_and_not_their_own_count(world: Any) -> None:
    client, pengurus, _wallets, numbers = world
    meeting = announced(client, pengurus)
    base = f"/api/v1/rat/meetings/{meeting['id']}"
    pengawas = client.staff(Role.PENGAWAS)
    before = counts(client)
    for path, body in (("/api/v1/rat/meetings", MEETING), (f"{base}/items", LPJ),
                       (f"{base}/announce", {}), (f"{base}/attendance", {"member": numbers[0]}),
                       (f"{base}/items/0/in-person", {"ballots": 0, "counts": [0, 0, 0]}),
                       (f"{base}/close", {}), (f"{base}/results", {})):
        problem(client.post(path, body, pengawas), 403, "forbidden")
    assert counts(client) == before
    at(client, HELD_AT)
    secretary = client.staff(Role.ADMIN)
    assert client.post(f"{base}/attendance", {"member": numbers[0]}, secretary).status_code == 201
    at(client, VOTING_END + dt.timedelta(minutes=1))
    recorded = client.post(f"{base}/items/0/in-person", {"ballots": 1, "counts": [0, 1, 0]},
                           client.tokens["pengurus"])
    assert recorded.status_code == 200 and recorded.json()["seq"] is None, recorded.text
    signed = client.post(f"{base}/items/0/in-person/cosign", {}, client.tokens["pengawas"])
    assert signed.status_code == 200, signed.text
    assert (signed.json()["cosigned_by"], signed.json()["chair"]) == ("pengawas", "pengurus")
    assert signed.json()["seq"] is not None


def test_printable_invitation_names_every_item_and_its_hash(world: Any) -> None:
    client, pengurus, _wallets, _numbers = world
    meeting = announced(client, pengurus)
    reply = client.get(f"/api/v1/rat/meetings/{meeting['id']}/undangan.pdf", pengurus)
    assert reply.status_code == 200 and reply.content.startswith(b"%PDF")
    with client.app.state.sessionmaker() as session:
        html = service.invitation_html(session, meeting["id"], "KSP Uji")
    assert "Jumat, 20 November 2026" in html and "09.00 WIB" in html
    assert meeting["items"][0]["content_hash"] in html and meeting["agenda_hash"] in html


def test_proxy_appointed_accepted_and_revoked_over_http(world: Any) -> None:
    client, pengurus, wallets, numbers = world
    meeting = announced(client, pengurus)
    base = f"/api/v1/rat/meetings/{meeting['id']}/proxies"
    principal, proxy = numbers[0], numbers[1]
    appointment = sign(DOMAIN, "Proxy", {
        "meetingId": meeting["id"], "principalNumber": principal, "proxy": wallets[1].address,
        "agendaHash": bytes.fromhex(meeting["agenda_hash"][2:])}, wallets[0].key)
    made = client.post(base, {"proxy": proxy, "signature": appointment},
                       client.member_login(wallets[0]))
    assert made.status_code == 201, made.text
    assert (made.json()["accepted"], made.json()["revoked"]) == (False, False)
    consent = sign(DOMAIN, "ProxyAcceptance", {
        "meetingId": meeting["id"], "principalNumber": principal,
        "proxy": wallets[1].address}, wallets[1].key)
    # Only the proxy named may accept: member 3 cannot, even with the proxy's signature.
    problem(client.post(f"{base}/{principal}/accept", {"signature": consent},
                        client.member_login(wallets[2])), 404, "rat_proxy_not_found")
    waiting = client.get(f"{base}/mine", client.member_login(wallets[1])).json()
    assert [(p["principal"], p["accepted"]) for p in waiting] == [(principal, False)]
    accepted = client.post(f"{base}/{principal}/accept", {"signature": consent},
                           client.member_login(wallets[1]))
    assert accepted.status_code == 200 and accepted.json()["accepted"], accepted.text
    revocation = sign(DOMAIN, "ProxyRevocation", {
        "meetingId": meeting["id"], "principalNumber": principal}, wallets[0].key)
    revoked = client.post(f"{base}/revoke", {"signature": revocation},
                          client.member_login(wallets[0]))
    assert revoked.status_code == 200 and revoked.json()["revoked"], revoked.text


def test_attendance_by_number_or_by_the_members_qr(world: Any) -> None:
    client, pengurus, _wallets, numbers = world
    meeting = announced(client, pengurus)
    base = f"/api/v1/rat/meetings/{meeting['id']}/attendance"
    scanned = client.post(base, {"qr": f"KSP-LINK:1:{numbers[1]}:ABCD2345"}, pengurus)
    assert scanned.status_code == 201 and scanned.json()["how"] == "qr", scanned.text
    typed = client.post(base, {"member": numbers[0]}, pengurus)
    assert typed.status_code == 201 and typed.json()["how"] == "in_person", typed.text
    before = counts(client)
    problem(client.post(base, {"member": numbers[0]}, pengurus), 409, "rat_attendance_refused")
    problem(client.post(base, {"qr": "KSP-RECEIPT:1:2"}, pengurus), 422, "rat_qr_invalid")
    problem(client.post(base, {"member": numbers[2], "qr": f"KSP-LINK:1:{numbers[2]}:ABCD2345"},
                        pengurus), 422, "invalid_input")
    assert counts(client) == before
    listed = client.get(base, client.staff(Role.PENGAWAS)).json()
    assert [a["member"] for a in listed] == [numbers[1], numbers[0]]
