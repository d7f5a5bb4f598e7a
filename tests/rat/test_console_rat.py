"""The RAT in the staff console: the pengurus creates a meeting (the AD/ART notice shown, a
short notice refused), adds the agenda and announces it; the secretary records attendance
by number and by the member's QR; the chair records a paper count after the window and a
pengawas co-signs it, the pengawas' only write; each step lands in the log."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select

from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.settings import Settings
from ksp.ledger.models import LogEntry
from ksp.rat import service
from tests.console.test_console import sign_in
from tests.rat.conftest import HELD_AT, VOTING_END, Coop
from tests.support.client import KspClient

_keys = itertools.count(1)
SCHEDULE = {"jenis": "annual", "judul": "RAT Tahun Buku 2025", "record_date": "2026-11-01",
            "voting_start": "2026-11-20T08:00", "held_at": "2026-11-20T09:00",
            "voting_end": "2026-11-20T15:00", "tempat": "Aula KSP", "tautan": ""}


def post(client: KspClient, csrf: str, path: str, data: dict[str, str]) -> Any:
    return client.http.post(path, data=data | {"csrf": csrf, "kunci": f"k{next(_keys)}"},
                            follow_redirects=False)


def kinds(coop: Coop) -> list[str]:
    with coop.factory() as session:
        return list(session.scalars(select(LogEntry.kind).where(LogEntry.kind.like("rat.%"))
                                    .order_by(LogEntry.seq)))


def test_the_meeting_run_from_the_console(coop: Coop, db_settings: Settings) -> None:
    client = KspClient(db_settings)
    csrf = sign_in(client, Role.PENGURUS, "ketua")
    listing = client.http.get("/staff/rat")
    assert listing.status_code == 200 and 'href="/staff/rat"' in listing.text
    assert "sekurang-kurangnya <b>14 hari</b>" in listing.text

    short = post(client, csrf, "/staff/rat", SCHEDULE | {"voting_start": "2026-11-10T08:00",
                                                         "held_at": "2026-11-10T09:00",
                                                         "voting_end": "2026-11-10T15:00"})
    assert short.status_code == 422 and "rat_notice_too_short" not in short.text
    assert "14" in short.text and kinds(coop) == []

    made = post(client, csrf, "/staff/rat", SCHEDULE)
    assert made.status_code == 303 and made.headers["location"] == "/staff/rat/1?ok=dibuat"
    with coop.factory() as session:
        meeting = service.get_meeting(session, 1)
    assert (clock.as_utc(meeting.voting_start), clock.as_utc(meeting.held_at)) == (
        HELD_AT - dt.timedelta(hours=1), HELD_AT)
    # The SHU item carries the year's proposal (tests/shu/test_through_rat.py): nobody types
    # its figures, and a year not closed has none to carry.
    before = kinds(coop)
    no_year = post(client, csrf, "/staff/rat/1/acara", {
        "kind": "shu", "title": "Pembagian SHU 2025", "text": "", "fiscal_year": "2025"})
    assert no_year.status_code == 409 and "belum ditutup" in no_year.text
    assert "is not closed" in no_year.text and kinds(coop) == before
    for data in ({"kind": "lpj", "title": "Pengesahan LPJ 2025", "text": "LPJ dan laporan "
                  "keuangan 2025."},
                 {"kind": "motion", "title": "Rencana kerja 2026", "text": "Usulan pengurus."},
                 {"kind": "election", "title": "Pemilihan pengurus", "text": "Tiga kursi.",
                  "office": "pengurus", "seats": "3", "candidates": "1, 2, 3, 4, 5"}):
        assert post(client, csrf, "/staff/rat/1/acara", data).status_code == 303
    assert post(client, csrf, "/staff/rat/1/umumkan", {}).status_code == 303

    clock.freeze(HELD_AT)
    admin_csrf = sign_in(client, Role.ADMIN, "sekretaris")
    page = client.http.get("/staff/rat/1").text
    assert 'data-scan-member="any"' in page and 'id="scan"' in page
    assert post(client, admin_csrf, "/staff/rat/1/hadir", {"code": "23"}).status_code == 303
    assert post(client, admin_csrf, "/staff/rat/1/hadir",
                {"code": "KSP-LINK:1:24:ABCD2345"}).status_code == 303
    again = post(client, admin_csrf, "/staff/rat/1/hadir", {"code": "23"})
    assert again.status_code == 409 and "sudah tercatat hadir" in again.text
    with coop.factory() as session:
        assert [(a.member_number, a.how.value) for a in service.attendance_of(session, 1)] == [
            (23, "in_person"), (24, "qr")]

    early = post(client, csrf := sign_in(client, Role.PENGURUS, "ketua"),
                 "/staff/rat/1/acara/0/langsung", {"c0": "0", "c1": "2", "c2": "0"})
    assert early.status_code == 409  # the online window is still open
    clock.freeze(VOTING_END + dt.timedelta(minutes=5))
    over = post(client, csrf, "/staff/rat/1/acara/0/langsung", {"c0": "1", "c1": "2", "c2": "0"})
    assert over.status_code == 409 and "hanya 2" in over.text  # 3 ballots, 2 present
    assert post(client, csrf, "/staff/rat/1/acara/0/langsung",
                {"c0": "0", "c1": "2", "c2": "0"}).status_code == 303
    assert "menunggu pengawas" in client.http.get("/staff/rat/1").text
    refused = post(client, csrf, "/staff/rat/1/acara/0/tandatangan", {})
    assert refused.status_code == 403  # the chair cannot co-sign

    pengawas_csrf = sign_in(client, Role.PENGAWAS, "pengawas1")
    page = client.http.get("/staff/rat/1").text
    assert 'id="read-only"' in page and 'id="rat-cosign-0"' in page
    assert 'id="rat-counts-0"' not in page and 'id="rat-attend"' not in page
    assert post(client, pengawas_csrf, "/staff/rat/1/acara/0/tandatangan", {}).status_code == 303
    assert post(client, pengawas_csrf, "/staff/rat/1/hadir", {"code": "25"}).status_code == 403
    assert "ditandatangani / co-signed pengawas1" in client.http.get("/staff/rat/1").text
    assert kinds(coop) == ["rat.dibuat", "rat.acara", "rat.acara", "rat.acara",
                           "rat.diumumkan", "rat.hadir", "rat.hadir", "rat.suara_langsung"]

    csrf = sign_in(client, Role.PENGURUS, "ketua")
    assert post(client, csrf, "/staff/rat/1/tutup", {}).status_code == 303
    assert kinds(coop)[-1] == "rat.ditutup"
