"""Reports and the wajib arrears list as PDF and CSV: the PDF names the cooperative, the
log seq and the anchored root; CSV figures equal the JSON ones; nothing is fetched from
the network; staff read, members do not."""

from __future__ import annotations

import datetime as dt
import io
import socket

import pypdf
import pytest
from sqlalchemy import select

from ksp.anchoring.models import AnchorRecord
from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger.models import LogHead
from ksp.members.models import Member, MemberStatus
from ksp.printing import documents
from ksp.printing.render import (
    CSV_BOM,
    html_to_pdf,
    local_only_fetcher,
    read_csv,
    render_html_string,
    to_csv,
)
from ksp.savings import service as savings
from tests.support.client import KspClient, new_wallet
from tests.support.factories import anggota, deposit, register

COOP = "KSP Maju Bersama Pangururan"
KINDS = ("trial-balance", "neraca", "phu")


@pytest.fixture
def world(db_settings):
    client = KspClient(db_settings.model_copy(update={"coop_name": COOP}))
    admin = client.staff(Role.ADMIN)
    wallet = new_wallet()
    # Joined January 2025 (wajib Rp 50.000 a month): paid 12, 3 and 0 months.
    numbers = [anggota(client, admin, i + 1, wallet=wallet if i == 0 else None,
                       tanggal="2025-01-10") for i in range(3)]
    deposit(client, admin, numbers[0], "wajib", 600_000, "2025-02-01")
    deposit(client, admin, numbers[1], "wajib", 150_000, "2025-03-01")
    deposit(client, admin, numbers[1], "sukarela", 1_250_000, "2025-03-01")
    calon = register(client, admin, 9)  # never paid pokok: not joined, owes nothing
    return client, admin, wallet, numbers, calon


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())  # lines unwrapped


def _seq(client) -> int:
    with client.app.state.sessionmaker() as session:
        return session.get(LogHead, 1).size


def test_report_pdfs_name_the_coop_the_seq_and_the_anchor(world):
    client, _admin, *_ = world
    pengawas = client.staff(Role.PENGAWAS)
    seq = _seq(client)
    assert seq > 0
    for kind in KINDS:
        reply = client.get(f"/api/v1/reports/{kind}.pdf?date=2025-12-31", pengawas)
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"] == "application/pdf"
        text = _pdf_text(reply.content)
        assert COOP in text and f"seq: {seq}" in text, text
        assert "belum di-anchor" in text and "2025-12-31" in text
    # The neraca shows the members' savings as Indonesians write amounts.
    text = _pdf_text(client.get("/api/v1/reports/neraca.pdf?date=2025-12-31", pengawas).content)
    assert "Rp 1.250.000" in text

    root = bytes(range(32))
    with transaction(client.app.state.sessionmaker) as session:
        session.add(AnchorRecord(tree_size=seq, root=root, chain_id=31337,
                                 registry_address="0x" + "11" * 20, anchor_index=0,
                                 tx_hash="0x" + "ab" * 32, block_number=7, status="confirmed",
                                 created_at=clock.now()))
    text = _pdf_text(client.get("/api/v1/reports/phu.pdf?date=2025-12-31", pengawas).content)
    assert "belum di-anchor" not in text
    assert "0x" + root.hex() in "".join(text.split())


def _csv(reply):
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.content.startswith(CSV_BOM.encode())
    return read_csv(reply.content.decode("utf-8"))


def test_report_csv_rows_equal_the_json_figures(world):
    client, admin, *_ = world
    for kind in KINDS:
        figures = client.get(f"/api/v1/reports/{kind}?date=2025-12-31", admin).json()
        header, *rows = _csv(client.get(f"/api/v1/reports/{kind}.csv?date=2025-12-31", admin))
        if kind == "trial-balance":
            assert header == ["kode", "akun", "account", "debit", "kredit", "saldo"]
            accounts = {r["code"]: [r["name"], r["name_en"], r["debit"], r["credit"],
                                    r["balance"]] for r in figures["accounts"]}
            assert {r[0]: [r[1], r[2], int(r[3]), int(r[4]), int(r[5])] for r in rows[:-1]
                    } == accounts
            assert [int(rows[-1][3]), int(rows[-1][4])] == [figures["total_debit"],
                                                           figures["total_credit"]]
            assert figures["total_debit"] > 0
            continue
        sections = documents.SECTIONS[kind]
        for section in sections:
            mine = [r for r in rows if r[0] == section]
            expected = ([[r["code"], r["name"], int(r["balance"])]
                         for r in figures[section]["lines"]]
                        + [["", e["name"], e["balance"]] for e in figures[section]["extra"]])
            assert [[r[1], r[2], int(r[4])] for r in mine[:-1]] == expected
            assert int(mine[-1][4]) == figures[section]["total"]
        if kind == "phu":
            assert int(rows[-1][4]) == figures["shu"]
    neraca = client.get("/api/v1/reports/neraca?date=2025-12-31", admin).json()
    assert neraca["kewajiban"]["total"] + neraca["ekuitas"]["total"] >= 1_250_000


