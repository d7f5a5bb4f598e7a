"""Reading the paymaster's file: bytes to lines, before any database look-up.

A file the reader cannot trust as a whole (not UTF-8, an XLSX, no usable header) is
refused whole; a line that is wrong on its own (column count, member, amount) carries its
problem and becomes a reject, so it never spoils the rest."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from ksp.core.money import AmountNotUnderstood, parse_rupiah
from ksp.payroll.errors import (
    FileEmpty,
    FileMalformed,
    FileNotUtf8,
    FormatNotSupported,
    HeaderInvalid,
    TooManyLines,
)
from ksp.savings.service import Jenis

BOM = b"\xef\xbb\xbf"
MAX_LINES = 1_000_000
MEMBER_COLUMN, NIK_COLUMN = "nomor_anggota", "nik"
# What the file may deduct, by column name. Pokok is paid once on joining, never by payroll.
AMOUNT_COLUMNS = {"wajib": Jenis.WAJIB, "sukarela": Jenis.SUKARELA}
# A loan instalment deducted from pay: to the loan named in `pinjaman`, or, when that is empty,
# to the member's oldest running loan.
ANGSURAN_COLUMN, LOAN_COLUMN = "angsuran", "pinjaman"
# Read by people, never posted: not reported as unknown.
INFO_COLUMNS = frozenset({"nama", "no"})
_NO_AMOUNT = frozenset({"", "0", "-"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Zip archives (XLSX, ODS) and the old binary Excel format.
_SPREADSHEETS = ((b"PK\x03\x04", "XLSX/ODS"), (b"\xd0\xcf\x11\xe0", "XLS"))


@dataclass(frozen=True)
class Problem:
    code: str
    reason_id: str
    reason_en: str


@dataclass(frozen=True)
class Line:
    line_no: int  # as a spreadsheet shows it: the header is line 1
    number: int | None  # nomor anggota, when the line gives one
    nik: str | None  # 16 digits, when the line gives one
    given: str  # the member as the file gave it, a NIK masked (for the rejects report)
    amounts: tuple[tuple[Jenis, int], ...]
    problems: tuple[Problem, ...] = ()
    angsuran: int | None = None
    loan_id: int | None = None


@dataclass(frozen=True)
class UnknownColumn:
    name: str
    filled: int  # lines with a value in it (not posted)


@dataclass(frozen=True)
class ParsedFile:
    sha256: str
    delimiter: str
    columns: tuple[str, ...]
    lines: tuple[Line, ...]
    unknown_columns: tuple[UnknownColumn, ...] = field(default=())


def mask_nik(text: str) -> str:
    """A NIK (or what was written where one belongs) with all but its last four hidden."""
    text = _CONTROL.sub("", text)[:40]
    return "NIK " + "*" * max(len(text) - 4, 0) + text[-4:]


def _decode(data: bytes) -> str:
    for magic, what in _SPREADSHEETS:
        if data.startswith(magic):
            raise FormatNotSupported(what=what)
    body = data.removeprefix(BOM)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileNotUtf8(position=exc.start + len(data) - len(body)) from exc


def _column_name(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _header(first: str) -> tuple[str, list[str]]:
    # Sniffed from the header, which holds no amounts ("Rp 50.000,-" has a comma).
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    columns = [_column_name(c) for c in next(csv.reader([first], delimiter=delimiter))]
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise HeaderInvalid(reason_id="ada kolom tanpa judul",
                                reason_en="a column has no name")
        if name in seen:
            raise HeaderInvalid(reason_id=f"kolom {name!r} muncul dua kali",
                                reason_en=f"column {name!r} appears twice")
        seen.add(name)
    if MEMBER_COLUMN not in seen and NIK_COLUMN not in seen:
        raise HeaderInvalid(reason_id="perlu kolom nomor_anggota atau nik",
                            reason_en="a nomor_anggota or nik column is needed")
    if not seen & {*AMOUNT_COLUMNS, ANGSURAN_COLUMN}:
        raise HeaderInvalid(reason_id="perlu kolom wajib (dan/atau sukarela, angsuran)",
                            reason_en="a wajib (and/or sukarela, angsuran) column is needed")
    return delimiter, columns


def _member(cells: dict[str, str]) -> tuple[int | None, str | None, str, list[Problem]]:
    number_text = cells.get(MEMBER_COLUMN, "").strip()
    nik_text = re.sub(r"[\s.\-]", "", cells.get(NIK_COLUMN, ""))
    problems: list[Problem] = []
    number: int | None = None
    nik: str | None = None
    if number_text:
        given = _CONTROL.sub("", number_text)[:40]
        if re.fullmatch(r"[0-9]{1,18}", number_text) and int(number_text) > 0:
            number = int(number_text)
        else:
            problems.append(Problem("payroll_member_invalid",
                                    f"nomor anggota {given!r} tidak valid",
                                    f"member number {given!r} is invalid"))
    elif nik_text:
        given = mask_nik(nik_text)
        if re.fullmatch(r"[0-9]{16}", nik_text):
            nik = nik_text
        else:
            problems.append(Problem("payroll_nik_invalid", "NIK harus 16 angka",
                                    "a NIK must be 16 digits"))
    else:
        given = ""
        problems.append(Problem("payroll_member_missing",
                                "nomor anggota atau NIK tidak diisi",
                                "neither member number nor NIK given"))
    if number is not None and nik_text:
        nik = nik_text if re.fullmatch(r"[0-9]{16}", nik_text) else None
    return number, nik, given, problems


def _amounts(cells: dict[str, str]) -> tuple[list[tuple[Jenis, int]], list[Problem]]:
    amounts: list[tuple[Jenis, int]] = []
    problems: list[Problem] = []
    for column, jenis in AMOUNT_COLUMNS.items():
        text = cells.get(column, "").strip()
        if text in _NO_AMOUNT:
            continue
        try:
            amounts.append((jenis, parse_rupiah(text)))
        except AmountNotUnderstood as exc:
            problems.append(Problem(exc.code, f"{column}: {exc.render_id()}",
                                    f"{column}: {exc.render_en()}"))
    return amounts, problems


def _angsuran(cells: dict[str, str]) -> tuple[int | None, int | None, list[Problem]]:
    """The instalment deducted and the loan it is for (None: the oldest running loan)."""
    text = cells.get(ANGSURAN_COLUMN, "").strip()
    loan_text = cells.get(LOAN_COLUMN, "").strip()
    problems: list[Problem] = []
    amount = loan_id = None
    if text not in _NO_AMOUNT:
        try:
            amount = parse_rupiah(text)
        except AmountNotUnderstood as exc:
            problems.append(Problem(exc.code, f"{ANGSURAN_COLUMN}: {exc.render_id()}",
                                    f"{ANGSURAN_COLUMN}: {exc.render_en()}"))
    if loan_text:
        if re.fullmatch(r"[0-9]{1,18}", loan_text) and int(loan_text) > 0:
            loan_id = int(loan_text)
        else:
            given = _CONTROL.sub("", loan_text)[:40]
            problems.append(Problem("payroll_loan_invalid",
                                    f"nomor pinjaman {given!r} tidak valid",
                                    f"loan number {given!r} is invalid"))
    return amount, loan_id, problems


def parse(data: bytes) -> ParsedFile:
    """The whole file, or the one refusal of the whole file."""
    sha256 = hashlib.sha256(data).hexdigest()
    text = _decode(data)
    physical = io.StringIO(text, newline="")
    first = ""
    header_line = 0
    for header_line, raw in enumerate(physical, start=1):  # noqa: B007
        if raw.strip():
            first = raw.rstrip("\r\n")
            break
    if not first:
        raise FileEmpty()
    delimiter, columns = _header(first)
    known = {MEMBER_COLUMN, NIK_COLUMN, *AMOUNT_COLUMNS, ANGSURAN_COLUMN, LOAN_COLUMN,
             *INFO_COLUMNS}
    filled = dict.fromkeys((c for c in columns if c not in known), 0)
    reader = csv.reader(physical, delimiter=delimiter, strict=True)
    lines: list[Line] = []
    last = header_line  # the physical line the reader has read through
    try:
        for row in reader:
            line_no, last = last + 1, header_line + reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines (a trailing newline) are no lines
            if any("\n" in cell or "\r" in cell for cell in row):
                # An unclosed quote swallows the lines after it: never guess, refuse.
                raise FileMalformed(line=line_no)
            if len(lines) >= MAX_LINES:
                raise TooManyLines(limit=MAX_LINES)
            if len(row) != len(columns):
                given = _CONTROL.sub("", row[0].strip())[:40] if row else ""
                if columns[0] == NIK_COLUMN:
                    given = mask_nik(given)
                lines.append(Line(line_no, None, None, given, (), (Problem(
                    "payroll_column_count",
                    f"{len(row)} kolom, seharusnya {len(columns)}",
                    f"{len(row)} columns, expected {len(columns)}"),)))
                continue
            cells = dict(zip(columns, row, strict=True))
            for name in filled:
                filled[name] += bool(cells[name].strip())
            number, nik, given, member_problems = _member(cells)
            amounts, amount_problems = _amounts(cells)
            angsuran, loan_id, loan_problems = _angsuran(cells)
            problems = member_problems + amount_problems + loan_problems
            if not amounts and angsuran is None and not amount_problems + loan_problems:
                problems.append(Problem("payroll_no_amount", "tidak ada potongan di baris ini",
                                        "no deduction on this line"))
            lines.append(Line(line_no, number, nik, given, tuple(amounts), tuple(problems),
                              angsuran, loan_id))
    except csv.Error as exc:
        raise FileMalformed(line=last + 1) from exc
    if not lines:
        raise FileEmpty()
    return ParsedFile(sha256, delimiter, tuple(columns), tuple(lines),
                      tuple(UnknownColumn(n, c) for n, c in filled.items()))
