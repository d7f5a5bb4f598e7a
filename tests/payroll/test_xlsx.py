"""The paymaster's XLSX: read as the same lines as the CSV (row numbers as Excel shows
them, numbers as their digits), a fraction of a rupiah refused, not rounded; a zip that is
no workbook or would unpack too far refused whole; through the API the good rows post
once and a re-import posts nothing."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from ksp.auth.models import Role
from ksp.payroll import parser, xlsx
from ksp.payroll.errors import FileEmpty, FormatNotSupported, HeaderInvalid
from ksp.savings.service import Jenis
from tests.payroll.test_import import bank_and_balance, members_for_the_file, savings_of, upload
from tests.support.client import KspClient
from tests.support.factories import nik

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(*rows: list[object], blank_rows_before: int = 0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for _ in range(blank_rows_before):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_reads_as_the_same_lines_as_its_csv():
    from_xlsx = parser.parse(workbook(
        ["Nomor Anggota", "Nama", "Wajib", "Sukarela"],
        [7, "Ani", 50000, "Rp 25.000"],
        [8, "Budi", 50000.0, None],
        blank_rows_before=2))
    from_csv = parser.parse(b"\n\nnomor_anggota;nama;wajib;sukarela\n7;Ani;50000;Rp 25.000\n"
                            b"8;Budi;50000;\n")
    assert from_xlsx.columns == from_csv.columns
    assert from_xlsx.lines == from_csv.lines
    assert [(line.line_no, line.amounts) for line in from_xlsx.lines] == [
        (4, ((Jenis.WAJIB, 50_000), (Jenis.SUKARELA, 25_000))), (5, ((Jenis.WAJIB, 50_000),))]


def test_a_fraction_of_a_rupiah_in_a_cell_is_a_reject_never_rounded():
    parsed = parser.parse(workbook(["nomor_anggota", "wajib"], [7, 50000.5], [8, 49999.99]))
    assert [[p.code for p in line.problems] for line in parsed.lines] == [
        ["amount_not_understood"], ["amount_not_understood"]]
    assert all(line.amounts == () for line in parsed.lines)


def test_a_sixteen_digit_nik_stored_as_a_number_keeps_every_digit():
    parsed = parser.parse(workbook(["nik", "wajib"], [int(nik(3)), 50000]))
    (line,) = parsed.lines
    assert (line.nik, line.problems) == (nik(3), ())


def test_formatted_empty_cells_right_of_the_list_are_not_columns():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["nomor_anggota", "wajib"])
    sheet.append([7, 50000])
    sheet["F1"].number_format = "0.00"  # a styled, empty cell far right
    sheet["F2"] = None
    out = io.BytesIO()
    book.save(out)
    parsed = parser.parse(out.getvalue())
    assert parsed.columns == ("nomor_anggota", "wajib")
    assert parsed.lines[0].problems == ()


@pytest.mark.parametrize(("data", "error"), [
    (workbook(["nomor_anggota", "nama"], [1, "Ani"]), HeaderInvalid),
    (workbook(), FileEmpty),
    (workbook(["nomor_anggota", "wajib"]), FileEmpty),
])
def test_a_workbook_without_a_usable_list_is_refused_whole(data, error):
    with pytest.raises(error):
        parser.parse(data)


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_an_ods_a_plain_zip_and_a_zip_bomb_are_refused_before_reading(monkeypatch):
    ods = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b"<x/>"})
    plain = _zip({"readme.txt": b"hello"})
    damaged = _zip({"xl/workbook.xml": b"not xml at all"})
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = _zip({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b"0" * (2 << 20)})
    refusals = []
    for data in (ods, plain, damaged, bomb):
        with pytest.raises(FormatNotSupported) as caught:
            parser.parse(data)
        refusals.append(caught.value.details["what"])
    assert refusals == ["ODS/ZIP", "ZIP", "XLSX (rusak / damaged)", "XLSX > 512 MiB"]


def test_an_xlsx_upload_posts_the_good_rows_once(db_settings):
    client = KspClient(db_settings)
    pengurus = client.staff(Role.PENGURUS)
    members_for_the_file(client, pengurus)
    _bank, _ok, size_before = bank_and_balance(client)
    data = workbook(["nomor_anggota", "nik", "nama", "wajib", "sukarela"],
                    [1, None, "Ani", 50000, 25000],
                    [None, nik(3), "Cici", "50.000", None],
                    [99, None, "Tidak Ada", 50000, None],
                    [2, None, "Budi", 12500.5, None])

    first = upload(client, pengurus, data, content_type=XLSX_TYPE)
    again = upload(client, pengurus, data, content_type=XLSX_TYPE)

    assert first.status_code == 201, first.text
    result = first.json()
    assert (result["lines"], result["posted_lines"], result["postings"]) == (4, 2, 3)
    assert (result["posted_amount"], result["rejected"]) == (125_000, 2)
    assert savings_of(client, pengurus, 1) == {"pokok": 100_000, "wajib": 50_000,
                                               "sukarela": 25_000}
    assert savings_of(client, pengurus, 3)["wajib"] == 50_000
    assert savings_of(client, pengurus, 2)["wajib"] == 0
    assert (again.json()["posted_lines"], again.json()["already_imported"]) == (0, 2)
    bank, balanced, size = bank_and_balance(client)
    assert (bank, balanced, size - size_before) == (125_000, True, 3)
