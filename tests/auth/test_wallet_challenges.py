"""Wallet sign-in messages name this server as configured (never the Host header) and
are checked when they come back; challenges expire, are deleted when used or expired,
and each address may hold only a few open ones."""

from __future__ import annotations

import datetime as dt

import pytest
from eth_account.messages import encode_defunct
from sqlalchemy import select

from ksp.auth.models import Role
from ksp.core import clock
from ksp.members.models import WalletChallenge
from tests.members.helpers import deposit, register
from tests.support.client import KspClient, new_wallet

CHALLENGES = "/api/v1/wallet/challenges"


@pytest.fixture
def frozen():
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    clock.freeze(start)
    yield start
    clock.freeze(None)


def _sign(account, message):
    signed = account.sign_message(encode_defunct(text=message))
    return {"message": message, "signature": "0x" + signed.signature.hex().removeprefix("0x")}


def _member(client):
    admin = client.staff(Role.ADMIN)
    account = new_wallet()
    number = register(client, admin, 1, wallet=account)
    deposit(client, admin, number, "pokok", 100_000)
    return account


def _challenge(client, account, purpose="login", **kwargs):
    return client.http.post(CHALLENGES, json={"address": account.address, "purpose": purpose},
                            **kwargs)


def _refused(reply, reason_en):
    assert reply.status_code == 401, reply.text
    body = reply.json()
    assert body["code"] == "wallet_proof_invalid"
    assert reason_en in body["message_en"], body


def _stored(client):
    with client.app.state.sessionmaker() as session:
        return list(session.scalars(select(WalletChallenge.nonce)))


def test_host_header_plays_no_part_in_the_message(settings):
    client = KspClient(settings.model_copy(update={"public_url": "https://ksp.example.id"}))
    reply = _challenge(client, new_wallet(), headers={"Host": "evil.example"})
    assert reply.status_code == 201, reply.text
    message = reply.json()["message"]
    assert message.startswith("ksp.example.id wants you to sign in")
    assert "\nURI: https://ksp.example.id\n" in message
    assert "evil.example" not in message


def test_default_public_url_names_the_local_server(settings):
    client = KspClient(settings)
    message = _challenge(client, new_wallet(), headers={"Host": "evil.example"}).json()["message"]
    assert message.startswith("127.0.0.1:8000 wants you")
    assert "\nURI: http://127.0.0.1:8000\n" in message and "evil.example" not in message


@pytest.mark.parametrize(("field", "fake", "reason"), [
    ("domain", "evil.example", "another domain"),
    ("URI", "https://evil.example", "another URI"),
    ("Chain ID", "1", "another chain"),
])
def test_message_rewritten_and_signed_is_refused(settings, field, fake, reason):
    client = KspClient(settings)
    account = _member(client)
    message = _challenge(client, account).json()["message"]
    lines = message.split("\n")
    if field == "domain":
        lines[0] = lines[0].replace("127.0.0.1:8000", fake)
    else:
        lines = [f"{field}: {fake}" if line.startswith(f"{field}: ") else line for line in lines]
    forged = "\n".join(lines)
    assert forged != message
    _refused(client.http.post("/api/v1/auth/wallet", json=_sign(account, forged)), reason)
    # The genuine message, signed, still works.
    assert client.http.post("/api/v1/auth/wallet",
                            json=_sign(account, message)).status_code == 200


def test_changed_expiry_is_refused(settings):
    client = KspClient(settings)
    account = _member(client)
    message = _challenge(client, account).json()["message"]
    head, _, expiry = message.rpartition("Expiration Time: ")
    later = (dt.datetime.fromisoformat(expiry) + dt.timedelta(days=365)).isoformat()
    _refused(client.http.post("/api/v1/auth/wallet",
                              json=_sign(account, f"{head}Expiration Time: {later}")),
             "unknown or already used nonce")


def test_challenge_expires_and_is_swept(settings, frozen):
    client = KspClient(settings.model_copy(update={"wallet_challenge_ttl_seconds": 120}))
    account = _member(client)
    reply = _challenge(client, account)
    assert reply.json()["expires_at"] == (frozen + dt.timedelta(seconds=120)).isoformat()
    proof = _sign(account, reply.json()["message"])
    clock.freeze(frozen + dt.timedelta(seconds=121))
    _refused(client.http.post("/api/v1/auth/wallet", json=proof), "expired")
    assert reply.json()["nonce"] in _stored(client)
    fresh = _challenge(client, account).json()["nonce"]  # issuing sweeps the expired one
    assert _stored(client) == [fresh]


def test_used_challenge_is_deleted(settings):
    client = KspClient(settings)
    account = _member(client)
    proof = _sign(account, _challenge(client, account).json()["message"])
    assert client.http.post("/api/v1/auth/wallet", json=proof).status_code == 200
    assert _stored(client) == []  # the link challenge used at registration is gone too
    _refused(client.http.post("/api/v1/auth/wallet", json=proof),
             "unknown or already used nonce")


def test_open_challenges_per_address_are_limited(settings, frozen):
    client = KspClient(settings.model_copy(update={"wallet_challenge_max_open": 2,
                                                   "wallet_challenge_ttl_seconds": 300}))
    account = new_wallet()
    assert _challenge(client, account).status_code == 201
    clock.freeze(frozen + dt.timedelta(seconds=100))
    assert _challenge(client, account).status_code == 201
    refused = _challenge(client, account)
    assert refused.status_code == 429, refused.text
    body = refused.json()
    assert body["code"] == "too_many_challenges" and body["message"] and body["message_en"]
    assert refused.headers["Retry-After"] == "200"  # when the oldest one expires
    assert len(_stored(client)) == 2
    assert _challenge(client, new_wallet()).status_code == 201  # other addresses unaffected
    clock.freeze(frozen + dt.timedelta(seconds=301))
    assert _challenge(client, account).status_code == 201


def test_challenges_per_client_ip_are_limited_whatever_the_address(settings, frozen):
    client = KspClient(settings.model_copy(update={"wallet_challenge_ip_max": 3,
                                                   "wallet_challenge_ip_window_seconds": 60}))
    for _ in range(3):
        assert _challenge(client, new_wallet()).status_code == 201
    refused = _challenge(client, new_wallet())
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_challenges"
    assert refused.headers["Retry-After"] == "60"
    assert len(_stored(client)) == 3
    clock.freeze(frozen + dt.timedelta(seconds=60))
    assert _challenge(client, new_wallet()).status_code == 201
