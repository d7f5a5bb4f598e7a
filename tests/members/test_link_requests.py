"""Linking a wallet by short code (issue 9 item 9): the phone signs a `link` challenge that
names the member number and files it under a code; the teller confirms the code. A proof
for one member never links another; expired, reused and unknown codes are refused; the
filing endpoint is limited per client IP; each refusal writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import segno
from eth_account.messages import encode_defunct
from sqlalchemy import func, select

from ksp.auth.models import Role
from ksp.core import clock
from ksp.members.link_requests import ALPHABET, normalise
from ksp.members.models import LinkRequest, Member, WalletChallenge
from tests.support.client import KspClient, new_wallet
from tests.support.factories import person, register
from tests.support.rows import counts

CHALLENGES = "/api/v1/wallet/challenges"
REQUESTS = "/api/v1/wallet/link-requests"
CODE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


@pytest.fixture
def frozen():
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    clock.freeze(start)
    yield start
    clock.freeze(None)


def link_proof(client, account, member):
    reply = client.http.post(CHALLENGES, json={"address": account.address, "purpose": "link",
                                               "member": member})
    assert reply.status_code == 201, reply.text
    message = reply.json()["message"]
    signed = account.sign_message(encode_defunct(text=message))
    return {"message": message, "signature": "0x" + signed.signature.hex().removeprefix("0x")}


def file_request(client, account, member):
    reply = client.http.post(REQUESTS, json=link_proof(client, account, member))
    assert reply.status_code == 201, reply.text
    return reply.json()


def confirm(client, token, number, code):
    return client.post(f"/api/v1/members/{number}/wallet/code", {"code": code}, token)


def stored(client, model):
    with client.app.state.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def wallet_of(client, number):
    with client.app.state.sessionmaker() as session:
        return session.scalar(select(Member.wallet_address).where(Member.number == number))


def status(client, account):
    reply = client.http.get("/api/v1/wallet/link-status", params={"address": account.address})
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.fixture
def two(settings):
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    return client, admin, register(client, admin, 1), register(client, admin, 2)


def test_code_filed_on_the_phone_links_the_member_after_the_teller_confirms(two, frozen):
    client, admin, first, _second = two
    account = new_wallet()
    proof = link_proof(client, account, first)
    assert f"cooperative membership. Anggota / Member: {first}\n" in proof["message"]
    filed = client.http.post(REQUESTS, json=proof)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert CODE.fullmatch(body["code"]), body
    assert body["member"] == first
    assert body["expires_at"] == (frozen + dt.timedelta(seconds=900)).isoformat()
    assert body["qr_text"] == f"KSP-LINK:1:{first}:{body['code'].replace('-', '')}"
    # Filed again (a lost reply): the same code, not a second request.
    assert client.http.post(REQUESTS, json=proof).json()["code"] == body["code"]
    assert stored(client, LinkRequest) == 1
    assert status(client, account) == {"linked": False, "member": None}
    assert wallet_of(client, first) is None  # filing links nothing

    typed = body["code"].replace("-", "").lower()  # as a teller might type it
    reply = confirm(client, admin, first, typed)
    assert reply.status_code == 200, reply.text
    assert reply.json()["wallet_address"] == account.address
    assert wallet_of(client, first) == account.address
    assert status(client, account) == {"linked": True, "member": first}
    assert stored(client, LinkRequest) == 0 and stored(client, WalletChallenge) == 0
    assert client.member_login(account)  # the member can sign in now

    # Reused: the code is gone.
    before = counts(client)
    again = confirm(client, admin, first, body["code"])
    assert again.status_code == 404 and again.json()["code"] == "link_code_unknown"
    assert again.json()["message"].startswith(f"Kode {body['code']} tidak dikenal")
    assert counts(client) == before


def test_a_proof_for_one_member_never_links_another(two):
    client, admin, first, second = two
    account = new_wallet()
    code = file_request(client, account, first)["code"]
    before = counts(client)

    by_code = confirm(client, admin, second, code)
    assert by_code.status_code == 409, by_code.text
    assert by_code.json()["code"] == "wallet_proof_other_member"
    assert by_code.json()["message"] == (
        f"Bukti dompet ini dibuat untuk anggota {first}, bukan untuk anggota {second}.")
    assert by_code.json()["message_en"] == (
        f"This wallet proof was made for member {first}, not for member {second}.")

    # The same proof through the direct API link, and at a registration.
    proof = link_proof(client, account, first)
    direct = client.post(f"/api/v1/members/{second}/wallet", proof, admin)
    assert direct.status_code == 409 and direct.json()["code"] == "wallet_proof_other_member"
    registering = client.post("/api/v1/members", {
        **person(3), "wallet": proof}, admin)
    assert registering.status_code == 409, registering.text
    assert "pendaftaran anggota baru" in registering.json()["message"]
    assert counts(client) == before
    assert wallet_of(client, first) is None and wallet_of(client, second) is None
    assert stored(client, LinkRequest) == 1 and stored(client, WalletChallenge) == 2

    # ... while it still links the member it names.
    assert client.post(f"/api/v1/members/{first}/wallet", proof, admin).status_code == 200
    assert wallet_of(client, first) == account.address


def test_expired_code_is_refused_and_writes_nothing(two, frozen):
    client, admin, first, _ = two
    account = new_wallet()
    code = file_request(client, account, first)["code"]
    assert client.http.get(f"{REQUESTS}/{code}.svg").status_code == 200
    clock.freeze(frozen + dt.timedelta(seconds=901))
    before = counts(client)
    reply = confirm(client, admin, first, code)
    assert reply.status_code == 404 and reply.json()["code"] == "link_code_unknown"
    assert client.http.get(f"{REQUESTS}/{code}.svg").status_code == 404
    assert counts(client) == before
    assert wallet_of(client, first) is None
    # The next filing sweeps it.
    file_request(client, new_wallet(), first)
    with client.app.state.sessionmaker() as session:
        assert session.scalars(select(LinkRequest.code)).all() != [code.replace("-", "")]
        assert session.scalar(select(func.count()).select_from(LinkRequest)) == 1


def test_bad_proofs_are_refused_on_the_phone_and_filed_nowhere(two):
    client, admin, first, second = two
    account = new_wallet()
    proof = link_proof(client, account, first)
    other = new_wallet().sign_message(encode_defunct(text=proof["message"]))
    forged = client.http.post(REQUESTS, json={
        "message": proof["message"], "signature": "0x" + other.signature.hex().removeprefix("0x")})
    assert forged.status_code == 401 and forged.json()["code"] == "wallet_proof_invalid"
    assert "signer is not the address owner" in forged.json()["message_en"]

    unnamed = client.wallet_proof(account)  # a link challenge with no member number
    refused = client.http.post(REQUESTS, json=unnamed)
    assert refused.status_code == 401
    assert "names no member number" in refused.json()["message_en"]

    nobody = client.http.post(REQUESTS, json=link_proof(client, account, 999))
    assert nobody.status_code == 404 and nobody.json()["code"] == "unknown_member"

    # A member who has a wallet may file a code (a lost phone's new wallet, for a key
    # replacement), but it cannot link a second wallet; a wallet that is someone else's.
    owner = new_wallet()
    linked = client.post(f"/api/v1/members/{first}/wallet", client.wallet_proof(owner), admin)
    assert linked.status_code == 200, linked.text
    again = client.http.post(REQUESTS, json=link_proof(client, new_wallet(), first))
    assert again.status_code == 201, again.text
    second_wallet = confirm(client, admin, first, again.json()["code"])
    assert second_wallet.status_code == 409
    assert second_wallet.json()["code"] == "wallet_already_linked"
    taken = client.http.post(REQUESTS, json=link_proof(client, owner, second))
    assert taken.status_code == 409 and taken.json()["code"] == "wallet_taken"

    login = client.http.post(CHALLENGES, json={"address": account.address,
                                               "purpose": "login", "member": first})
    assert login.status_code == 422
    assert stored(client, LinkRequest) == 1  # only the lost-phone code, still open


def test_filing_is_limited_per_client_ip_even_for_bad_proofs(settings, frozen):
    client = KspClient(settings.model_copy(update={"wallet_challenge_ip_max": 3,
                                                   "wallet_challenge_ip_window_seconds": 60}))
    admin = client.staff(Role.ADMIN)
    number = register(client, admin, 1)
    account = new_wallet()
    proof = link_proof(client, account, number)
    bad = {**proof, "signature": "0x" + "11" * 65}
    assert client.http.post(REQUESTS, json=bad).status_code == 401
    assert client.http.post(REQUESTS, json=bad).status_code == 401
    assert client.http.post(REQUESTS, json=proof).status_code == 201
    refused = client.http.post(REQUESTS, json=proof)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_challenges"
    assert refused.headers["Retry-After"] == "60"
    clock.freeze(frozen + dt.timedelta(seconds=60))
    assert client.http.post(REQUESTS, json=proof).status_code == 201


def test_qr_svg_holds_the_link_text(two):
    client, _admin, first, _ = two
    filed = file_request(client, new_wallet(), first)
    text = f"KSP-LINK:1:{first}:{filed['code'].replace('-', '')}"
    reply = client.http.get(f"{REQUESTS}/{filed['code'].lower()}.svg")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/svg+xml"
    svg = reply.text
    assert f"<title>{text}</title>" in svg
    # The same QR segno draws for that text (no decoder is installed to read it back).
    expected = io.BytesIO()
    segno.make(text, error="m", micro=False).save(expected, kind="svg", scale=6, border=4,
                                                  xmldecl=False, title=text)
    assert svg == expected.getvalue().decode()


def test_code_normalisation():
    assert normalise(" abcd-efgh ") == "ABCDEFGH"
    assert normalise("ABCD EFGH") == "ABCDEFGH"
    assert normalise("ABCD-EFG0") is None  # 0 is not in the alphabet
    assert normalise("ABCDEFG") is None
    assert normalise("") is None
