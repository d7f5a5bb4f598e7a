"""Bad input at the year end: each a 4xx with its code, and nothing written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from ksp.accounting.products import Jenis, token_id
from ksp.auth.models import Role
from ksp.chain.outbox import OutboxItem, OutboxKind
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger import chart, journal
from ksp.ledger.reports import member_balances
from ksp.shu import calc
from ksp.shu.models import ShuMemberLine
from tests.shu.year import TODAY, build_year, rat_approves
from tests.support.client import KspClient, new_wallet
from tests.support.rows import counts


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(TODAY)
    yield
    clock.freeze(None)


@pytest.fixture
def client(settings):
    return KspClient(settings)


def _refused(client, path, body, token, status, code):
    before = counts(client)
    reply = client.post(path, body, token)
    assert reply.status_code == status, reply.text
    assert reply.json()["code"] == code
    assert reply.json()["message"] and reply.json()["message_en"]
    assert counts(client) == before
    return reply.json()


def test_a_year_not_yet_ended_cannot_be_closed(client):
    ketua = client.staff(Role.PENGURUS, "ketua")
    _refused(client, "/api/v1/shu/2026/close", {}, ketua, 409, "year_not_ended")


def test_a_year_cannot_be_closed_twice(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    assert client.post("/api/v1/shu/2025/close", {}, ketua).status_code == 200
    _refused(client, "/api/v1/shu/2025/close", {}, ketua, 409, "year_already_closed")


def test_a_year_cannot_be_closed_before_the_year_before_it(client):
    build_year(client)
    clock.freeze(TODAY.replace(year=2027))  # 2026 has ended; 2025 was never closed
    ketua = client.staff(Role.PENGURUS, "ketua")
    error = _refused(client, "/api/v1/shu/2026/close", {}, ketua, 409,
                     "earlier_year_not_closed")
    assert error["details"] == {"since": "2026-01-01"}


def test_closing_with_unposted_provisions_is_refused(client):
    build_year(client, provision=False)  # 1% of the 10,000,000 outstanding is missing
    ketua = client.staff(Role.PENGURUS, "ketua")
    error = _refused(client, "/api/v1/shu/2025/close", {}, ketua, 409, "provisions_not_posted")
    assert error["details"] == {"required": 100_000, "posted": 0, "through": "2025-12-31"}


def test_a_year_reopened_by_the_two_boards_closes_again_with_what_was_added(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    pengawas = client.staff(Role.PENGAWAS, "pengawas")
    assert client.post("/api/v1/shu/2025/close", {}, ketua).status_code == 200
    asked = client.post("/api/v1/periods/reopen-requests",
                        {"through": "2025-12-30", "alasan": "Koreksi gaji Desember"}, ketua)
    approved = client.post(f"/api/v1/periods/reopen-requests/{asked.json()['id']}/approve",
                           {}, pengawas)
    assert approved.status_code == 200, approved.text
    with transaction(client.app.state.sessionmaker) as session:
        journal.post(session, entry_date=dt.date(2025, 12, 31), kind="beban.operasional",
                     memo="Listrik Desember", reason="Tagihan terlambat",
                     legs=[journal.debit(chart.BEBAN_OPERASIONAL, 50_000),
                           journal.credit(chart.KAS, 50_000)])
    again = client.post("/api/v1/shu/2025/close", {}, ketua)
    assert again.status_code == 200, again.text
    assert again.json()["shu"] == 1_200_000


def test_distribution_needs_a_closed_year_and_a_proposal(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    _refused(client, "/api/v1/shu/2025/distribution", {}, ketua, 409, "year_not_closed")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    _refused(client, "/api/v1/shu/2025/distribution", {}, ketua, 409, "shu_not_proposed")


def test_a_proposal_not_adding_up_to_100_percent_is_refused(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    split = {"cadangan": 4000, "jasa_anggota": 4000, "pengurus": 500, "karyawan": 500,
             "pendidikan": 500, "sosial": 500, "pembangunan_daerah": 500}  # 105%
    error = _refused(client, "/api/v1/shu/2025/proposal", {"split": split}, ketua, 422,
                     "shu_split_not_whole")
    assert error["details"] == {"total": 10_500}


def test_a_result_whose_figures_do_not_match_their_hash_is_refused(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    proposed = client.post("/api/v1/shu/2025/proposal", {}, ketua).json()
    figures = proposed["figures"]
    rat_approves(client, figures, proposed["figures_hash"],
                 split={**figures["split"], "cadangan": 3500, "jasa_anggota": 4000})
    error = _refused(client, "/api/v1/shu/2025/distribution", {}, bendahara, 409,
                     "shu_approval_mismatch")
    assert "do not match their hash" in error["message_en"]


def test_a_rejected_shu_item_is_no_approval(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    proposed = client.post("/api/v1/shu/2025/proposal", {}, ketua).json()
    rat_approves(client, proposed["figures"], proposed["figures_hash"])
    # A later RAT result on the same year decides: a rejection withdraws the approval.
    rat_approves(client, proposed["figures"], proposed["figures_hash"], decision="ditolak")
    _refused(client, "/api/v1/shu/2025/distribution", {}, bendahara, 409, "shu_not_approved")


def test_an_approval_for_another_pool_is_refused(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    proposed = client.post("/api/v1/shu/2025/proposal", {}, ketua).json()
    rat_approves(client, proposed["figures"], proposed["figures_hash"], shu=999)
    _refused(client, "/api/v1/shu/2025/distribution", {}, bendahara, 409,
             "shu_approval_mismatch")


def test_an_approval_of_another_proposal_is_refused(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    proposed = client.post("/api/v1/shu/2025/proposal", {}, ketua).json()
    other = {**proposed["figures"], "settlement": "tunai"}
    rat_approves(client, other, calc.figures_hash(other))
    error = _refused(client, "/api/v1/shu/2025/distribution", {}, bendahara, 409,
                     "shu_approval_mismatch")
    assert "figures hash differs" in error["message_en"]


def test_the_settlement_the_rat_approved_is_the_one_posted(client):
    numbers = build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    proposed = client.post("/api/v1/shu/2025/proposal", {"settlement": "tunai"}, ketua).json()
    rat_approves(client, proposed["figures"], proposed["figures_hash"])
    done = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert done.status_code == 201, done.text
    assert done.json()["members_total"] == 437_500  # 35% of 1,250,000
    assert done.json()["settlement"] == "tunai"
    with client.app.state.sessionmaker() as session:
        owed = [member_balances(session, member=n).get(chart.UTANG_SHU_ANGGOTA, 0)
                for n in numbers.values()]
    assert owed == [337_602, 23_214, 76_684]


def test_a_member_shu_of_a_year_not_closed_is_refused(client):
    build_year(client)
    admin = client.staff(Role.ADMIN)
    reply = client.get("/api/v1/members/1/shu?year=2025", admin)
    assert reply.status_code == 409 and reply.json()["code"] == "year_not_closed"


def test_shares_added_to_wajib_are_mirrored_to_the_members_wallet(client):
    numbers = build_year(client, wallet_a=new_wallet())
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    proposed = client.post("/api/v1/shu/2025/proposal", {"settlement": "wajib"}, ketua).json()
    rat_approves(client, proposed["figures"], proposed["figures_hash"])
    assert client.post("/api/v1/shu/2025/distribution", {}, bendahara).status_code == 201
    with client.app.state.sessionmaker() as session:
        wajib = member_balances(session, member=numbers["A"])[chart.SIMPANAN_WAJIB]
        line = session.get(ShuMemberLine, (2025, numbers["A"]))
        mirrors = [json.loads(item.payload) for item in session.scalars(
            select(OutboxItem).where(OutboxItem.kind == OutboxKind.MIRROR_SAVINGS)
            .where(OutboxItem.seq == line.seq))]
    assert wajib == 500_000 + 337_602
    assert [(m["member"], m["token_id"], m["delta"]) for m in mirrors] == [
        (numbers["A"], token_id(Jenis.WAJIB), 337_602)]


def test_a_member_reads_their_own_shu_line_and_no_one_elses(client):
    wallet = new_wallet()
    numbers = build_year(client, wallet_a=wallet)
    ketua = client.staff(Role.PENGURUS, "ketua")
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    client.post("/api/v1/shu/2025/close", {}, ketua)
    proposed = client.post("/api/v1/shu/2025/proposal", {}, ketua).json()
    rat_approves(client, proposed["figures"], proposed["figures_hash"])
    assert client.post("/api/v1/shu/2025/distribution", {}, bendahara).status_code == 201
    token = client.member_login(wallet)
    own = client.get(f"/api/v1/members/{numbers['A']}/shu?year=2025", token)
    assert own.status_code == 200 and own.json()["amount"] == 337_602
    other = client.get(f"/api/v1/members/{numbers['B']}/shu?year=2025", token)
    assert other.status_code == 403 and other.json()["code"] == "forbidden"