def test_arrears_list_across_members_filters_and_matches_the_service(world):
    client, admin, _wallet, (paid_all, paid_three, paid_none), calon = world
    url = "/api/v1/savings/wajib-arrears"
    everyone = client.get(f"{url}?as_of=2025-12-31&min_months=0", admin).json()
    assert [m["member"] for m in everyone["members"]] == sorted(
        [paid_all, paid_three, paid_none, calon])
    with client.app.state.sessionmaker() as session:
        for line in everyone["members"]:
            one = savings.wajib_arrears(session, member_number=line["member"],
                                        as_of=dt.date(2025, 12, 31))
            assert (line["months_due"], line["amount_due"], line["paid"], line["arrears"]) == (
                one.months_due, one.amount_due, one.paid, one.arrears)
    by_member = {m["member"]: m for m in everyone["members"]}
    assert by_member[paid_three]["arrears"] == 450_000
    assert by_member[paid_three]["arrears_text"] == "Rp 450.000"
    assert [by_member[n]["months_behind"] for n in (paid_all, paid_three, paid_none, calon)
            ] == [0, 9, 12, 0]
    assert everyone["seq"] == _seq(client)

    behind = client.get(f"{url}?as_of=2025-12-31", admin).json()  # default: at least 1 month
    assert [m["member"] for m in behind["members"]] == [paid_three, paid_none]
    assert behind["total_arrears"] == 450_000 + 600_000
    ten = client.get(f"{url}?as_of=2025-12-31&min_months=10", admin).json()
    assert [m["member"] for m in ten["members"]] == [paid_none]
    # Any date: by the end of March the member who paid three months is not behind.
    march = client.get(f"{url}?as_of=2025-03-31", admin).json()
    assert [m["member"] for m in march["members"]] == [paid_none]
    calon_only = client.get(f"{url}?as_of=2025-12-31&min_months=0&status=calon_anggota",
                            admin).json()
    assert [m["member"] for m in calon_only["members"]] == [calon]
    bad = client.get(f"{url}?status=bogus", admin)
    assert bad.status_code == 422 and bad.json()["message_en"]

    # CSV: the same rows, the rupiah integers round-trip.
    header, *rows = _csv(client.get(f"{url}.csv?as_of=2025-12-31", admin))
    assert header == documents.ARREARS_HEADER
    assert [[int(r[0]), r[1], r[2], int(r[5]), int(r[6]), int(r[7]), int(r[8])] for r in rows
            ] == [[m["member"], m["name"], m["status"], m["amount_due"], m["paid"],
                   m["arrears"], m["months_behind"]] for m in behind["members"]]
    text = _pdf_text(client.get(f"{url}.pdf?as_of=2025-12-31&min_months=10", admin).content)
    assert COOP in text and "Rp 600.000" in text and f"seq: {_seq(client)}" in text
    with client.app.state.sessionmaker() as session:
        name_of = dict(session.execute(select(Member.number, Member.name)).all())
    assert name_of[paid_none] in text and name_of[paid_three] not in text


def test_arrears_of_many_members_take_a_fixed_number_of_queries(world):
    client, *_ = world
    from sqlalchemy import event

    statements: list[str] = []
    engine = client.app.state.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with client.app.state.sessionmaker() as session:
            rows = documents.wajib_arrears(session, as_of=dt.date(2025, 12, 31), min_months=0,
                                           status=MemberStatus.ANGGOTA)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(rows) == 3
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3


def test_pdf_rendering_never_fetches_from_the_network(monkeypatch):
    connects: list[object] = []

    def no_connect(_sock, address):
        connects.append(address)
        raise OSError("network refused in test")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    html = render_html_string(
        '<link rel="stylesheet" href="http://example.com/style.css">'
        '<p style="background: url(https://example.com/bg.png)">Koperasi {{ n }}</p>'
        '<img src="http://example.com/logo.png"><img src="file:///etc/hostname">', n=7)
    fetcher = local_only_fetcher()
    pdf = html_to_pdf(html, fetcher=fetcher)
    assert "Koperasi 7" in _pdf_text(pdf)
    assert set(fetcher.refused) == {"http://example.com/style.css", "https://example.com/bg.png",
                                    "http://example.com/logo.png", "file:///etc/hostname"}
    assert connects == []


def test_staff_and_pengawas_read_members_cannot(world):
    client, _admin, wallet, _numbers, _calon = world
    member = client.member_login(wallet)
    pengawas = client.staff(Role.PENGAWAS)
    paths = [f"/api/v1/reports/{kind}.{ext}" for kind in KINDS for ext in ("pdf", "csv")] + [
        "/api/v1/savings/wajib-arrears", "/api/v1/savings/wajib-arrears.csv",
        "/api/v1/savings/wajib-arrears.pdf"]
    for path in paths:
        refused = client.get(path, member)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", path
        assert client.http.get(path).status_code == 401, path
        assert client.get(path, pengawas).status_code == 200, path
    assert client.get("/api/v1/reports/ledger.pdf", pengawas).status_code == 422


def test_csv_round_trips_rupiah_and_never_carries_a_formula():
    rows = [[1, "Rosmawati; \"Ros\"", 1_250_000, -50_000], [2, "=HYPERLINK(\"x\")", 0, 10**15]]
    text = to_csv(["nomor", "nama", "saldo", "koreksi"], rows)
    assert text.startswith(CSV_BOM) and "\r\n" in text
    header, *back = read_csv(text)
    assert header == ["nomor", "nama", "saldo", "koreksi"]
    assert [[int(r[0]), r[1], int(r[2]), int(r[3])] for r in back] == [
        [1, "Rosmawati; \"Ros\"", 1_250_000, -50_000], [2, "'=HYPERLINK(\"x\")", 0, 10**15]]
