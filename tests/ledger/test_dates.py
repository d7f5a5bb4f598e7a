"""The date rules (ksp.ledger.dates), through the API as a teller and the board use it:
each refused date is a 4xx with our error shape, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from ksp.auth.models import Role
from ksp.core import clock
from ksp.ledger import dates
from ksp.ledger.models import LogEntry
from tests.members.helpers import counts, deposit, person, register
from tests.support.client import KspClient


@pytest.fixture
def world(settings):
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    n = register(client, admin)
    deposit(client, admin, n, "pokok", 100_000, "2025-01-10")  # joins on 2025-01-10
    return client, admin, n


def _refused(reply, status, code):
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["code"] == code, body
    assert body["message"] and body["message_en"] and body["message"] != body["message_en"]


def _log(client, kind):
    with client.app.state.sessionmaker() as session:
        rows = session.scalars(select(LogEntry).where(LogEntry.kind == kind).order_by(LogEntry.seq))
        return [json.loads(row.payload)["data"] for row in rows]


def _deposit(client, token, n, tanggal, alasan="Buku kas lama"):
    body = {"jenis": "sukarela", "amount": 10_000, "tanggal": tanggal}
    if alasan is not None:
        body["alasan"] = alasan
    return client.post(f"/api/v1/members/{n}/deposits", body, token)


@pytest.mark.parametrize("tanggal", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_deposit_dated_outside_1900_to_2100_is_refused(world, tanggal):
    client, admin, n = world
    before = counts(client)
    _refused(_deposit(client, admin, n, tanggal), 422, "date_out_of_range")
    assert counts(client) == before


def test_deposit_dated_tomorrow_is_refused(world):
    client, admin, n = world
    before = counts(client)
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    _refused(_deposit(client, admin, n, tomorrow), 422, "date_in_future")
    assert counts(client) == before


def test_today_is_the_cooperatives_day_not_utcs(world):
    client, admin, n = world
    # 18:00 UTC on 2 Jan is already 3 Jan in Jakarta (UTC+7).
    clock.freeze(dt.datetime(2026, 1, 2, 18, 0, tzinfo=dt.UTC))
    try:
        assert clock.today() == dt.date(2026, 1, 3)
        assert _deposit(client, admin, n, "2026-01-03", alasan=None).status_code == 201
        _refused(_deposit(client, admin, n, "2026-01-04"), 422, "date_in_future")
    finally:
        clock.freeze(None)


def test_deposit_before_the_member_joined_is_refused(world):
    client, admin, n = world
    before = counts(client)
    reply = _deposit(client, admin, n, "2025-01-09")
    _refused(reply, 422, "date_before_joining")
    assert reply.json()["details"]["joined_on"] == "2025-01-10"
    assert counts(client) == before


def test_deposit_in_a_closed_period_is_refused(world):
    client, admin, n = world
    pengurus = client.staff(Role.PENGURUS)
    assert client.post("/api/v1/periods/close", {"through": "2025-06-30"},
                       pengurus).status_code == 200
    before = counts(client)
    _refused(_deposit(client, admin, n, "2025-06-30"), 409, "period_closed")
    assert counts(client) == before
    assert _deposit(client, admin, n, "2025-07-01").status_code == 201


def test_backdating_needs_a_reason_and_the_log_keeps_it(world):
    client, admin, n = world
    before = counts(client)
    _refused(_deposit(client, admin, n, "2025-03-01", alasan=None), 422,
             "backdate_reason_required")
    _refused(_deposit(client, admin, n, "2025-03-01", alasan="   "), 422,
             "backdate_reason_required")
    assert counts(client) == before
    reply = _deposit(client, admin, n, "2025-03-01", alasan=" Slip setoran terlambat ")
    assert reply.status_code == 201, reply.text
    latest = _log(client, "journal.simpanan.sukarela.setor")[-1]
    assert (latest["date"], latest["reason"]) == ("2025-03-01", "Slip setoran terlambat")
    # Today needs no reason, and the log then has none.
    reply = client.post(f"/api/v1/members/{n}/deposits", {"jenis": "sukarela", "amount": 5_000},
                        admin)
    assert reply.status_code == 201, reply.text
    assert "reason" not in _log(client, "journal.simpanan.sukarela.setor")[-1]


@pytest.mark.parametrize("through", ["9999-12-31", "today", "tomorrow"])
def test_closing_the_books_only_through_a_day_already_past(world, through):
    client, _admin, _n = world
    pengurus = client.staff(Role.PENGURUS)
    day = {"today": clock.today().isoformat(),
           "tomorrow": (clock.today() + dt.timedelta(days=1)).isoformat()}.get(through, through)
    before = counts(client)
    reply = client.post("/api/v1/periods/close", {"through": day}, pengurus)
    _refused(reply, 422, "date_out_of_range" if through == "9999-12-31" else "close_date_not_past")
    assert counts(client) == before
    assert _log(client, "period.closed") == []


def test_reopening_needs_a_pengurus_and_a_pengawas_and_is_a_log_entry(world):
    client, admin, n = world
    pengurus = client.staff(Role.PENGURUS)
    pengawas = client.staff(Role.PENGAWAS)
    other_pengurus = client.staff(Role.PENGURUS, "bendahara")
    assert client.post("/api/v1/periods/close", {"through": "2025-06-30"},
                       pengurus).status_code == 200
    # An admin may not ask; a request needs a reason; nothing earlier than what is open.
    assert client.post("/api/v1/periods/reopen-requests",
                       {"through": "2025-03-31", "alasan": "x"}, admin).status_code == 403
    assert client.post("/api/v1/periods/reopen-requests",
                       {"through": "2025-03-31"}, pengurus).status_code == 422
    _refused(client.post("/api/v1/periods/reopen-requests",
                         {"through": "2025-07-31", "alasan": "x"}, pengurus),
             422, "reopen_not_earlier")

    asked = client.post("/api/v1/periods/reopen-requests",
                        {"through": "2025-03-31", "alasan": "Setoran April tertinggal"}, pengurus)
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    approve = f"/api/v1/periods/reopen-requests/{request_id}/approve"
    # Asking alone changes nothing.
    _refused(_deposit(client, admin, n, "2025-04-15"), 409, "period_closed")
    # Neither the same person, nor another pengurus, nor an admin can approve it.
    _refused(client.post(approve, {}, pengurus), 403, "reopen_needs_other_role")
    _refused(client.post(approve, {}, other_pengurus), 403, "reopen_needs_other_role")
    assert client.post(approve, {}, admin).status_code == 403
    assert _log(client, "period.reopened") == []

    approved = client.post(approve, {}, pengawas)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "disetujui"
    assert _log(client, "period.reopened") == [{
        "through": "2025-03-31", "previous_through": "2025-06-30", "request": request_id,
        "requested_role": "pengurus", "approved_role": "pengawas",
        "reason": "Setoran April tertinggal"}]
    assert _deposit(client, admin, n, "2025-04-15").status_code == 201
    _refused(_deposit(client, admin, n, "2025-03-31"), 409, "period_closed")
    _refused(client.post(approve, {}, pengawas), 409, "reopen_already_approved")
    periods = client.get("/api/v1/periods", pengawas).json()
    assert periods["closed_through"] == "2025-03-31"


def test_a_pengawas_request_needs_a_pengurus_approval_and_goes_stale(world):
    client, _admin, _n = world
    pengurus = client.staff(Role.PENGURUS)
    pengawas = client.staff(Role.PENGAWAS)
    assert client.post("/api/v1/periods/close", {"through": "2025-06-30"},
                       pengurus).status_code == 200
    asked = client.post("/api/v1/periods/reopen-requests",
                        {"through": None, "alasan": "Audit ulang"}, pengawas).json()
    approve = f"/api/v1/periods/reopen-requests/{asked['id']}/approve"
    _refused(client.post(approve, {}, pengawas), 403, "reopen_needs_other_role")
    # The books were closed further meanwhile: the old request no longer says what to undo.
    assert client.post("/api/v1/periods/close", {"through": "2025-07-31"},
                       pengurus).status_code == 200
    _refused(client.post(approve, {}, pengurus), 409, "reopen_request_stale")
    _refused(client.post("/api/v1/periods/reopen-requests/99/approve", {}, pengurus),
             404, "reopen_request_not_found")


def test_reopening_when_nothing_is_closed_is_refused(world):
    client, _admin, _n = world
    _refused(client.post("/api/v1/periods/reopen-requests", {"alasan": "x"},
                         client.staff(Role.PENGURUS)), 409, "period_not_closed")


def test_adart_cannot_take_effect_inside_a_closed_period(world):
    client, _admin, _n = world
    pengurus = client.staff(Role.PENGURUS)
    assert client.post("/api/v1/periods/close", {"through": "2025-06-30"},
                       pengurus).status_code == 200
    before = counts(client)
    _refused(client.post("/api/v1/adart", {"effective_date": "2025-06-30",
                                           "changes": {"simpanan_wajib": 60_000}}, pengurus),
             409, "date_in_closed_period")
    _refused(client.post("/api/v1/adart", {"effective_date": "0001-01-01",
                                           "changes": {"simpanan_wajib": 60_000}}, pengurus),
             422, "date_out_of_range")
    assert counts(client) == before
    assert client.post("/api/v1/adart", {"effective_date": "2025-07-01",
                                         "changes": {"simpanan_wajib": 60_000}},
                       pengurus).status_code == 200


@pytest.mark.parametrize("changes", [{}, {"simpanan_wajib": 50_000}, {"proxy_allowed": True}])
def test_an_empty_adart_change_is_refused(world, changes):
    client, _admin, _n = world
    pengurus = client.staff(Role.PENGURUS)
    before = counts(client)
    _refused(client.post("/api/v1/adart", {"effective_date": "2026-01-01", "changes": changes},
                         pengurus), 422, "adart_unchanged")
    assert counts(client) == before


@pytest.mark.parametrize(("birth", "code"), [
    ("2090-07-05", "invalid_birth_date"),    # in the future
    ("9999-07-05", "date_out_of_range"),
    ("1890-07-05", "date_out_of_range"),
    ("1901-07-05", "invalid_birth_date"),    # more than 120 years ago
    ("2015-07-05", "invalid_birth_date"),    # a child
])
def test_birth_date_must_be_a_living_adult(settings, birth, code):
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    nik = f"1217014507{birth[2:4]}0001"  # the NIK agrees with the date, so only age decides
    before = counts(client)
    _refused(client.post("/api/v1/members", person(1, nik=nik, birth_date=birth), admin),
             422, code)
    assert counts(client) == before


@pytest.mark.parametrize("path", ["/api/v1/reports/neraca?date=0001-12-31",
                                  "/api/v1/reports/phu?date=0001-12-31",
                                  "/api/v1/reports/trial-balance?date=9999-12-31",
                                  "/api/v1/adart?date=0001-01-01",
                                  "/api/v1/members/1/wajib-arrears?as_of=9999-12-31"])
def test_a_report_for_year_1_is_a_4xx(world, path):
    client, admin, _n = world
    reply = client.get(path, admin)
    _refused(reply, 422, "date_out_of_range")
    parameter = path.split("?")[1].split("=")[0]
    assert reply.json()["details"]["field"] == parameter
    assert reply.json()["message"].startswith(f"{parameter}: ")


def test_exit_dated_tomorrow_is_refused_even_with_nothing_to_pay(settings):
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    n = register(client, admin)
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    _refused(client.post(f"/api/v1/members/{n}/exit", {"tanggal": tomorrow}, admin),
             422, "date_in_future")


def test_rules_as_pure_functions():
    today = dt.date(2026, 5, 1)
    assert dates.check_posting_date(today, today=today, closed_through=None) is None
    assert dates.check_posting_date(dt.date(2026, 4, 1), today=today, closed_through=None,
                                    reason="telat") == "telat"
    with pytest.raises(dates.BackdateReasonRequired):
        dates.check_posting_date(dt.date(2026, 4, 1), today=today, closed_through=None,
                                 reason="x" * 201)
    assert dates.age_on(dt.date(2009, 5, 2), today) == 16
    assert dates.age_on(dt.date(2009, 5, 1), today) == 17
    assert dates.check_birth_date(dt.date(2009, 5, 1), today=today, min_age_years=17)
    with pytest.raises(dates.InvalidBirthDate):
        dates.check_birth_date(dt.date(2009, 5, 2), today=today, min_age_years=17)


def test_the_business_day_follows_the_time_zone_setting(monkeypatch):
    from pydantic import ValidationError

    from ksp.core.settings import Settings, get_settings

    clock.freeze(dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC))  # 22:30 WIB, 00:30 WIT
    try:
        monkeypatch.setenv("KSP_TIMEZONE", "Asia/Jayapura")
        get_settings.cache_clear()
        assert clock.today() == dt.date(2026, 3, 2)
        monkeypatch.delenv("KSP_TIMEZONE")
        get_settings.cache_clear()
        assert clock.today() == dt.date(2026, 3, 1)
    finally:
        clock.freeze(None)
        get_settings.cache_clear()
    with pytest.raises(ValidationError):
        Settings(timezone="Asia/Atlantis")


def test_a_backdated_exit_with_nothing_to_pay_still_follows_the_rules(settings):
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    pengurus = client.staff(Role.PENGURUS)
    n = register(client, admin)  # calon anggota: nothing to pay back
    assert client.post("/api/v1/periods/close", {"through": "2025-06-30"},
                       pengurus).status_code == 200
    before = counts(client)
    exit_path = f"/api/v1/members/{n}/exit"
    _refused(client.post(exit_path, {"tanggal": "2025-06-30", "alasan": "x"}, admin),
             409, "period_closed")
    _refused(client.post(exit_path, {"tanggal": "2025-07-01"}, admin),
             422, "backdate_reason_required")
    assert counts(client) == before
    reply = client.post(exit_path, {"tanggal": "2025-07-01", "alasan": "Surat pengunduran diri"},
                        admin)
    assert reply.status_code == 200, reply.text
    assert _log(client, "anggota.keluar") == [
        {"member": n, "date": "2025-07-01", "reason": "Surat pengunduran diri"}]
