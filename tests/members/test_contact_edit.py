"""Ubah kontak (issue 9 item 2): the new phone and address are encrypted again, the log
gains one entry with a commitment only, and bad input or an exited member writes nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select, text

from ksp.auth.models import Role
from ksp.core.crypto import commitment
from ksp.core.db import Base
from ksp.core.schema import import_models
from ksp.ledger.models import LogEntry
from ksp.members.models import Member
from tests.support.client import KspClient
from tests.support.factories import anggota, register
from tests.support.rows import counts

NEW = {"phone": "+62 813-7000-4455", "address": "Jl. Sibolga 12, Tarutung",
       "occupation": "Penenun ulos"}


def _member(client: KspClient, number: int) -> Member:
    with client.app.state.sessionmaker() as session:
        member = session.scalars(select(Member).where(Member.number == number)).one()
        session.expunge(member)
        return member


def _log_size(client: KspClient) -> int:
    with client.app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(LogEntry)) or 0


def test_edit_re_encrypts_and_logs_one_commitment_without_the_values(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    number = anggota(client, admin, 3)
    before = _member(client, number)
    size = _log_size(client)

    reply = client.post(f"/api/v1/members/{number}/contact", NEW, admin)
    assert reply.status_code == 200, reply.text
    assert reply.json()["number"] == number
    assert not any(v in reply.text for v in NEW.values())

    after = _member(client, number)
    assert after.phone_encrypted != before.phone_encrypted
    assert after.address_encrypted != before.address_encrypted
    cipher = client.app.state.cipher
    assert cipher.decrypt(after.phone_encrypted, "member.phone") == NEW["phone"]
    assert cipher.decrypt(after.address_encrypted, "member.address") == NEW["address"]
    assert after.occupation == "Penenun ulos"
    assert _log_size(client) == size + 1
    with client.app.state.sessionmaker() as session:
        entry = session.scalars(select(LogEntry).order_by(LogEntry.seq.desc())).first()
        assert entry is not None and entry.kind == "anggota.kontak_diubah"
        data = json.loads(entry.payload)["data"]
        import_models()
        dump = " ".join(str(v) for table in Base.metadata.sorted_tables
                        for row in session.execute(text(f"SELECT * FROM {table.name}"))
                        for v in row if not isinstance(v, bytes | memoryview))
    assert data["member"] == number and data["changed"] == ["phone", "address", "occupation"]
    assert data["contact_commitment"] == commitment(
        after.pii_salt, "kontak", NEW["phone"], NEW["address"], NEW["occupation"])
    for secret in (NEW["phone"], "7000-4455", NEW["address"], "Tarutung"):
        assert secret not in entry.payload
        assert secret not in dump  # nowhere in the database in clear (audit, idempotency)
    profile = client.get(f"/api/v1/members/{number}", admin).json()
    assert (profile["phone"], profile["address"]) == (NEW["phone"], NEW["address"])


def test_bad_input_unchanged_contact_and_exited_member_write_nothing(settings):
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    number = anggota(client, admin, 4)
    calon = register(client, admin, 5)
    current = client.get(f"/api/v1/members/{number}", admin).json()
    same = {k: current[k] for k in ("phone", "address", "occupation")}
    before, stored = counts(client), _member(client, number)
    for body in (NEW | {"phone": "0812-ABC-999"}, NEW | {"address": "   "},
                 NEW | {"occupation": ""}, NEW | {"address": "Jl. A\u202e"},
                 {k: v for k, v in NEW.items() if k != "address"}, NEW | {"nik": "1"}):
        reply = client.post(f"/api/v1/members/{number}/contact", body, admin)
        assert reply.status_code == 422, (body, reply.text)
    unchanged = client.post(f"/api/v1/members/{number}/contact", same, admin)
    assert unchanged.status_code == 422 and unchanged.json()["code"] == "contact_unchanged"
    assert "sama dengan yang tersimpan" in unchanged.json()["message"]
    unknown = client.post("/api/v1/members/999/contact", NEW, admin)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_member"
    pengawas = client.post(f"/api/v1/members/{number}/contact", NEW, client.staff(Role.PENGAWAS))
    assert pengawas.status_code == 403
    assert counts(client) == before
    assert _member(client, number).phone_encrypted == stored.phone_encrypted

    exit_reply = client.post(f"/api/v1/members/{number}/exit", {}, admin)
    assert exit_reply.status_code == 200, exit_reply.text
    after_exit = counts(client)
    exited = client.post(f"/api/v1/members/{number}/contact", NEW, admin)
    assert exited.status_code == 409 and exited.json()["code"] == "member_not_active"
    assert counts(client) == after_exit
    # A calon anggota (not yet admitted) may change their contact.
    ok = client.post(f"/api/v1/members/{calon}/contact", NEW, admin)
    assert ok.status_code == 200, ok.text
