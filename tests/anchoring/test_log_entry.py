"""GET /api/v1/log/entries/{seq}: the entry as hashed, for the wallet page to compare with a
receipt's leaf hash before the entry is anchored."""

from __future__ import annotations

import json

from eth_account import Account

from ksp.anchoring.merkle import leaf_hash
from ksp.auth.models import Role
from tests.support.client import KspClient
from tests.support.factories import anggota, deposit


def test_a_member_reads_their_own_entry_and_only_theirs(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    mine, theirs = Account.create(), Account.create()
    number = anggota(client, admin, 1, wallet=mine)
    other = anggota(client, admin, 2, wallet=theirs)
    own_seq = deposit(client, admin, number, "sukarela", 50_000)["seq"]
    other_seq = deposit(client, admin, other, "sukarela", 20_000)["seq"]
    member = client.member_login(mine)

    reply = client.get(f"/api/v1/log/entries/{own_seq}", member)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["seq"] == own_seq
    assert body["leaf_hash"] == "0x" + leaf_hash(body["payload"].encode()).hex()
    entry = json.loads(body["payload"])
    assert (entry["seq"], entry["kind"]) == (own_seq, "journal.simpanan.sukarela.setor")
    assert {"account": "2101", "amount": 50_000, "member": number, "side": "C"} in (
        entry["data"]["lines"])

    refused = client.get(f"/api/v1/log/entries/{other_seq}", member)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert client.get(f"/api/v1/log/entries/{other_seq}", admin).status_code == 200
    missing = client.get("/api/v1/log/entries/999999", admin)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
