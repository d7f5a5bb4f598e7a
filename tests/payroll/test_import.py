"""The paymaster's file through the API, on SQLite and PostgreSQL: exactly the good lines
post, once, with exact balances; every bad line is in the rejects report in both
languages; a re-import posts nothing and says so; an unreadable file writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from ksp.auth.models import Role
from ksp.ledger import chart
from ksp.ledger.models import JournalLine, LogHead
from ksp.payroll.models import PayrollImport, PayrollLine, PayrollReject
from ksp.printing.render import read_csv
from tests.support.client import KspClient
from tests.support.factories import anggota, nik, register
from tests.support.rows import counts

PATH = "/api/v1/payroll-imports"
HEADER = "nomor_anggota;nik;nama;wajib;sukarela"


def upload(client, token, data: bytes, *, key=None, query="period=2026-11",
           content_type="text/csv"):
    headers = client.headers(token, key) | {"Content-Type": content_type}
    return client.http.post(f"{PATH}?{query}", content=data, headers=headers)


def members_for_the_file(client, token):
    """1, 2, 3 and 6 full members; 4 exited; 5 still a calon anggota."""
    for serial in (1, 2, 3, 4):
        anggota(client, token, serial)
    reply = client.post("/api/v1/members/4/exit", {}, token)
    assert reply.status_code == 200, reply.text
    register(client, token, 5)
    anggota(client, token, 6)


def the_file() -> bytes:
    lines = [
        HEADER,
        "1;;Ani;50.000;25.000",  # 2: good, two deposits
        "2;;Budi;Rp 50.000;",  # 3: good
        "99;;Tidak Ada;50000;",  # 4: unknown member
        "4;;Keluar;50000;",  # 5: exited member
        "3;;Cici;-50000;",  # 6: negative amount
        "1;;Ani;50000;",  # 7: duplicate of line 2 (wajib of member 1)
        f";{nik(3)};Cici;50.000;",  # 8: by NIK, good (member 3)
        "5;;Calon;50000;",  # 9: not yet a full member
        "6;;Edi;5O.OOO;",  # 10: letters
        "6;;Edi;50000",  # 11: a column short
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def savings_of(client, token, number):
    return client.get(f"/api/v1/members/{number}/savings", token).json()["balances"]


def bank_and_balance(client):
    with client.app.state.sessionmaker() as session:
        bank = session.scalar(select(func.coalesce(func.sum(JournalLine.amount), 0)).where(
            JournalLine.account_code == chart.BANK, JournalLine.side == "D"))
        sides = dict(session.execute(select(JournalLine.side, func.sum(JournalLine.amount))
                                     .group_by(JournalLine.side)).all())
        size = session.get(LogHead, 1).size
    return int(bank), int(sides["D"]) == int(sides["C"]), size


def test_good_lines_post_once_and_every_bad_line_is_reported(db_settings):
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    members_for_the_file(client, pengurus)
    _bank, _ok, size_before = bank_and_balance(client)

    reply = upload(client, pengurus, the_file(), query="period=2026-11&nama_berkas=gaji.csv")

    assert reply.status_code == 201, reply.text
    result = reply.json()
    assert (result["lines"], result["posted_lines"], result["postings"]) == (10, 3, 4)
    assert (result["posted_amount"], result["already_imported"], result["rejected"]) == (
        175_000, 0, 7)
    assert result["status"] == "selesai" and result["file_name"] == "gaji.csv"
    assert savings_of(client, pengurus, 1) == {"pokok": 100_000, "wajib": 50_000,
                                               "sukarela": 25_000}
    assert savings_of(client, pengurus, 2)["wajib"] == 50_000
    assert savings_of(client, pengurus, 3)["wajib"] == 50_000
    for number in (4, 5, 6):
        assert savings_of(client, pengurus, number)["wajib"] == 0
    bank, balanced, size = bank_and_balance(client)
    assert (bank, balanced, size - size_before) == (175_000, True, 4)

    report = client.get(f"{PATH}/{result['id']}/rejects.csv", pengurus)
    assert report.status_code == 200 and report.text.startswith("\ufeff")
    rows = read_csv(report.text)
    assert rows[0] == ["baris / line", "anggota / member", "kode / code", "alasan", "reason"]
    by_line = {int(r[0]): r for r in rows[1:]}
    assert sorted(by_line) == [4, 5, 6, 7, 9, 10, 11]
    expected = {
        4: ("99", "unknown_member", "tidak ditemukan", "not found"),
        5: ("4", "member_not_active", "sudah keluar", "has exited"),
        6: ("3", "amount_not_understood", "harus lebih dari nol", "must be more than zero"),
        7: ("1", "payroll_duplicate_line", "sudah ada di baris 2", "already on line 2"),
        9: ("5", "member_not_active", "calon anggota", "prospective member"),
        10: ("6", "amount_not_understood", "bukan angka rupiah", "not a rupiah amount"),
        11: ("6", "payroll_column_count", "4 kolom, seharusnya 5", "4 columns, expected 5"),
    }
    for line, (member, code, indonesian, english) in expected.items():
        row = by_line[line]
        assert (row[1], row[2]) == (member, code), row
        assert indonesian in row[3] and english in row[4], row


def test_re_importing_the_same_file_posts_nothing_and_says_so(db_settings):
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    members_for_the_file(client, pengurus)
    first = upload(client, pengurus, the_file())
    assert first.status_code == 201, first.text
    bank, _balanced, size = bank_and_balance(client)

    # The same file again, under a new key, for the same period: nothing new.
    again = upload(client, pengurus, the_file())

    assert again.status_code == 201, again.text
    result = again.json()
    assert result["id"] != first.json()["id"]
    assert (result["posted_lines"], result["postings"], result["posted_amount"]) == (0, 0, 0)
    assert (result["already_imported"], result["rejected"]) == (3, 7)
    assert "sudah diimpor: 3 baris" in result["message"]
    assert "already imported: 3 lines" in result["message_en"]
    assert bank_and_balance(client) == (bank, True, size)
    assert savings_of(client, pengurus, 1)["wajib"] == 50_000

    # Next month the paymaster sends the very same bytes (the deductions did not change):
    # that is next month's money and posts again.
    december = upload(client, pengurus, the_file(), query="period=2026-12").json()
    assert (december["posted_lines"], december["already_imported"]) == (3, 0)
    assert december["posted_amount"] == first.json()["posted_amount"]
    assert savings_of(client, pengurus, 1)["wajib"] == 100_000


def test_a_retry_with_the_same_key_answers_the_same_import(db_settings):
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    members_for_the_file(client, pengurus)
    first = upload(client, pengurus, the_file(), key="gaji-2026-11")
    state = bank_and_balance(client)

    retry = upload(client, pengurus, the_file(), key="gaji-2026-11")
    other = upload(client, pengurus, b"nomor_anggota;wajib\n1;10.000\n", key="gaji-2026-11")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert bank_and_balance(client) == state
    with client.app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(PayrollImport)) == 1


def test_a_file_that_is_not_utf8_is_refused_whole_and_nothing_is_written(db_settings):
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    anggota(client, pengurus, 1)
    before = counts(client)
    latin1 = f"{HEADER}\n1;;Ani Sitompul Süß;50.000;\n".encode("latin-1")

    reply = upload(client, pengurus, latin1)

    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["code"] == "payroll_file_not_utf8"
    assert "bukan teks UTF-8" in body["message"] and "not UTF-8" in body["message_en"]
    assert counts(client) == before
    with client.app.state.sessionmaker() as session:
        for model in (PayrollImport, PayrollLine, PayrollReject):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_a_spreadsheet_or_a_file_without_the_columns_is_refused_whole(db_settings):
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    before = counts(client)
    xlsx = upload(client, pengurus, b"PK\x03\x04rest-of-a-zip", content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    zipped = upload(client, pengurus, b"PK\x03\x04rest-of-a-zip")
    no_amount = upload(client, pengurus, b"nomor_anggota;nama\n1;Ani\n")
    empty = upload(client, pengurus, b"\xef\xbb\xbf\r\n")
    month = upload(client, pengurus, f"{HEADER}\n1;;A;1;\n".encode(), query="period=2026-13")

    assert (xlsx.status_code, xlsx.json()["code"]) == (415, "payroll_format_not_supported")
    assert (zipped.status_code, zipped.json()["code"]) == (415, "payroll_format_not_supported")
    assert (no_amount.status_code, no_amount.json()["code"]) == (422, "payroll_header_invalid")
    assert "kolom wajib" in no_amount.json()["message"]
    assert (empty.status_code, empty.json()["code"]) == (422, "payroll_file_empty")
    assert month.status_code == 422
    assert counts(client) == before


def test_a_member_who_left_after_the_check_is_a_reject_and_the_rest_post(db_settings):
    """A race: the file was checked, then member 2 exited before the chunk posted."""
    from ksp.core import clock
    from ksp.core.crypto import PiiCipher
    from ksp.core.db import transaction
    from ksp.payroll import service
    from ksp.savings import service as savings

    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    for serial in (1, 2, 3):
        anggota(client, pengurus, serial)
    factory = client.app.state.sessionmaker
    cipher = PiiCipher(db_settings.pii_key_bytes())
    data = f"{HEADER}\n1;;A;50.000;\n2;;B;50.000;\n3;;C;50.000;\n".encode()
    checked, reason = service.prepare(factory, cipher, data, period="2026-11",
                                      on=clock.today(), reason=None)
    assert [line.member for line in checked.good] == [1, 2, 3]
    with transaction(factory) as session:
        savings.exit_member(session, member_number=2, on=clock.today())
        import_id = service.start(session, checked, actor="pengurus", role="pengurus",
                                  file_name=None).id

    result = service.complete(factory, import_id, checked, reason, actor="pengurus",
                              role="pengurus", action="test")

    assert (result["posted_lines"], result["posted_amount"], result["rejected"]) == (
        2, 100_000, 1)
    with factory() as session:
        reject = session.scalars(select(PayrollReject)).one()
    assert (reject.line_no, reject.code) == (3, "member_not_active")
    assert "keluar" in reject.reason_id and "keluar" in reject.reason_en
    assert savings_of(client, pengurus, 3)["wajib"] == 50_000


def test_pengawas_and_members_cannot_import(db_settings):
    client = KspClient(db_settings)
    pengawas = client.staff(Role.PENGAWAS)
    refused = upload(client, pengawas, f"{HEADER}\n1;;A;1;\n".encode())
    assert refused.status_code == 403
    assert client.get(f"{PATH}/1", pengawas).status_code == 404
    assert client.get(f"{PATH}/1", pengawas).json()["code"] == "payroll_import_not_found"


def test_books_closed_after_the_check_refuse_each_line_alone(db_settings):
    """A refusal the checks could not foresee (the period closed meanwhile): the chunk is
    retried line by line, each line a reject with the ledger's own reason."""
    import datetime as dt

    from ksp.core import clock
    from ksp.core.crypto import PiiCipher
    from ksp.core.db import transaction
    from ksp.ledger import journal
    from ksp.payroll import service

    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    for serial in (1, 2):
        anggota(client, pengurus, serial)
    factory = client.app.state.sessionmaker
    cipher = PiiCipher(db_settings.pii_key_bytes())
    yesterday = clock.today() - dt.timedelta(days=1)
    data = f"{HEADER}\n1;;A;50.000;\n2;;B;50.000;\n".encode()
    checked, reason = service.prepare(factory, cipher, data, period="2026-11", on=yesterday,
                                      reason=None)
    assert reason == "Potong gaji periode 2026-11" and len(checked.good) == 2
    with transaction(factory) as session:
        journal.close_period(session, through=yesterday)
        import_id = service.start(session, checked, actor="pengurus", role="pengurus",
                                  file_name=None).id
    state = bank_and_balance(client)

    result = service.complete(factory, import_id, checked, reason, actor="pengurus",
                              role="pengurus", action="test")

    assert (result["posted_lines"], result["rejected"]) == (0, 2)
    with factory() as session:
        rejects = session.scalars(select(PayrollReject).order_by(PayrollReject.line_no)).all()
    assert [(r.line_no, r.member_given, r.code) for r in rejects] == [
        (2, "1", "period_closed"), (3, "2", "period_closed")]
    assert all("ditutup" in r.reason_id and "closed" in r.reason_en for r in rejects)
    assert bank_and_balance(client) == state
