"""The console's system pages: Rantai & audit (anchors, outbox backlog and errors,
reconciliation on request, "Anchor sekarang"), Staf (staff accounts) and Jejak audit.
Refusals are 403 pages that write nothing; bad input is shown by its field, and nothing
is written (row counts are compared)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from eth_account import Account
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ksp.anchoring.models import AnchorRecord
from ksp.audit.models import AuditEvent
from ksp.auth.models import Role, StaffUser
from ksp.chain.deploy import deployment_path
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.chain.runtime import ChainRuntime
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.idempotency import IdempotencyRecord
from ksp.core.settings import Settings
from ksp.ledger.models import LogEntry
from tests.console.test_console import hidden, sign_in
from tests.support.client import KspClient
from tests.support.factories import anggota, join

STRONG = "kerbau-sawah-merah-tujuh"
TX = "0x" + "ab" * 32


@pytest.fixture
def client(settings: Settings) -> KspClient:
    return KspClient(settings)


def rows(client: KspClient) -> tuple[int, int, int, int]:
    """Staff accounts, anchors, audit rows and idempotency records."""
    with client.app.state.sessionmaker() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                     for model in (StaffUser, AnchorRecord, AuditEvent, IdempotencyRecord))


def nav(html: str) -> str:
    found = re.search(r"<nav>(.*?)</nav>", html, re.S)
    assert found
    return found.group(1)


# --- Rantai & audit ------------------------------------------------------------------


def add_chain_rows(factory: sessionmaker[Session]) -> None:
    """One confirmed anchor, and outbox rows: two pending (one with an error), one sent, and
    one confirmed that needed four attempts."""
    now = clock.now()
    with transaction(factory) as session:
        session.add(AnchorRecord(tree_size=12, root=bytes(range(32)), chain_id=31337,
                                 registry_address="0x" + "11" * 20, anchor_index=0,
                                 tx_hash=TX, block_number=42, status="confirmed",
                                 created_at=now - dt.timedelta(hours=1)))
        for n, (status, minutes, error, attempts) in enumerate((
                (OutboxStatus.PENDING, 125, None, 0),
                (OutboxStatus.PENDING, 3, "nonce too low", 2),
                (OutboxStatus.SENT, 1, None, 1),
                (OutboxStatus.CONFIRMED, 300, "timeout waiting for receipt", 4))):
            session.add(OutboxItem(kind=OutboxKind.MIRROR_SAVINGS, ref=f"seq:{n + 1}",
                                   payload="{}", status=status, attempts=attempts,
                                   last_error=error,
                                   created_at=now - dt.timedelta(minutes=minutes)))


def test_rantai_shows_anchors_backlog_and_last_errors_without_a_chain(
        client: KspClient) -> None:
    add_chain_rows(client.app.state.sessionmaker)
    sign_in(client, Role.ADMIN)
    page = client.http.get("/staff/rantai")
    assert page.status_code == 200
    text = page.text
    assert 'id="chain-down"' in text and "Rantai tidak terjangkau" in text
    # Counts by status; 3 rows not yet final, the oldest of them 125 minutes old.
    for status, count in (("pending", 2), ("sent", 1), ("included", 0), ("confirmed", 1)):
        assert re.search(rf'id="outbox-{status}">{count}<', text), status
    assert re.search(r'id="backlog">3 belum final.*tertua.*2 jam 5 menit', text, re.S)
    errors = re.search(r'id="outbox-errors">.*?</table>', text, re.S)
    assert errors
    found = re.findall(r"<tr><td>mirror_savings</td><td class=\"mono\">(seq:\d)</td><td>([^<]*)"
                       r"</td><td class=\"num\">(\d+)</td>", errors.group(0))
    assert found == [("seq:4", "timeout waiting for receipt", "4"),
                     ("seq:2", "nonce too low", "2")]
    # No explorer configured: the hash is plain text, no outside link.
    assert f'<td class="mono">{TX}</td>' in text and "/tx/" not in text
    assert f"0x{bytes(range(32)).hex()}" in text
    # Reconciliation is not run on a page load, only on request.
    assert 'id="rekon-result"' not in text
    # Admin may not anchor: no button.
    assert 'id="anchor-now"' not in text


def test_the_tx_hash_links_to_the_explorer_when_one_is_configured(settings: Settings) -> None:
    client = KspClient(settings.model_copy(update={
        "explorer_url": "https://amoy.polygonscan.com"}))
    add_chain_rows(client.app.state.sessionmaker)
    sign_in(client, Role.PENGAWAS)
    text = client.http.get("/staff/rantai").text
    assert f'<a href="https://amoy.polygonscan.com/tx/{TX}" rel="noopener noreferrer">' in text


def test_explorer_url_must_be_a_site() -> None:
    with pytest.raises(ValueError, match="KSP_EXPLORER_URL"):
        Settings(explorer_url="javascript:alert(1)")
    assert Settings(explorer_url="https://polygonscan.com/").explorer_url == \
        "https://polygonscan.com"


def test_reconcile_with_the_chain_unreachable_says_so(client: KspClient) -> None:
    sign_in(client, Role.PENGAWAS)
    part = client.http.get("/staff/rantai/rekonsiliasi", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert "<html" not in part.text  # htmx gets the result block only
    assert re.search(r'id="rekon-problem">Rantai tidak terjangkau\.<br><small class="en">'
                     r"Chain unreachable\.<", part.text)
    whole = client.http.get("/staff/rantai/rekonsiliasi")  # without JavaScript: the page
    assert whole.status_code == 200 and 'id="chain-status"' in whole.text
    assert 'id="rekon-problem"' in whole.text


def test_anchor_now_with_no_chain_configured_shows_a_bilingual_message(
        client: KspClient) -> None:
    csrf = sign_in(client, Role.PENGURUS)
    form = client.http.get("/staff/rantai")
    assert 'id="anchor-now"' in form.text
    key = hidden(form.text, "kunci")
    before = rows(client)
    reply = client.http.post("/staff/rantai/anchor", data={"csrf": csrf, "kunci": key})
    assert reply.status_code == 200
    assert re.search(r'id="anchor-result" role="status">Rantai belum dikonfigurasi.*<small '
                     r'class="en">No chain configured', reply.text, re.S)
    # Nothing anchored; the request itself is audited once, as refused by the chain (503).
    assert rows(client) == (before[0], 0, before[2] + 1, before[3] + 1)
    with client.app.state.sessionmaker() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.action == "POST /staff/rantai/anchor"
    assert (event.actor, event.status_code) == ("pengurus", 503)
    again = client.http.post("/staff/rantai/anchor", data={"csrf": csrf, "kunci": key})
    assert "Rantai belum dikonfigurasi" in again.text
    assert rows(client) == (before[0], 0, before[2] + 1, before[3] + 1)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PENGAWAS])
def test_anchor_now_is_refused_to_admin_and_pengawas(client: KspClient, role: Role) -> None:
    csrf = sign_in(client, role)
    before = rows(client)
    reply = client.http.post("/staff/rantai/anchor", data={"csrf": csrf, "kunci": "k-anchor"})
    assert reply.status_code == 403 and 'id="refused"' in reply.text
    assert rows(client) == before


def test_anchor_now_anchors_the_log_on_anvil_and_reconcile_finds_no_drift(
        chain_settings: Settings) -> None:
    ChainRuntime(chain_settings).deploy()
    client = KspClient(chain_settings)
    pengurus = client.staff(Role.PENGURUS)
    anggota(client, pengurus, 1, wallet=Account.create())
    with client.app.state.sessionmaker() as session:
        size = session.scalar(select(func.count()).select_from(LogEntry))
    assert size is not None and size >= 2
    csrf = sign_in(client, Role.SUPER_ADMIN)
    key = hidden(client.http.get("/staff/rantai").text, "kunci")
    reply = client.http.post("/staff/rantai/anchor", data={"csrf": csrf, "kunci": key})
    assert reply.status_code == 200
    assert re.search(rf'id="anchor-result" role="status">Anchor #0 ukuran {size} tercatat di '
                     r"blok \d+\.", reply.text), reply.text
    with client.app.state.sessionmaker() as session:
        records = list(session.scalars(select(AnchorRecord)))
    assert [(r.tree_size, r.status, r.anchor_index) for r in records] == \
        [(size, "confirmed", 0)]
    assert f'<td class="mono">{records[0].tx_hash}</td>' in reply.text
    # Nothing new since: a second press says so and sends nothing.
    key = hidden(reply.text, "kunci")
    again = client.http.post("/staff/rantai/anchor", data={"csrf": csrf, "kunci": key})
    assert f"Tidak ada entri baru sejak anchor ukuran {size}." in again.text
    with client.app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(AnchorRecord)) == 1
    # The outbox has not sent the member's rows yet: pending, not drift.
    part = client.http.get("/staff/rantai/rekonsiliasi", headers={"HX-Request": "true"})
    assert re.search(r'id="rekon-ok">Tidak ada selisih antara buku dan rantai \(2 menunggu '
                     r"antrean\)", part.text), part.text


# --- Staf ----------------------------------------------------------------------------


def test_super_admin_creates_an_account_once_and_it_can_sign_in(client: KspClient) -> None:
    csrf = sign_in(client, Role.SUPER_ADMIN)
    form = client.http.get("/staff/staf")
    assert 'id="staff-new"' in form.text
    key = hidden(form.text, "kunci")
    before = rows(client)
    body = {"csrf": csrf, "kunci": key, "username": "kasir.dua", "role": "admin",
            "password": STRONG}
    done = client.http.post("/staff/staf", data=body, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/staf?selesai=baru"
    again = client.http.post("/staff/staf", data=body, follow_redirects=False)
    assert again.status_code == 303  # a resubmitted form creates nothing more
    assert rows(client) == (before[0] + 1, 0, before[2] + 1, before[3] + 1)
    listed = client.http.get("/staff/staf?selesai=baru").text
    assert "Akun dibuat." in listed
    assert re.search(r'id="staff-kasir.dua"><td>kasir.dua</td>\s*<td>Admin</td>\s*<td>Ya', listed)
    with client.app.state.sessionmaker() as session:
        record = session.scalars(select(IdempotencyRecord)).one()
    assert STRONG not in record.fingerprint and STRONG not in record.body
    login = client.http.post("/api/v1/auth/login",
                             json={"username": "kasir.dua", "password": STRONG})
    assert login.status_code == 200


@pytest.mark.parametrize(("field", "over", "status", "message"), [
    ("password", {"password": "password1"}, 422, "Kata sandi ditolak"),
    ("password", {"password": "pendek"}, 422, "minimal 10 karakter"),
    ("role", {"role": "bendahara"}, 422, "Peran tidak dikenal"),
    ("role", {"role": "anggota"}, 422, "Peran tidak dikenal"),
    ("username", {"username": "Bu Ani!"}, 422, "Nama pengguna 3-64 karakter"),
    ("username", {"username": "super_admin"}, 409, "sudah dipakai"),
])
def test_bad_input_is_shown_by_its_field_and_nothing_is_written(
        client: KspClient, field: str, over: dict[str, str], status: int, message: str) -> None:
    csrf = sign_in(client, Role.SUPER_ADMIN)
    before = rows(client)
    body = {"csrf": csrf, "kunci": "k-staf-1", "username": "kasir.dua", "role": "admin",
            "password": STRONG} | over
    reply = client.http.post("/staff/staf", data=body)
    assert reply.status_code == status
    found = re.search(rf'<p class="err" id="err-{field}" role="alert">([^<]*)<br>'
                      r'<small class="en">([^<]+)<', reply.text)
    assert found, reply.text
    assert message in found.group(1)
    assert rows(client) == before


def test_role_change_and_disable_end_that_accounts_sessions(client: KspClient) -> None:
    admin_token = client.staff(Role.ADMIN, "kasir")
    csrf = sign_in(client, Role.SUPER_ADMIN)
    http = client.http
    before = rows(client)
    changed = http.post("/staff/staf/kasir/peran", data={"csrf": csrf, "kunci": "k-r1",
                                                         "role": "pengurus"},
                        follow_redirects=False)
    assert changed.headers["location"] == "/staff/staf?selesai=peran"
    assert client.get("/api/v1/auth/me", admin_token).status_code == 401
    off = http.post("/staff/staf/kasir/nonaktif", data={"csrf": csrf, "kunci": "k-d1"},
                    follow_redirects=False)
    assert off.headers["location"] == "/staff/staf?selesai=nonaktif"
    with client.app.state.sessionmaker() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == "kasir")).one()
        assert (user.role, user.active) == (Role.PENGURUS, False)
    on = http.post("/staff/staf/kasir/aktif", data={"csrf": csrf, "kunci": "k-e1"},
                   follow_redirects=False)
    assert on.headers["location"] == "/staff/staf?selesai=aktif"
    with client.app.state.sessionmaker() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)
                                       .offset(before[2])))
    assert actions == ["POST /staff/staf/kasir/peran", "POST /staff/staf/kasir/nonaktif",
                       "POST /staff/staf/kasir/aktif"]
    unknown = http.post("/staff/staf/kasir/peran", data={"csrf": csrf, "kunci": "k-r2",
                                                         "role": "raja"})
    assert unknown.status_code == 422 and 'id="err-row-kasir"' in unknown.text
    assert "Peran tidak dikenal" in unknown.text


def test_the_super_admin_cannot_disable_or_demote_themselves(client: KspClient) -> None:
    """So the last super admin stays: whoever could disable or demote one is one."""
    csrf = sign_in(client, Role.SUPER_ADMIN, "ketua.it")
    page = client.http.get("/staff/staf").text
    assert "Akun sendiri tidak dapat diubah di sini." in page
    before = rows(client)
    off = client.http.post("/staff/staf/ketua.it/nonaktif", data={"csrf": csrf, "kunci": "k1"})
    assert off.status_code == 409
    assert re.search(r'id="err-row-ketua.it" role="alert">Anda tidak dapat menonaktifkan akun '
                     r'Anda sendiri\.<br><small class="en">You cannot disable your own account',
                     off.text)
    demote = client.http.post("/staff/staf/ketua.it/peran",
                              data={"csrf": csrf, "kunci": "k2", "role": "admin"})
    assert demote.status_code == 409 and "tidak dapat mengubah peran akun Anda" in demote.text
    assert rows(client) == before
    with client.app.state.sessionmaker() as session:
        me = session.scalars(select(StaffUser).where(StaffUser.username == "ketua.it")).one()
    assert (me.role, me.active) == (Role.SUPER_ADMIN, True)


def test_pengawas_reads_the_staff_list_and_every_write_is_refused(client: KspClient) -> None:
    client.staff(Role.ADMIN, "kasir")
    csrf = sign_in(client, Role.PENGAWAS)
    page = client.http.get("/staff/staf")
    assert page.status_code == 200 and 'id="staff-kasir"' in page.text
    assert 'id="staff-new"' not in page.text and "Nonaktifkan" not in page.text
    before = rows(client)
    for path, body in (("/staff/staf", {"username": "baru1", "role": "admin",
                                        "password": STRONG}),
                       ("/staff/staf/kasir/peran", {"role": "pengurus"}),
                       ("/staff/staf/kasir/nonaktif", {}),
                       ("/staff/staf/kasir/aktif", {})):
        reply = client.http.post(path, data=body | {"csrf": csrf, "kunci": f"k-{path}"})
        assert reply.status_code == 403 and 'id="refused"' in reply.text, path
    assert rows(client) == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PENGURUS])
def test_admin_and_pengurus_are_refused_the_staff_pages(client: KspClient, role: Role) -> None:
    client.staff(Role.ADMIN, "kasir")
    csrf = sign_in(client, role, f"akun.{role.value}")
    page = client.http.get("/staff/staf")
    assert page.status_code == 403 and 'id="refused"' in page.text
    assert "kasir" not in page.text
    assert 'href="/staff/staf"' not in nav(page.text)
    before = rows(client)
    reply = client.http.post("/staff/staf/kasir/nonaktif", data={"csrf": csrf, "kunci": "k1"})
    assert reply.status_code == 403 and rows(client) == before


def test_nav_links_follow_the_roles(client: KspClient) -> None:
    seen = {}
    for role in (Role.SUPER_ADMIN, Role.ADMIN, Role.PENGURUS, Role.PENGAWAS):
        sign_in(client, role)
        links = nav(client.http.get("/staff/rantai").text)
        seen[role] = tuple(path for path in ("/staff/rantai", "/staff/staf", "/staff/audit")
                           if f'href="{path}"' in links)
    assert seen == {Role.SUPER_ADMIN: ("/staff/rantai", "/staff/staf", "/staff/audit"),
                    Role.ADMIN: ("/staff/rantai",),
                    Role.PENGURUS: ("/staff/rantai", "/staff/audit"),
                    Role.PENGAWAS: ("/staff/rantai", "/staff/staf", "/staff/audit")}


# --- Jejak audit ---------------------------------------------------------------------


def add_events(factory: sessionmaker[Session]) -> None:
    """Three events on three business days (Asia/Jakarta), and 120 more a day later."""
    zone = clock.zone()
    with transaction(factory) as session:
        # 2 November 00:30 in Jakarta is still 1 November in UTC: dates are business days.
        for day, hour, actor, action, seq in (
                (1, 9, "kasir", "POST /staff/teller/simpan", 7),
                (2, 0, "ketua", "POST /api/v1/corrections", None),
                (20, 9, "kasir", "POST /staff/anggota/baru", None)):
            session.add(AuditEvent(at=dt.datetime(2026, 11, day, hour, 30, tzinfo=zone)
                                   .astimezone(dt.UTC),  # stored in UTC, as clock.now()
                                   actor=actor, role="admin", action=action,
                                   status_code=201, log_seq=seq))
        for n in range(120):
            session.add(AuditEvent(at=dt.datetime(2026, 11, 21, 8, 0, n % 60, tzinfo=zone)
                                   .astimezone(dt.UTC),
                                   actor="mesin", role="super_admin", action=f"POST /x/{n}",
                                   status_code=200))


def listed(html: str) -> list[str]:
    return re.findall(r'<td class="mono">(POST [^<]*?)(?: <small|</td>)', html)


def test_audit_filters_by_actor_action_dates_and_seq(client: KspClient) -> None:
    add_events(client.app.state.sessionmaker)
    sign_in(client, Role.PENGURUS)
    get = client.http.get
    kasir = get("/staff/audit?pelaku=kasir").text
    assert "20-11-2026 09:30" in kasir  # shown in the cooperative's time zone
    assert listed(kasir) == [
        "POST /staff/anggota/baru", "POST /staff/teller/simpan"]
    assert listed(get("/staff/audit?aksi=corrections").text) == ["POST /api/v1/corrections"]
    assert listed(get("/staff/audit?dari=2026-11-02&sampai=20-11-2026").text) == [
        "POST /staff/anggota/baru", "POST /api/v1/corrections"]
    assert listed(get("/staff/audit?seq=7").text) == ["POST /staff/teller/simpan"]
    assert listed(get("/staff/audit?pelaku=kasir&dari=2026-11-15").text) == [
        "POST /staff/anggota/baru"]


def test_the_api_filters_by_log_seq_with_the_same_search(client: KspClient) -> None:
    add_events(client.app.state.sessionmaker)
    token = client.staff(Role.PENGAWAS)
    found = client.get("/api/v1/audit-events?log_seq=7", token)
    assert found.status_code == 200
    assert [(e["actor"], e["action"], e["log_seq"]) for e in found.json()["events"]] == [
        ("kasir", "POST /staff/teller/simpan", 7)]
    assert client.get("/api/v1/audit-events?log_seq=0", token).status_code == 422


def test_audit_pages_are_newest_first(client: KspClient) -> None:
    add_events(client.app.state.sessionmaker)
    sign_in(client, Role.SUPER_ADMIN)  # the sign-in writes no audit row
    first = client.http.get("/staff/audit?pelaku=mesin")
    assert listed(first.text) == [f"POST /x/{n}" for n in range(119, 69, -1)]
    assert 'href="/staff/audit?pelaku=mesin&amp;hal=2" rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    last = client.http.get("/staff/audit?pelaku=mesin&hal=3")
    assert listed(last.text) == [f"POST /x/{n}" for n in range(19, -1, -1)]
    assert 'rel="next"' not in last.text
    assert 'href="/staff/audit?pelaku=mesin&amp;hal=2" rel="prev"' in last.text


@pytest.mark.parametrize(("query", "field", "message"), [
    ("dari=31-02-2026", "dari", "Tanggal tidak dikenali"),
    ("sampai=kemarin", "sampai", "Tanggal tidak dikenali"),
    ("dari=1800-01-01", "dari", "1800-01-01"),
    ("dari=2026-11-20&sampai=2026-11-01", "sampai", "sebelum tanggal dari"),
    ("seq=-3", "seq", "Nomor urut log harus angka"),
])
def test_bad_filters_are_shown_by_their_field(client: KspClient, query: str, field: str,
                                              message: str) -> None:
    add_events(client.app.state.sessionmaker)
    sign_in(client, Role.PENGAWAS)
    before = rows(client)
    reply = client.http.get(f"/staff/audit?{query}")
    assert reply.status_code == 422
    found = re.search(rf'id="err-{field}" role="alert">([^<]*)<br><small class="en">[^<]+<',
                      reply.text)
    assert found and message in found.group(1), reply.text
    assert listed(reply.text) == []
    assert rows(client) == before


def test_admin_is_refused_the_audit_trail_as_in_the_api(client: KspClient) -> None:
    add_events(client.app.state.sessionmaker)
    sign_in(client, Role.ADMIN)
    reply = client.http.get("/staff/audit")
    assert reply.status_code == 403 and 'id="refused"' in reply.text
    assert "POST /x/" not in reply.text


def test_hostile_input_never_gives_a_500_on_either_database(db_settings: Settings) -> None:
    client = KspClient(db_settings)
    client.staff(Role.ADMIN, "kasir")
    csrf = sign_in(client, Role.SUPER_ADMIN)
    http = client.http
    before = rows(client)
    nul, long = "a\x00b", "x" * 5000
    for query in ({"pelaku": nul, "aksi": nul}, {"pelaku": long, "aksi": long, "dari": long},
                  {"seq": "99999999999999999999"}, {"seq": "9223372036854775807"},
                  {"hal": "-1"}, {"hal": "99999999999"}, {"dari": "٢٠٢٦-١١-٠١"},
                  {"dari": "2100-12-31", "sampai": "2100-12-31"}):
        reply = http.get("/staff/audit", params=query)
        assert reply.status_code in (200, 422), query
    for path, body in (("/staff/staf", {"username": nul, "role": nul, "password": nul}),
                       ("/staff/staf", {"username": long, "role": long, "password": long}),
                       ("/staff/staf/a%00b/peran", {"role": "admin"}),
                       ("/staff/staf/kasir/peran", {"role": nul}),
                       (f"/staff/staf/{'k' * 300}/nonaktif", {}),
                       ("/staff/staf/kasir/aktif", {"kunci": nul}),
                       ("/staff/rantai/anchor", {"kunci": nul})):
        reply = http.post(path, data={"csrf": csrf, "kunci": "k-hostile"} | body)
        assert reply.status_code in (403, 404, 409, 422), (path, reply.status_code)
    assert rows(client) == before


def test_with_the_chain_up_but_nothing_deployed_each_button_says_why(
        chain_settings: Settings) -> None:
    client = KspClient(chain_settings)
    csrf = sign_in(client, Role.PENGURUS)
    page = client.http.get("/staff/rantai")
    assert 'id="chain-ok"' in page.text and "chain id 31337" in page.text
    anchor = client.http.post("/staff/rantai/anchor",
                              data={"csrf": csrf, "kunci": hidden(page.text, "kunci")})
    assert anchor.status_code == 200 and "Rantai belum dikonfigurasi" in anchor.text
    hx = {"HX-Request": "true"}
    part = client.http.get("/staff/rantai/rekonsiliasi", headers=hx)
    assert re.search(r'id="rekon-problem">Kontrak simpanan belum dipasang di rantai ini\.<br>'
                     r'<small class="en">The savings contracts are not deployed', part.text)
    # A deployments file naming addresses with no contract (a chain that was reset).
    path = deployment_path(chain_settings.deployments_dir, 31337)
    path.parent.mkdir(parents=True, exist_ok=True)
    nowhere = {"address": "0x" + "22" * 20, "block": 0}
    path.write_text(json.dumps({"chain_id": 31337, "contracts": {
        "SavingsToken": nowhere, "CoopMembers": nowhere}}))
    with transaction(client.app.state.sessionmaker) as session:
        join(session, client.app.state.cipher, 1, on=clock.today(),
             wallet_address=Account.create().address)
    part = client.http.get("/staff/rantai/rekonsiliasi", headers=hx)
    assert part.status_code == 200
    assert re.search(r'id="rekon-problem">Rekonsiliasi gagal: \w+\.<br>', part.text), part.text
