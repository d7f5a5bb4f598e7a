"""Signed receipts (issue 9 item 3): the operator's EIP-712 signature over an entry's seq,
leaf hash, member and amount, checked here with eth_account alone, on a real Anvil."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ksp.auth.models import Role
from ksp.chain.runtime import ChainRuntime
from ksp.ledger.models import LogEntry
from ksp.receipts import service
from ksp.receipts.errors import InvalidReceiptText
from ksp.receipts.service import parse_qr_text
from tests.support.client import KspClient, new_wallet
from tests.support.factories import anggota, deposit

RECEIPT_TYPES = {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                     {"name": "chainId", "type": "uint256"},
                     {"name": "verifyingContract", "type": "address"}],
    "Receipt": [{"name": "seq", "type": "uint64"}, {"name": "leafHash", "type": "bytes32"},
                {"name": "member", "type": "uint64"}, {"name": "amount", "type": "int256"}],
}


@pytest.fixture
def world(chain_settings):
    deployment = ChainRuntime(chain_settings).deploy()
    client = KspClient(chain_settings)
    admin = client.staff(Role.ADMIN)
    wallets = [new_wallet(), new_wallet()]
    numbers = [anggota(client, admin, i + 1, wallet=w) for i, w in enumerate(wallets)]
    seqs = [deposit(client, admin, n, "sukarela", 40_000)["seq"] for n in numbers]
    return client, admin, wallets, numbers, seqs, deployment


def _recover(domain, seq, leaf_hash, member, amount, signature):
    message = encode_typed_data(full_message={
        "types": RECEIPT_TYPES, "primaryType": "Receipt", "domain": domain,
        "message": {"seq": seq, "leafHash": bytes.fromhex(leaf_hash.removeprefix("0x")),
                    "member": member, "amount": amount}})
    return Account.recover_message(message, signature=signature)


def _leaf_hash(client, seq):
    with client.app.state.sessionmaker() as session:
        return "0x" + session.get(LogEntry, seq).leaf_hash.hex()


def test_member_receipt_recovers_to_the_published_operator_address(world, chain_settings):
    client, _admin, (w1, _w2), (n, _m), (seq, _other), deployment = world
    reply = client.get(f"/api/v1/log/entries/{seq}/receipt", client.member_login(w1))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    operator = Account.from_key(chain_settings.operator_private_key()).address
    assert (body["seq"], body["member"], body["amount"]) == (seq, n, 40_000)
    assert body["leaf_hash"] == _leaf_hash(client, seq)
    assert body["domain"] == {
        "name": "KSP Receipt", "version": "1", "chainId": 31337,
        "verifyingContract": deployment["contracts"]["AnchorRegistry"]["address"]}
    assert body["signer"] == operator
    assert _recover(body["domain"], seq, body["leaf_hash"], n, 40_000,
                    body["signature"]) == operator
    config = client.http.get("/api/v1/chain/config").json()
    assert config["receipt_signer"] == operator


def test_a_withdrawal_receipt_signs_a_negative_amount(world):
    client, admin, (w1, _w2), (n, _m), _seqs, _deployment = world
    reply = client.post(f"/api/v1/members/{n}/withdrawals",
                        {"jenis": "sukarela", "amount": 15_000}, admin)
    assert reply.status_code == 201, reply.text
    seq = reply.json()["seq"]
    body = client.get(f"/api/v1/log/entries/{seq}/receipt", client.member_login(w1)).json()
    assert body["amount"] == -15_000
    assert _recover(body["domain"], seq, body["leaf_hash"], n, -15_000,
                    body["signature"]) == body["signer"]


@pytest.mark.parametrize("field", ["amount", "seq", "member"])
def test_a_tampered_receipt_does_not_recover_to_the_signer(world, field):
    client, admin, _wallets, (n, _m), (seq, _other), _deployment = world
    body = client.get(f"/api/v1/log/entries/{seq}/receipt", admin).json()
    claim = {"seq": seq, "member": n, "amount": 40_000}
    claim[field] += 1
    recovered = _recover(body["domain"], claim["seq"], body["leaf_hash"], claim["member"],
                         claim["amount"], body["signature"])
    assert recovered != body["signer"]


def test_a_member_cannot_get_another_members_receipt(world):
    client, _admin, (w1, _w2), (_n, m), (own, others), _deployment = world
    token = client.member_login(w1)
    for path in (f"/api/v1/log/entries/{others}/receipt",
                 f"/api/v1/log/entries/{others}/receipt.svg",
                 f"/api/v1/log/entries/{own}/receipt?member={m}"):
        reply = client.get(path, token)
        assert reply.status_code == 403, (path, reply.text)
        assert reply.json()["code"] == "forbidden"


def test_unknown_seq_is_404_and_a_member_not_on_the_entry_is_404(world):
    client, admin, _wallets, (_n, m), (seq, _other), _deployment = world
    reply = client.get("/api/v1/log/entries/999999/receipt", admin)
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"
    reply = client.get(f"/api/v1/log/entries/{seq}/receipt?member={m}", admin)
    assert reply.status_code == 404, reply.text
    assert reply.json()["code"] == "receipt_not_available"
    assert reply.json()["message"] and reply.json()["message_en"]


def test_staff_pick_the_member_and_get_the_same_signed_claim(world):
    client, admin, _wallets, (n, _m), (seq, _other), _deployment = world
    pengawas = client.staff(Role.PENGAWAS)
    chosen = client.get(f"/api/v1/log/entries/{seq}/receipt?member={n}", pengawas).json()
    only = client.get(f"/api/v1/log/entries/{seq}/receipt", admin).json()
    assert chosen == only and chosen["member"] == n


def test_qr_svg_carries_the_text_that_parses_back_to_the_signed_claim(world):
    client, _admin, (w1, _w2), (n, _m), (seq, _other), _deployment = world
    token = client.member_login(w1)
    body = client.get(f"/api/v1/log/entries/{seq}/receipt", token).json()
    svg = client.get(f"/api/v1/log/entries/{seq}/receipt.svg", token)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.lstrip().startswith("<svg") and "path" in svg.text
    claim, signature = parse_qr_text(body["qr_text"])
    assert (claim.seq, claim.member, claim.amount) == (seq, n, 40_000)
    assert "0x" + claim.leaf_hash.hex() == body["leaf_hash"]
    assert "0x" + signature.hex() == body["signature"]
    assert len(body["qr_text"]) < 240  # a version 9 QR code in alphanumeric mode
    assert _recover(body["domain"], claim.seq, "0x" + claim.leaf_hash.hex(), claim.member,
                    claim.amount, signature) == body["signer"]
    assert parse_qr_text(body["qr_text"].lower()) == (claim, signature)


@pytest.mark.parametrize("text", [
    "", "KSP-RECEIPT:2:1:1:1:" + "0" * 64 + ":" + "0" * 130,
    "KSP-RECEIPT:1:1:1:1:" + "0" * 63 + ":" + "0" * 130,
    "KSP-RECEIPT:1:0:1:1:" + "0" * 64 + ":" + "0" * 130,
    "KSP-RECEIPT:1:1:1:+5:" + "0" * 64 + ":" + "0" * 130,
    "KSP-RECEIPT:1:99999999999999999999:1:1:" + "0" * 64 + ":" + "0" * 130,
])
def test_parse_qr_text_refuses_other_text(text):
    with pytest.raises(InvalidReceiptText):
        parse_qr_text(text)


def test_without_a_chain_the_receipt_is_503_in_our_error_shape(settings):
    client = KspClient(settings)  # nothing listens at its RPC URL
    admin = client.staff(Role.ADMIN)
    number = anggota(client, admin, 1)
    seq = deposit(client, admin, number, "sukarela", 40_000)["seq"]
    reply = client.get(f"/api/v1/log/entries/{seq}/receipt", admin)
    assert reply.status_code == 503, reply.text
    error = reply.json()
    assert error["code"] == "receipt_signer_unavailable"
    assert error["message"].startswith("Tanda terima") and error["message_en"]


def test_openapi_documents_the_receipt_routes(settings):
    spec = KspClient(settings).http.get("/openapi.json").json()
    receipt = spec["paths"]["/api/v1/log/entries/{seq}/receipt"]["get"]["responses"]
    assert receipt["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReceiptOut"}
    assert {"403", "404", "422", "503"} <= set(receipt)
    qr = spec["paths"]["/api/v1/log/entries/{seq}/receipt.svg"]["get"]["responses"]
    assert "image/svg+xml" in qr["200"]["content"]


def test_tampered_claim_of_a_real_signature_fails(world):
    """The same check through the service's own parse: a changed amount in the QR text."""
    client, admin, _wallets, _numbers, (seq, _other), _deployment = world
    body = client.get(f"/api/v1/log/entries/{seq}/receipt", admin).json()
    claim, signature = parse_qr_text(body["qr_text"])
    forged = replace(claim, amount=claim.amount * 10)
    assert _recover(body["domain"], forged.seq, "0x" + forged.leaf_hash.hex(), forged.member,
                    forged.amount, signature) != body["signer"]


