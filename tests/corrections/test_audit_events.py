"""The audit trail viewer (issue 9 item 8): filters by actor, action, date and status
code, with paging; super admin, pengurus and pengawas only."""

from __future__ import annotations

import datetime as dt

from ksp.audit import service as audit
from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.db import transaction
from tests.support.client import KspClient
from tests.support.factories import anggota, deposit


def test_audit_events_filter_by_actor_action_date_and_status(db_settings):
    client = KspClient(db_settings)
    teller = client.staff(Role.ADMIN, "teller")
    other = client.staff(Role.ADMIN, "kasir")
    number = anggota(client, teller, 1)
    deposit(client, other, number, "sukarela", 10_000)
    deposit(client, other, number, "sukarela", 20_000)
    pengawas = client.staff(Role.PENGAWAS)

    def events(query):
        reply = client.get(f"/api/v1/audit-events?{query}", pengawas)
        assert reply.status_code == 200, reply.text
        return reply.json()["events"]

    by_kasir = events("actor=kasir")
    assert len(by_kasir) == 2
    assert {e["actor"] for e in by_kasir} == {"kasir"}
    assert all(e["action"] == f"POST /api/v1/members/{number}/deposits" for e in by_kasir)
    assert by_kasir[0]["id"] > by_kasir[1]["id"]  # newest first
    assert dt.datetime.fromisoformat(by_kasir[0]["at"]).utcoffset() == dt.timedelta(0)
    assert {e["actor"] for e in events("action=/deposits")} == {"teller", "kasir"}
    assert len(events("actor=kasir&limit=1&offset=1")) == 1
    assert events("status_code=500") == []
    today = clock.today()
    assert len(events(f"dari={today}&sampai={today}&actor=kasir")) == 2
    assert events(f"sampai={today - dt.timedelta(days=1)}") == []
    assert events("action=%25") == []  # a wildcard is matched literally


def test_audit_events_are_not_for_tellers_and_bad_ranges_are_4xx(db_settings):
    client = KspClient(db_settings)
    teller = client.staff(Role.ADMIN)
    assert client.get("/api/v1/audit-events", teller).status_code == 403
    pengurus = client.staff(Role.PENGURUS)
    assert client.get("/api/v1/audit-events", pengurus).status_code == 200
    backwards = client.get("/api/v1/audit-events?dari=2026-02-01&sampai=2026-01-01", pengurus)
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_input"
    assert client.get("/api/v1/audit-events?limit=100000", pengurus).status_code == 422


def test_date_range_is_the_business_day_in_the_cooperative_time_zone(db_settings):
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    # 20:00 UTC on 10 March is 03:00 WIB on 11 March.
    clock.freeze(dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC))
    try:
        with transaction(client.app.state.sessionmaker) as session:
            audit.record(session, actor="malam", role="admin", action="POST /x",
                         status_code=201)
    finally:
        clock.freeze(None)

    def actors(query):
        reply = client.get(f"/api/v1/audit-events?actor=malam&{query}", pengurus)
        assert reply.status_code == 200, reply.text
        return [e["actor"] for e in reply.json()["events"]]

    assert actors("dari=2026-03-11&sampai=2026-03-11") == ["malam"]
    assert actors("sampai=2026-03-10") == []
