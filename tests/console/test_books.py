"""The console's books pages: corrections by reversal (maker-checker), the wajib arrears
list and its downloads, collecting this month's wajib from the members present, and the
reports on screen and as PDF/CSV. Exact figures; bad input writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pypdf
import pytest
from sqlalchemy import func, select

from ksp.audit.models import AuditEvent
from ksp.auth.models import Role
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.settings import Settings
from ksp.corrections.models import CorrectionRequest
from ksp.ledger.models import LogEntry
from ksp.printing import documents
from ksp.printing.render import read_csv, to_csv
from tests.console.test_console import counts, hidden, sign_in
from tests.support.client import KspClient
from tests.support.factories import anggota, deposit

WRONG = 500_000


@pytest.fixture
def client(db_settings: Settings) -> KspClient:
    """SQLite and PostgreSQL: the collection locks member rows, the list reads in bulk."""
    return KspClient(db_settings)


def book_counts(client: KspClient) -> tuple[Any, ...]:
    """Members, journal entries, audit rows, idempotency records, corrections, log entries."""
    with client.app.state.sessionmaker() as session:
        return counts(client) + (
            session.scalar(select(func.count()).select_from(CorrectionRequest)) or 0,
            session.scalar(select(func.count()).select_from(LogEntry)) or 0)


def balances(client: KspClient, token: str, number: int) -> dict[str, int]:
    reply = client.get(f"/api/v1/members/{number}/savings", token)
    assert reply.status_code == 200, reply.text
    found: dict[str, int] = reply.json()["balances"]
    return found


def wajib_amount(client: KspClient, day: dt.date) -> int:
    with client.app.state.sessionmaker() as session:
        return adart_at(session, day).simpanan_wajib


def field_error(html: str, field: str) -> tuple[str, str]:
    found = re.search(rf'id="err-{field}"[^>]*>([^<]*)<br><small class="en">([^<]*)<', html)
    assert found, f"no error next to {field!r}"
    return found.group(1), found.group(2)


# --- koreksi -----------------------------------------------------------------------------


def test_wrong_deposit_is_proposed_from_the_profile_and_reversed_by_another_pengurus(
        client: KspClient) -> None:
    teller = client.staff(Role.ADMIN, "teller")
    number = anggota(client, teller, 1)  # Rp 100.000 pokok
    deposit(client, teller, number, "sukarela", 50_000)
    wrong = deposit(client, teller, number, "sukarela", WRONG)["seq"]
    assert balances(client, teller, number)["sukarela"] == 550_000
    http = client.http

    # The teller opens the proposal from the statement line of the profile.
    csrf = sign_in(client, Role.ADMIN, "teller")
    profile = http.get(f"/staff/anggota/{number}").text
    assert f'href="/staff/koreksi/usul?seq={wrong}"' in profile
    form = http.get(f"/staff/koreksi/usul?seq={wrong}")
    assert form.status_code == 200
    shown = re.search(r'id="entry">(.*?)</div>', form.text, re.S)
    assert shown
    assert f"anggota {number} (Rosmawati Sinaga 1), sukarela setor <strong>Rp 500.000</strong>" \
        in shown.group(1)
    assert clock.today().strftime("%d-%m-%Y") in shown.group(1)
    key = hidden(form.text, "kunci")

    before = book_counts(client)
    empty = http.post("/staff/koreksi/usul", data={"csrf": csrf, "kunci": key,
                                                   "seq": str(wrong), "alasan": "  "})
    assert empty.status_code == 422
    assert field_error(empty.text, "alasan") == (
        "Alasan wajib diisi (tanpa karakter tersembunyi).",
        "A reason is required (no hidden characters).")
    unknown = http.post("/staff/koreksi/usul", data={"csrf": csrf, "kunci": key,
                                                     "seq": "99999", "alasan": "Salah"})
    assert unknown.status_code == 404
    assert field_error(unknown.text, "seq") == (
        "Entri jurnal dengan seq 99999 tidak ditemukan.", "No journal entry with seq 99999.")
    letters = http.post("/staff/koreksi/usul", data={"csrf": csrf, "kunci": key,
                                                     "seq": "abc", "alasan": "Salah"})
    assert letters.status_code == 422
    assert field_error(letters.text, "seq")[1] == "The entry seq must be a number."
    assert book_counts(client) == before

    proposal = {"csrf": csrf, "kunci": key, "seq": str(wrong),
                "alasan": "Salah ketik: seharusnya Rp 50.000"}
    done = http.post("/staff/koreksi/usul", data=proposal, follow_redirects=False)
    assert done.status_code == 303, done.text
    again = http.post("/staff/koreksi/usul", data=proposal, follow_redirects=False)
    assert again.headers["location"] == done.headers["location"]  # a double click: once
    assert book_counts(client)[4:] == (before[4] + 1, before[5] + 1)
    assert balances(client, teller, number)["sukarela"] == 550_000  # nothing posted yet
    listing = http.get(done.headers["location"]).text
    assert 'id="proposed"' in listing and "Menunggu" in listing
    assert "Setujui" not in listing  # an admin proposes, only a pengurus decides
    with client.app.state.sessionmaker() as session:
        correction = session.scalars(select(CorrectionRequest)).one()
        proposed_log = session.get(LogEntry, correction.proposal_seq)
        assert proposed_log is not None and proposed_log.kind == "correction.proposed"

    # A different pengurus approves: the balance is back to Rp 50.000 exactly.
    csrf = sign_in(client, Role.PENGURUS, "ketua")
    listing = http.get("/staff/koreksi").text
    approve_form = re.search(rf'action="/staff/koreksi/{correction.id}/setujui".*?'
                             r'name="kunci" value="([^"]+)"', listing, re.S)
    assert approve_form
    approved = http.post(f"/staff/koreksi/{correction.id}/setujui",
                         data={"csrf": csrf, "kunci": approve_form.group(1)},
                         follow_redirects=False)
    assert approved.status_code == 303
    assert balances(client, teller, number) == {"pokok": 100_000, "wajib": 0,
                                                "sukarela": 50_000}
    decided = http.get(approved.headers["location"]).text
    assert 'id="decided"' in decided and "disetujui" in decided
    with client.app.state.sessionmaker() as session:
        correction = session.scalars(select(CorrectionRequest)).one()
        assert (correction.status.value, correction.decided_by) == ("disetujui", "ketua")
        reversal = session.get(LogEntry, correction.decision_seq)
        assert reversal is not None and reversal.kind == "journal.reversal"
        data = json.loads(reversal.payload)["data"]
        assert (data["reverses_seq"], data["proposed_by"], data["approved_by"]) == (
            wrong, "teller", "ketua")
        actions = [(a.actor, a.action, a.log_seq) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("POST /staff/koreksi%"))
            .order_by(AuditEvent.id))]
    assert actions == [("teller", "POST /staff/koreksi/usul", correction.proposal_seq),
                       ("ketua", f"POST /staff/koreksi/{correction.id}/setujui",
                        correction.decision_seq)]


def test_the_proposer_cannot_decide_their_own_and_another_pengurus_rejects_with_a_reason(
        client: KspClient) -> None:
    bendahara = client.staff(Role.PENGURUS, "bendahara")
    number = anggota(client, bendahara, 1)
    wrong = deposit(client, bendahara, number, "sukarela", WRONG)["seq"]
    http = client.http
    csrf = sign_in(client, Role.PENGURUS, "bendahara")
    form = http.get(f"/staff/koreksi/usul?seq={wrong}")
    http.post("/staff/koreksi/usul", data={"csrf": csrf, "kunci": hidden(form.text, "kunci"),
                                           "seq": str(wrong), "alasan": "Dobel catat"})
    with client.app.state.sessionmaker() as session:
        correction = session.scalars(select(CorrectionRequest)).one()
    own = http.get("/staff/koreksi").text
    assert f"/staff/koreksi/{correction.id}/setujui" not in own
    assert f"/staff/koreksi/{correction.id}/tolak" not in own
    assert "Usulan Anda: perlu pengurus lain." in own
    before = book_counts(client)
    for action in ("setujui", "tolak"):
        refused = http.post(f"/staff/koreksi/{correction.id}/{action}",
                            data={"csrf": csrf, "kunci": f"k-own-{action}", "alasan": "x"})
        assert refused.status_code == 403
        assert field_error(refused.text, "_form") == (
            f"Pengusul koreksi {correction.id} tidak boleh memutuskannya sendiri; "
            "perlu pengurus lain.",
            f"The proposer of correction {correction.id} cannot decide it; another "
            "pengurus must.")
    assert book_counts(client) == before

    csrf = sign_in(client, Role.PENGURUS, "ketua")
    empty = http.post(f"/staff/koreksi/{correction.id}/tolak",
                      data={"csrf": csrf, "kunci": "k-reject-1", "alasan": ""})
    assert empty.status_code == 422
    assert field_error(empty.text, "alasan")[0].startswith("Alasan wajib diisi")
    assert book_counts(client) == before
    rejected = http.post(f"/staff/koreksi/{correction.id}/tolak",
                         data={"csrf": csrf, "kunci": "k-reject-2",
                               "alasan": "Setoran memang Rp 500.000"}, follow_redirects=False)
    assert rejected.status_code == 303
    assert balances(client, bendahara, number)["sukarela"] == WRONG  # nothing reversed
    with client.app.state.sessionmaker() as session:
        correction = session.scalars(select(CorrectionRequest)).one()
        assert (correction.status.value, correction.decided_by,
                correction.decision_reason) == ("ditolak", "ketua", "Setoran memang Rp 500.000")
        entry = session.get(LogEntry, correction.decision_seq)
        assert entry is not None and entry.kind == "correction.rejected"
    assert book_counts(client)[1] == before[1]  # no journal entry
    assert book_counts(client)[5] == before[5] + 1  # the rejection is in the log


def test_pengawas_sees_corrections_and_books_but_cannot_act(client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    wrong = deposit(client, pengurus, number, "sukarela", WRONG)["seq"]
    client.post("/api/v1/corrections", {"seq": wrong, "alasan": "Salah"}, pengurus)
    csrf = sign_in(client, Role.PENGAWAS)
    http = client.http
    for path in ("/staff/koreksi", f"/staff/koreksi/usul?seq={wrong}", "/staff/wajib/tunggakan",
                 "/staff/wajib/kumpulkan", "/staff/laporan"):
        page = http.get(path)
        assert page.status_code == 200, path
        assert 'id="read-only"' in page.text, path
        assert "Setujui" not in page.text and 'type="checkbox"' not in page.text, path
        assert "Usulkan <" not in page.text, path
    assert "/staff/koreksi/usul?seq=" not in http.get(f"/staff/anggota/{number}").text
    before = book_counts(client)
    for path, body in (("/staff/koreksi/usul", {"seq": str(wrong), "alasan": "x"}),
                       ("/staff/koreksi/1/setujui", {}), ("/staff/koreksi/1/tolak",
                                                          {"alasan": "x"}),
                       ("/staff/wajib/kumpulkan/periksa", {"anggota": str(number)}),
                       ("/staff/wajib/kumpulkan/simpan", {"anggota": str(number)})):
        reply = http.post(path, data=body | {"csrf": csrf, "kunci": "k-pengawas"})
        assert reply.status_code == 403, path
        assert "hanya boleh melihat" in reply.text
    assert book_counts(client) == before


# --- tunggakan wajib -------------------------------------------------------------------


@pytest.fixture
def arrears_world(client: KspClient) -> tuple[KspClient, str, list[int]]:
    """Joined 10-01-2025: member 1 paid no wajib, member 2 one month, member 3 all three."""
    admin = client.staff(Role.ADMIN)
    numbers = [anggota(client, admin, i, name=f"Anggota Tunggak{i}") for i in (1, 2, 3)]
    wajib = wajib_amount(client, dt.date(2025, 3, 31))
    deposit(client, admin, numbers[1], "wajib", wajib, "2025-01-15")
    deposit(client, admin, numbers[2], "wajib", 3 * wajib, "2025-02-01")
    return client, admin, numbers


def test_arrears_list_for_a_date_with_filter_totals_and_the_same_downloads(
        arrears_world: Any) -> None:
    client, _admin, numbers = arrears_world
    wajib = wajib_amount(client, dt.date(2025, 3, 31))
    assert wajib == 50_000  # the default AD/ART
    sign_in(client, Role.ADMIN)
    http = client.http
    page = http.get("/staff/wajib/tunggakan?tanggal=2025-03-31&minimal=1")
    assert page.status_code == 200
    row = re.search(rf'id="arrears-{numbers[0]}">(.*?)</tr>', page.text, re.S)
    assert row
    cells = re.findall(r'<td[^>]*>(.*?)</td>', row.group(1), re.S)
    assert cells[4:] == ["3", "Rp 150.000", "Rp 0", "Rp 150.000", "3"]  # 3 × Rp 50.000
    assert f'id="arrears-{numbers[1]}"' in page.text
    assert f'id="arrears-{numbers[2]}"' not in page.text  # paid through March
    assert re.search(r'id="arrears-total">Rp 250\.000<', page.text)  # 150.000 + 100.000
    assert re.search(r'id="arrears-count">2<', page.text)

    three = http.get("/staff/wajib/tunggakan?tanggal=2025-03-31&minimal=3").text
    assert f'id="arrears-{numbers[1]}"' not in three
    assert re.search(r'id="arrears-total">Rp 150\.000<', three)
    by_name = http.get("/staff/wajib/tunggakan?tanggal=2025-03-31&q=tunggak2").text
    assert re.search(r'id="arrears-total">Rp 100\.000<', by_name)
    assert f'id="arrears-{numbers[0]}"' not in by_name
    by_number = http.get(f"/staff/wajib/tunggakan?tanggal=2025-03-31&q={numbers[0]}").text
    assert re.search(r'id="arrears-total">Rp 150\.000<', by_number)

    # The downloads carry the same filter and the printing module's bytes.
    link = re.search(r'id="csv" href="([^"]+)"', three)
    assert link
    csv = http.get(link.group(1).replace("&amp;", "&"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    with client.app.state.sessionmaker() as session:
        rows = documents.wajib_arrears(session, as_of=dt.date(2025, 3, 31), min_months=3)
    assert csv.text == to_csv(documents.ARREARS_HEADER, documents.arrears_table(rows))
    assert read_csv(csv.text)[1][-2:] == ["150000", "3"]
    pdf = http.get(link.group(1).replace("&amp;", "&").replace(".csv?", ".pdf?"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert 'filename="tunggakan-wajib-2025-03-31.pdf"' in pdf.headers["content-disposition"]


def test_arrears_bad_date_or_minimum_is_shown_next_to_the_field(arrears_world: Any) -> None:
    client = arrears_world[0]
    sign_in(client, Role.ADMIN)
    before = book_counts(client)
    bad = client.http.get("/staff/wajib/tunggakan?tanggal=2025-13-01")
    assert bad.status_code == 422
    assert field_error(bad.text, "tanggal") == (
        "Tanggal tidak valid; tulis TTTT-BB-HH (mis. 2025-12-31).",
        "Invalid date; write YYYY-MM-DD (e.g. 2025-12-31).")
    old = client.http.get("/staff/wajib/tunggakan?tanggal=1800-01-01")
    assert old.status_code == 422 and 'id="err-tanggal"' in old.text
    months = client.http.get("/staff/wajib/tunggakan?minimal=-1")
    assert months.status_code == 422
    assert field_error(months.text, "minimal")[1] == \
        "The minimum months must be a number 0..1200."
    assert client.http.get("/staff/wajib/tunggakan.csv?tanggal=x").status_code == 422
    assert book_counts(client) == before


# --- kumpulkan wajib -------------------------------------------------------------------


def test_collecting_this_months_wajib_posts_once_per_ticked_member(client: KspClient) -> None:
    admin = client.staff(Role.ADMIN)
    numbers = [anggota(client, admin, i) for i in (1, 2, 3)]
    wajib = wajib_amount(client, clock.today())
    deposit(client, admin, numbers[1], "wajib", wajib)  # member 2 paid today
    csrf = sign_in(client, Role.ADMIN)
    http = client.http
    form = http.get("/staff/wajib/kumpulkan")
    assert re.search(r'id="due">Rp 50\.000<', form.text)
    paid_row = re.search(rf'id="collect-{numbers[1]}">(.*?)</tr>', form.text, re.S)
    assert paid_row and "Sudah bayar" in paid_row.group(1)
    assert f'name="anggota" value="{numbers[1]}"' not in form.text  # cannot be ticked
    assert f'name="anggota" value="{numbers[0]}"' in form.text
    key = hidden(form.text, "kunci")
    before = book_counts(client)

    nobody = http.post("/staff/wajib/kumpulkan/periksa", data={"csrf": csrf, "kunci": key})
    assert nobody.status_code == 422
    assert field_error(nobody.text, "anggota")[0] == "Centang minimal satu anggota yang hadir."
    paid = http.post("/staff/wajib/kumpulkan/periksa",
                     data={"csrf": csrf, "kunci": key, "anggota": str(numbers[1])})
    assert paid.status_code == 409
    assert field_error(paid.text, "anggota")[0].startswith(
        f"Anggota {numbers[1]} sudah membayar simpanan wajib bulan")
    body = {"csrf": csrf, "kunci": key, "anggota": [str(numbers[0]), str(numbers[2])]}
    check = http.post("/staff/wajib/kumpulkan/periksa", data=body)
    assert check.status_code == 200
    assert re.search(r'id="collect-count">2<', check.text)
    assert re.search(r'id="collect-total">Rp 100\.000<', check.text)
    assert book_counts(client) == before  # nothing posted at the confirm step

    saved = http.post("/staff/wajib/kumpulkan/simpan", data=body)
    assert saved.status_code == 200
    assert re.search(r'id="collected-count">2<', saved.text)
    assert re.search(r'id="collected-total">Rp 100\.000<', saved.text)
    after = book_counts(client)
    assert after[1] == before[1] + 2
    again = http.post("/staff/wajib/kumpulkan/simpan", data=body)
    assert again.status_code == 200 and book_counts(client) == after  # resubmit: nothing
    assert re.findall(r"<td>(\d+)</td><td>", again.text) == re.findall(
        r"<td>(\d+)</td><td>", saved.text)
    for number in (numbers[0], numbers[2]):
        assert balances(client, admin, number)["wajib"] == 50_000
    assert balances(client, admin, numbers[1])["wajib"] == 50_000  # not twice

    receipt = http.get(f"/staff/struk/{key}-{numbers[0]}")
    assert receipt.status_code == 200
    assert re.search(r'id="receipt-amount">Rp 50\.000<', receipt.text)
    assert f'href="/staff/struk/{key}-{numbers[2]}"' in saved.text

    # A new form for a member already paid: the server refuses that one, posts nothing.
    other = {"csrf": csrf, "kunci": "k-second-form", "anggota": [str(numbers[0])]}
    refused = http.post("/staff/wajib/kumpulkan/simpan", data=other)
    assert "sudah membayar simpanan wajib" in refused.text
    assert re.search(r'id="collected-count">0<', refused.text)
    assert book_counts(client)[1] == after[1]
    with client.app.state.sessionmaker() as session:
        audited = session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "POST /staff/wajib/kumpulkan/simpan")).all()
    assert len(audited) == 2


# --- laporan -----------------------------------------------------------------------------


def test_reports_on_screen_balance_and_download_the_printing_modules_bytes(
        client: KspClient) -> None:
    admin = client.staff(Role.ADMIN)
    number = anggota(client, admin, 1)  # Rp 100.000 pokok
    deposit(client, admin, number, "sukarela", 50_000)
    sign_in(client, Role.ADMIN)
    http = client.http
    today = clock.today().isoformat()
    trial = http.get("/staff/laporan")
    assert trial.status_code == 200
    assert re.search(r'id="total-debit">Rp 150\.000<', trial.text)
    assert re.search(r'id="total-credit">Rp 150\.000<', trial.text)
    assert "Seimbang: debit = kredit." in trial.text
    neraca = http.get(f"/staff/laporan?jenis=neraca&tanggal={today}").text
    assert re.search(r'id="total-aset">Rp 150\.000<', neraca)
    assert re.search(r'id="total-passiva">Rp 150\.000<', neraca)
    assert "Seimbang: aset = kewajiban + ekuitas." in neraca
    phu = http.get(f"/staff/laporan?jenis=phu&tanggal={today}").text
    assert re.search(r'id="shu">Rp 0<', phu)
    # Before the member joined (10-01-2025) the books were empty.
    empty = http.get("/staff/laporan?tanggal=2024-12-31").text
    assert re.search(r'id="total-debit">Rp 0<', empty)

    for kind in ("trial-balance", "neraca", "phu"):
        csv = http.get(f"/staff/laporan/{kind}.csv?tanggal={today}")
        assert csv.status_code == 200
        with client.app.state.sessionmaker() as session:
            header, rows = documents.report_table(
                kind, documents.REPORTS[kind](session, clock.today()))
        assert csv.text == to_csv(header, rows)
        pdf = http.get(f"/staff/laporan/{kind}.pdf?tanggal={today}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert f'filename="{kind}-{today}.pdf"' in pdf.headers["content-disposition"]
    assert read_csv(http.get("/staff/laporan/trial-balance.csv").text)[-1][3:5] == [
        "150000", "150000"]
    pdf_text = " ".join(pypdf.PdfReader(io.BytesIO(
        http.get("/staff/laporan/trial-balance.pdf").content)).pages[0].extract_text().split())
    assert "Neraca Saldo" in pdf_text and "Rp 150.000 Rp 150.000" in pdf_text


def test_reports_bad_date_is_shown_next_to_the_date(client: KspClient) -> None:
    sign_in(client, Role.PENGAWAS)
    bad = client.http.get("/staff/laporan?jenis=neraca&tanggal=31-12-2025")
    assert bad.status_code == 422
    assert field_error(bad.text, "tanggal")[0].startswith("Tanggal tidak valid")
    assert 'id="report"' not in bad.text
    assert client.http.get("/staff/laporan/neraca.pdf?tanggal=2025-02-30").status_code == 422
    assert client.http.get("/staff/laporan/nope.csv").status_code == 404


def test_hostile_input_never_gives_a_500_and_writes_nothing(client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    csrf = sign_in(client, Role.ADMIN)
    http = client.http
    before = book_counts(client)
    url_nul = "a%00b"
    for path in (f"/staff/koreksi/usul?seq={url_nul}", "/staff/koreksi/usul?seq=" + "9" * 30,
                 f"/staff/koreksi?status={url_nul}&selesai={url_nul}",
                 f"/staff/wajib/tunggakan?tanggal={url_nul}&minimal={url_nul}&q={url_nul}",
                 "/staff/wajib/tunggakan?q=%25_%5C", f"/staff/laporan?tanggal={url_nul}",
                 f"/staff/laporan?jenis={url_nul}", "/staff/laporan/phu.pdf?tanggal=99999-01-01"):
        assert http.get(path).status_code < 500, path
    nul = "a\x00b"
    posts = [("/staff/koreksi/usul", {"seq": nul, "alasan": nul, "kunci": "k1"}),
             ("/staff/koreksi/usul", {"seq": "1", "alasan": "ok", "kunci": nul}),
             ("/staff/koreksi/usul", {"seq": "1", "alasan": "x" * 300, "kunci": "k2"}),
             ("/staff/koreksi/99999999999999999999/setujui", {"kunci": "k3"}),
             ("/staff/koreksi/5/setujui", {"kunci": "k4"}),
             ("/staff/wajib/kumpulkan/periksa", {"anggota": nul, "kunci": "k5"}),
             ("/staff/wajib/kumpulkan/simpan", {"anggota": str(number), "kunci": nul}),
             ("/staff/wajib/kumpulkan/simpan", {"anggota": "999", "kunci": "k6"})]
    for path, body in posts:
        reply = http.post(path, data=body | {"csrf": csrf})
        assert 400 <= reply.status_code < 500, (path, reply.status_code)
    assert book_counts(client) == before