def test_an_entry_of_a_member_without_money_lines_has_no_receipt(world):
    client, _admin, (w1, _w2), (n, _m), _seqs, _deployment = world
    with client.app.state.sessionmaker() as session:
        registered = session.query(LogEntry).filter_by(kind="anggota.terdaftar").order_by(
            LogEntry.seq).first().seq  # names member n in its payload, moves no rupiah
    reply = client.get(f"/api/v1/log/entries/{registered}/receipt", client.member_login(w1))
    assert reply.status_code == 404, reply.text
    assert reply.json()["code"] == "receipt_not_available"
    assert reply.json()["details"] == {"seq": registered, "member": n}


def test_an_entry_of_several_members_needs_the_member_parameter_from_staff(world, monkeypatch):
    client, admin, (w1, _w2), (n, m), (seq, _other), _deployment = world
    # A shared entry (e.g. a transfer between members): the amounts per member on its lines.
    monkeypatch.setattr(service, "member_amounts", lambda _session, _seq: {n: 40_000, m: -7})
    reply = client.get(f"/api/v1/log/entries/{seq}/receipt", admin)
    assert reply.status_code == 422, reply.text
    assert reply.json()["code"] == "receipt_member_required"
    chosen = client.get(f"/api/v1/log/entries/{seq}/receipt?member={m}", admin).json()
    assert (chosen["member"], chosen["amount"]) == (m, -7)
    own = client.get(f"/api/v1/log/entries/{seq}/receipt", client.member_login(w1)).json()
    assert (own["member"], own["amount"]) == (n, 40_000)
    assert _recover(own["domain"], seq, own["leaf_hash"], n, 40_000,
                    own["signature"]) == own["signer"]
