"""Corrections by reversal, maker-checker (issue 9 item 4): proposed by one staff member,
approved or rejected by a different pengurus; only the approval posts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from ksp.audit.models import AuditEvent
from ksp.auth.models import Role
from ksp.chain.outbox import OutboxItem
from ksp.core import clock
from ksp.ledger.models import LogEntry
from ksp.ledger.reports import trial_balance
from tests.support.client import KspClient, new_wallet
from tests.support.factories import anggota, deposit

WRONG = 500_000


@pytest.fixture
def world(db_settings):
    """A member with a wallet, Rp 50.000 sukarela, then a wrong deposit of Rp 500.000."""
    client = KspClient(db_settings)
    teller = client.staff(Role.ADMIN, "teller")
    number = anggota(client, teller, 1, wallet=new_wallet())
    deposit(client, teller, number, "sukarela", 50_000)
    before = _books(client)
    wrong = deposit(client, teller, number, "sukarela", WRONG)
    return client, teller, number, wrong["seq"], before


def _books(client):
    with client.app.state.sessionmaker() as session:
        return {a.code: a.balance for a in trial_balance(session, through=clock.today())}


def _balance(client, token, number):
    reply = client.get(f"/api/v1/members/{number}/savings", token)
    assert reply.status_code == 200, reply.text
    return reply.json()["balances"]["sukarela"]


def _log(client, seq):
    with client.app.state.sessionmaker() as session:
        entry = session.get(LogEntry, seq)
        return entry.kind, json.loads(entry.payload)["data"]


def _propose(client, token, seq, alasan="Salah ketik: seharusnya Rp 50.000"):
    return client.post("/api/v1/corrections", {"seq": seq, "alasan": alasan}, token)


def test_wrong_deposit_reversed_by_teller_proposal_and_pengurus_approval(world):
    client, teller, number, seq, before = world
    pengurus = client.staff(Role.PENGURUS, "ketua")
    proposed = _propose(client, teller, seq)
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert (proposal["status"], proposal["proposed_by"]) == ("menunggu", "teller")
    assert dt.datetime.fromisoformat(proposal["proposed_at"]).utcoffset() == dt.timedelta(0)
    assert _balance(client, teller, number) == 50_000 + WRONG  # nothing posted yet

    approved = client.post(f"/api/v1/corrections/{proposal['id']}/approve", {}, pengurus)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["decided_by"]) == ("disetujui", "ketua")

    assert _balance(client, teller, number) == 50_000
    assert _books(client) == before
    kind, data = _log(client, proposal["proposal_seq"])
    assert kind == "correction.proposed"
    assert (data["reverses_seq"], data["proposed_by"]) == (seq, "teller")
    kind, data = _log(client, body["decision_seq"])
    assert kind == "journal.reversal"
    assert (data["reverses_seq"], data["correction"], data["proposal_seq"]) == (
        seq, proposal["id"], proposal["proposal_seq"])
    assert (data["proposed_by"], data["approved_by"]) == ("teller", "ketua")
    with client.app.state.sessionmaker() as session:
        mirror = session.scalars(select(OutboxItem)
                                 .where(OutboxItem.seq == body["decision_seq"])).one()
        audited = session.scalars(select(AuditEvent.actor)
                                  .where(AuditEvent.action.contains("/corrections"))).all()
    mirrored = json.loads(mirror.payload)
    assert (mirrored["member"], mirrored["delta"]) == (number, -WRONG)
    assert sorted(audited) == ["ketua", "teller"]


def test_proposer_cannot_approve_own_correction(world):
    client, _teller, _number, seq, _before = world
    ketua = client.staff(Role.PENGURUS, "ketua")
    proposal = _propose(client, ketua, seq).json()
    reply = client.post(f"/api/v1/corrections/{proposal['id']}/approve", {}, ketua)
    assert reply.status_code == 403
    assert reply.json()["code"] == "approver_is_proposer"
    assert reply.json()["message"] and reply.json()["message_en"]


def test_pengawas_can_neither_propose_nor_approve(world):
    client, teller, _number, seq, _before = world
    pengawas = client.staff(Role.PENGAWAS)
    assert _propose(client, pengawas, seq).status_code == 403
    proposal = _propose(client, teller, seq).json()
    reply = client.post(f"/api/v1/corrections/{proposal['id']}/approve", {}, pengawas)
    assert reply.status_code == 403
    assert client.get("/api/v1/corrections?status=menunggu", pengawas).json()[
        "corrections"][0]["status"] == "menunggu"  # reading is allowed


def test_admin_cannot_approve(world):
    client, teller, _number, seq, _before = world
    proposal = _propose(client, teller, seq).json()
    other_admin = client.staff(Role.ADMIN, "admin2")
    reply = client.post(f"/api/v1/corrections/{proposal['id']}/approve", {}, other_admin)
    assert reply.status_code == 403


def test_second_reversal_of_the_same_entry_is_refused(world):
    client, teller, _number, seq, _before = world
    pengurus = client.staff(Role.PENGURUS)
    first = _propose(client, teller, seq).json()
    assert _propose(client, teller, seq).json()["code"] == "correction_pending"
    assert client.post(f"/api/v1/corrections/{first['id']}/approve", {},
                       pengurus).status_code == 200
    again = _propose(client, teller, seq)
    assert again.status_code == 409
    assert again.json()["code"] == "already_reversed"
    decided = client.post(f"/api/v1/corrections/{first['id']}/approve", {}, pengurus)
    assert decided.json()["code"] == "correction_already_decided"


def test_reversing_a_deposit_already_withdrawn_is_refused(world):
    client, teller, number, seq, before = world
    pengurus = client.staff(Role.PENGURUS)
    proposal = _propose(client, teller, seq).json()
    withdrawn = client.post(f"/api/v1/members/{number}/withdrawals",
                            {"jenis": "sukarela", "amount": 300_000}, teller)
    assert withdrawn.status_code == 201, withdrawn.text
    reply = client.post(f"/api/v1/corrections/{proposal['id']}/approve", {}, pengurus)
    assert reply.status_code == 409
    assert reply.json()["code"] == "reversal_makes_balance_negative"
    assert _balance(client, teller, number) == 50_000 + WRONG - 300_000  # nothing written
    listed = client.get("/api/v1/corrections?status=menunggu", pengurus).json()["corrections"]
    assert [c["id"] for c in listed] == [proposal["id"]]
    # Once that proposal is rejected, proposing it anew is refused up front.
    assert client.post(f"/api/v1/corrections/{proposal['id']}/reject", {"alasan": "Sudah ditarik"},
                       pengurus).status_code == 200
    fresh = _propose(client, pengurus, seq)
    assert fresh.status_code == 409
    assert fresh.json()["code"] == "reversal_makes_balance_negative"


def test_pokok_that_admitted_the_member_and_an_exited_member_are_not_reversed(world):
    client, teller, number, seq, _before = world
    with client.app.state.sessionmaker() as session:
        pokok = session.scalars(select(LogEntry.seq)
                                .where(LogEntry.kind == "journal.simpanan.pokok.setor")).one()
    refused = _propose(client, teller, pokok)
    assert refused.status_code == 409
    assert refused.json()["code"] == "correction_not_allowed"
    exited = client.post(f"/api/v1/members/{number}/exit", {}, teller)
    assert exited.status_code == 200, exited.text
    assert _propose(client, teller, seq).json()["code"] == "correction_not_allowed"


def test_rejection_posts_nothing_and_is_logged(world):
    client, teller, number, seq, _before = world
    pengurus = client.staff(Role.PENGURUS)
    proposal = _propose(client, teller, seq).json()
    reply = client.post(f"/api/v1/corrections/{proposal['id']}/reject",
                        {"alasan": "Setoran memang benar"}, pengurus)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["status"], body["decision_reason"]) == ("ditolak", "Setoran memang benar")
    assert _balance(client, teller, number) == 50_000 + WRONG
    kind, data = _log(client, body["decision_seq"])
    assert kind == "correction.rejected"
    assert (data["correction"], data["rejected_by"]) == (proposal["id"], "pengurus")
    assert client.get("/api/v1/corrections?status=ditolak", teller).json()[
        "corrections"][0]["id"] == proposal["id"]


def test_unknown_entry_and_unknown_proposal_are_404(world):
    client, teller, _number, _seq, _before = world
    pengurus = client.staff(Role.PENGURUS)
    assert _propose(client, teller, 999_999).json()["code"] == "journal_entry_not_found"
    assert client.post("/api/v1/corrections/999/approve", {},
                       pengurus).json()["code"] == "correction_not_found"
