"""A member loses their phone: the board replaces the key (maker-checker), on a real Anvil
the roll and the savings follow the new address, and the old address is out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ksp.auth.models import Role
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.chain.worker import OutboxWorker
from ksp.ledger.models import LogEntry
from ksp.savings.reconcile import reconcile
from tests.support.client import KspClient, new_wallet
from tests.support.factories import POKOK, anggota, deposit
from tests.support.rows import counts

SUKARELA = 75_000
REASON = "HP hilang; KTP diperiksa di kantor / phone lost, ID checked"


@pytest.fixture
def world(chain_settings):
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    client = KspClient(chain_settings)
    admin = client.staff(Role.ADMIN)
    old = new_wallet()
    number = anggota(client, admin, 1, wallet=old)
    deposit(client, admin, number, "sukarela", SUKARELA)
    factory = client.app.state.sessionmaker
    worker = OutboxWorker(factory, runtime.connect(), runtime.deployment,
                          chain_settings.operator_private_key())
    assert worker.run_once().failed == 0  # pokok, sukarela and the admission are on chain
    return client, runtime, worker, number, old


def token_balances(runtime, address):
    token = contract(runtime.connect(), runtime.deployment, "SavingsToken")
    return [token.functions.balanceOf(address, i).call() for i in (1, 2, 3)]


def propose(client, token, number, wallet, key=None):
    body = {"wallet": client.wallet_proof(wallet), "alasan": REASON}
    return client.post(f"/api/v1/members/{number}/key-replacements", body, token, key)


def approve(client, token, proposal_id):
    return client.post(f"/api/v1/key-replacements/{proposal_id}/approve", {}, token)


def test_lost_phone_end_to_end(world):
    client, runtime, worker, number, old = world
    old_token = client.member_login(old)
    assert client.get(f"/api/v1/members/{number}", old_token).status_code == 200
    assert token_balances(runtime, old.address) == [POKOK, 0, SUKARELA]
    new = new_wallet()
    first = client.staff(Role.PENGURUS, "pengurus-satu")
    second = client.staff(Role.PENGURUS, "pengurus-dua")

    proposed = propose(client, first, number, new)
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert (proposal["status"], proposal["old_wallet"], proposal["new_wallet"]) == (
        "menunggu", old.address, new.address)
    # Nothing changes before the approval: the old key still works.
    assert client.get(f"/api/v1/members/{number}", old_token).status_code == 200

    approved = approve(client, second, proposal["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "disetujui"
    seq = approved.json()["seq"]

    # The old token ends at once and the old wallet can no longer sign in.
    ended = client.get(f"/api/v1/members/{number}", old_token)
    assert ended.status_code == 401 and ended.json()["code"] == "wallet_replaced"
    refused = client.http.post("/api/v1/auth/wallet", json=client.wallet_proof(old, "login"))
    assert refused.status_code == 401 and refused.json()["code"] == "wallet_replaced"
    assert "Gunakan dompet di HP baru Anda" in refused.json()["message"]
    new_token = client.member_login(new)
    profile = client.get(f"/api/v1/members/{number}", new_token)
    assert profile.status_code == 200 and profile.json()["wallet_address"] == new.address

    factory = client.app.state.sessionmaker
    with factory() as session:
        entry = session.get(LogEntry, seq)
        assert entry.kind == "anggota.kunci_diganti"
        assert REASON not in entry.payload  # the reason stays off the log
        rows = list(session.scalars(select(OutboxItem).where(OutboxItem.seq == seq)
                                    .order_by(OutboxItem.id)))
    assert [r.kind for r in rows] == [OutboxKind.CHANGE_MEMBER_ADDRESS, OutboxKind.MOVE_SAVINGS]

    report = worker.run_once()
    assert report.failed == 0 and report.confirmed == 2, report
    assert token_balances(runtime, new.address) == [POKOK, 0, SUKARELA]
    assert token_balances(runtime, old.address) == [0, 0, 0]
    roll = contract(runtime.connect(), runtime.deployment, "CoopMembers")
    assert roll.functions.accountOf(number).call() == new.address
    assert not roll.functions.isMember(old.address).call()
    assert roll.functions.isMember(new.address).call()
    result = reconcile(factory, runtime.connect(), runtime.deployment)
    assert result.drifts == [] and result.pending == []

    # Re-running sends nothing twice, and a resend of the rows is refused by the contracts.
    block = runtime.connect().eth.block_number
    again = worker.run_once()
    assert again.confirmed == 0 and again.failed == 0
    assert runtime.connect().eth.block_number == block
    with factory() as session:
        rows = list(session.scalars(select(OutboxItem).where(OutboxItem.seq == seq)))
    assert all(worker.already_done(r) for r in rows)
    assert {r.status for r in rows} == {OutboxStatus.CONFIRMED}
    # Queued again (as after a lost block): the contracts refuse both refs, nothing moves.
    worker._update(rows, status=OutboxStatus.PENDING, tx_hash=None, block_number=None,
                   block_hash=None)
    resent = worker.run_once()
    assert resent.repaired == 2 and resent.confirmed == 0 and resent.failed == 0
    assert token_balances(runtime, new.address) == [POKOK, 0, SUKARELA]
    assert roll.functions.accountOf(number).call() == new.address


def test_the_proposer_cannot_approve_their_own_proposal(world):
    client, _runtime, _worker, number, old = world
    pengurus = client.staff(Role.PENGURUS)
    proposal = propose(client, pengurus, number, new_wallet()).json()
    before = counts(client)
    refused = approve(client, pengurus, proposal["id"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "key_replacement_needs_second_pengurus"
    assert refused.json()["message"] and refused.json()["message_en"]
    assert counts(client) == before  # nothing written, not even an audit row
    assert client.member_login(old)  # the old key still works


def test_pengawas_can_neither_propose_nor_approve(world):
    client, _runtime, _worker, number, _old = world
    pengawas = client.staff(Role.PENGAWAS)
    assert propose(client, pengawas, number, new_wallet()).status_code == 403
    admin = client.staff(Role.ADMIN)
    proposal = propose(client, admin, number, new_wallet()).json()
    assert approve(client, pengawas, proposal["id"]).status_code == 403
    # An admin proposes, but only a pengurus approves.
    refused = approve(client, admin, proposal["id"])
    assert refused.status_code == 403
    listed = client.get(f"/api/v1/members/{number}/key-replacements", pengawas)
    assert [p["status"] for p in listed.json()["proposals"]] == ["menunggu"]


def test_a_taken_address_a_decided_or_stale_proposal_is_refused(world):
    client, _runtime, _worker, number, old = world
    admin = client.staff(Role.ADMIN)
    pengurus = client.staff(Role.PENGURUS)
    taken = propose(client, admin, number, old)
    assert taken.status_code == 409 and taken.json()["code"] == "wallet_taken"

    first, second = new_wallet(), new_wallet()
    one = propose(client, admin, number, first).json()
    other = propose(client, admin, number, second).json()
    assert approve(client, pengurus, one["id"]).status_code == 200
    again = approve(client, pengurus, one["id"])
    assert again.status_code == 409 and again.json()["code"] == "key_replacement_decided"
    stale = approve(client, pengurus, other["id"])  # proposed for the wallet just replaced
    assert stale.status_code == 409 and stale.json()["code"] == "key_replacement_stale"
    missing = approve(client, pengurus, 999_999)
    assert missing.status_code == 404 and missing.json()["code"] == "key_replacement_not_found"
