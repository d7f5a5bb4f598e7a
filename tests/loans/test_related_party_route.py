"""The related-party flag (Permenkop 8/2023 Pasal 44) is set by a pengurus through
PUT /api/v1/members/{n}/related-party, each change a log entry naming who changed what; a
loan applied for afterwards is a related-party loan. Anyone else, an unchanged flag, a value
outside the list or an exited member is refused with nothing written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ksp.core import clock
from ksp.ledger.models import LogEntry
from tests.loans.test_routes_refusals import refused
from tests.loans.world import make_world


@pytest.fixture
def world(db_settings, monkeypatch):
    w = make_world(db_settings, monkeypatch)
    w.n = w.member(1)
    w.at("2026-01-15")
    yield w
    clock.freeze(None)


def _last_entry(world):
    with world.client.app.state.sessionmaker() as session:
        entry = session.scalars(select(LogEntry).order_by(LogEntry.seq.desc())).first()
        return entry.seq, entry.kind, json.loads(entry.payload)["data"]


def test_a_pengurus_flags_a_member_and_the_next_loan_is_related_party(world):
    n = world.n
    path = f"/api/v1/members/{n}/related-party"
    flagged = world.ok(world.put(path, {"related_party": "keluarga",
                                        "alasan": "Istri ketua"}, "ketua"))
    assert flagged == {"number": n, "related_party": "keluarga", "seq": flagged["seq"]}
    assert _last_entry(world) == (flagged["seq"], "anggota.pihak_terkait", {
        "member": n, "from": None, "to": "keluarga", "by": "ketua", "reason": "Istri ketua"})

    loan = world.apply(n)
    assert world.ok(world.get(f"/api/v1/loans/{loan}", "petugas"))["related_party"] is True

    cleared = world.ok(world.put(path, {"related_party": None}, "bendahara"))
    assert _last_entry(world) == (cleared["seq"], "anggota.pihak_terkait", {
        "member": n, "from": "keluarga", "to": None, "by": "bendahara"})
    # The loan keeps the flag it was applied with; a new one is not related-party.
    assert world.ok(world.get(f"/api/v1/loans/{loan}", "petugas"))["related_party"] is True
    later = world.apply(n, principal=1_000_000)
    assert world.ok(world.get(f"/api/v1/loans/{later}", "petugas"))["related_party"] is False


def test_only_the_board_changes_it_and_bad_input_writes_nothing(world):
    n = world.n
    path = f"/api/v1/members/{n}/related-party"
    world.token(f"anggota:{n}")
    for who in ("petugas", "pengawas", f"anggota:{n}"):
        refused(world, lambda who=who: world.put(path, {"related_party": "pengurus"}, who),
                403, "forbidden")
    refused(world, lambda: world.put(path, {"related_party": "saudara"}, "ketua"),
            422, "invalid_input")
    body = refused(world, lambda: world.put(path, {"related_party": None}, "ketua"),
                   409, "related_party_unchanged")
    assert body["message"] == f"Status pihak terkait anggota {n} sudah bukan pihak terkait."
    refused(world, lambda: world.put("/api/v1/members/999/related-party",
                                     {"related_party": "pengurus"}, "ketua"),
            404, "unknown_member")
    world.ok(world.post(f"/api/v1/members/{n}/exit", {}, "petugas"))
    refused(world, lambda: world.put(path, {"related_party": "pengurus"}, "ketua"),
            409, "member_not_active")
