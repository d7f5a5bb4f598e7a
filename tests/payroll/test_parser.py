"""Reading the file: delimiters, BOM, amounts as people write them, per-line problems, and
the refusals of a whole file."""

from __future__ import annotations

import pytest

from ksp.payroll import parser
from ksp.payroll.errors import (
    FileEmpty,
    FileMalformed,
    FileNotUtf8,
    FormatNotSupported,
    HeaderInvalid,
)
from ksp.savings.service import Jenis


def test_comma_file_without_bom_reads_like_a_semicolon_file_with_one():
    semicolon = parser.parse("\ufeffNomor Anggota;Wajib;Sukarela\r\n7;50.000;Rp 25.000\r\n"
                             .encode())
    comma = parser.parse(b'nomor_anggota,wajib,sukarela\n7,50000,"Rp 25.000,-"\n')
    assert (semicolon.delimiter, comma.delimiter) == (";", ",")
    for parsed in (semicolon, comma):
        (line,) = parsed.lines
        assert (line.line_no, line.number, line.problems) == (2, 7, ())
        assert line.amounts == ((Jenis.WAJIB, 50_000), (Jenis.SUKARELA, 25_000))


def test_unknown_columns_are_reported_with_how_many_lines_fill_them():
    # (angsuran is known since loans: tests/loans/test_routes_payroll_angsuran.py)
    parsed = parser.parse(b"nomor_anggota;nama;wajib;arisan;pokok\n"
                          b"1;Ani;50000;300000;\n2;Budi;50000;;\n3;Cici;50000;150000;100000\n")
    assert [(c.name, c.filled) for c in parsed.unknown_columns] == [("arisan", 2),
                                                                   ("pokok", 1)]
    assert [line.amounts for line in parsed.lines] == [((Jenis.WAJIB, 50_000),)] * 3


def test_angsuran_and_its_loan_are_read_from_their_columns():
    parsed = parser.parse(b"nomor_anggota;angsuran;pinjaman\n1;916.800;\n2;Rp 50.000;7\n"
                          b"3;;\n4;1000;x7\n")
    assert [(line.angsuran, line.loan_id, [p.code for p in line.problems])
            for line in parsed.lines] == [
        (916_800, None, []), (50_000, 7, []), (None, None, ["payroll_no_amount"]),
        (1000, None, ["payroll_loan_invalid"])]
    assert parsed.unknown_columns == ()


def test_line_numbers_are_the_spreadsheet_rows_and_blank_lines_are_skipped():
    parsed = parser.parse(b"\n\nnomor_anggota;wajib\n1;10\n\n2;20\n")
    assert [(line.line_no, line.number) for line in parsed.lines] == [(4, 1), (6, 2)]


def test_each_bad_line_carries_its_own_problem():
    parsed = parser.parse(b"nomor_anggota;nik;wajib;sukarela\n"
                          b"abc;;50000;\n"  # member number with letters
                          b";12345;50000;\n"  # NIK too short
                          b";;50000;\n"  # nobody
                          b"4;;-1;\n"  # negative
                          b"5;;50,5;\n"  # a decimal comma
                          b"6;;;\n"  # no deduction at all
                          b"7;;0;0\n"  # zeros are no deduction either
                          b"8;;1\n"  # a column short
                          b";1217-0145-0790-0001;50.000;\n")  # NIK with dashes: good
    codes = [[p.code for p in line.problems] for line in parsed.lines]
    assert codes == [["payroll_member_invalid"], ["payroll_nik_invalid"],
                     ["payroll_member_missing"], ["amount_not_understood"],
                     ["amount_not_understood"], ["payroll_no_amount"], ["payroll_no_amount"],
                     ["payroll_column_count"], []]
    assert parsed.lines[-1].nik == "1217014507900001"
    assert parsed.lines[-1].given == "NIK ************0001"
    for line in parsed.lines[:-1]:
        for problem in line.problems:
            assert problem.reason_id and problem.reason_en
            assert problem.reason_id != problem.reason_en


@pytest.mark.parametrize(("data", "error"), [
    ("nomor_anggota;wajib\n1;Sü\n".encode("latin-1"), FileNotUtf8),
    (b"PK\x03\x04\x14\x00", FormatNotSupported),
    (b"\xd0\xcf\x11\xe0\xa1\xb1", FormatNotSupported),
    (b"", FileEmpty),
    (b"\xef\xbb\xbf\n\n", FileEmpty),
    (b"nomor_anggota;wajib\n", FileEmpty),
    (b"nama;wajib\nAni;1\n", HeaderInvalid),
    (b"nomor_anggota;nama\n1;Ani\n", HeaderInvalid),
    (b"nomor_anggota;wajib;wajib\n1;1;1\n", HeaderInvalid),
    (b"nomor_anggota;;wajib\n1;;1\n", HeaderInvalid),
])
def test_a_file_that_cannot_be_trusted_is_refused_whole(data, error):
    with pytest.raises(error) as caught:
        parser.parse(data)
    assert caught.value.render_id() != caught.value.render_en()


@pytest.mark.parametrize(("data", "line"), [
    (b'nomor_anggota;wajib\n1;"50.000\n2;1\n3;1\n', 2),  # unclosed: swallows the rest
    (b'nomor_anggota;wajib\n1;"50.000\n2;1"\n3;1\n', 2),  # closed lines later
    (b'nomor_anggota;wajib\n1;1\n2;"5"0\n', 3),
])
def test_broken_quoting_is_refused_whole_never_read_as_one_long_cell(data, line):
    with pytest.raises(FileMalformed) as caught:
        parser.parse(data)
    assert caught.value.details["line"] == line
