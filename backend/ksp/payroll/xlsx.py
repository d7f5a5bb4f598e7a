"""The paymaster's XLSX, read as rows of text so the CSV rules apply to it unchanged.

The first worksheet is the list; its first non-empty row is the header. Line numbers are
the sheet's row numbers, as Excel shows them. A number cell becomes its digits (50000 ->
"50000"); a cell Excel stored with a fraction keeps it ("50000.5") and the amount rules
refuse it, so no fraction of a rupiah is ever rounded away here."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from ksp.payroll.errors import FileEmpty, FormatNotSupported

ZIP_MAGIC = b"PK\x03\x04"
# A 16 MiB upload may not unpack into more than this: a zip bomb is refused before reading.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
_WORKBOOK = "xl/workbook.xml"


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FormatNotSupported(what="ZIP") from None
    if _WORKBOOK not in names:
        raise FormatNotSupported(what="ODS/ZIP" if "content.xml" in names else "ZIP")
    if unpacked > MAX_UNPACKED_BYTES:
        raise FormatNotSupported(what="XLSX > 512 MiB")


def cell_text(value: Any) -> str:
    """One cell as the CSV reader would have seen it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # XLSX keeps numbers as doubles; a whole one is exact below 2**53, and anything with
        # a fraction stays visible as text for the amount rules to refuse.
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header cells and then (row number, cells) of every row below it."""
    from openpyxl import load_workbook  # only an XLSX upload pays for the import

    _check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        raise FormatNotSupported(what="XLSX (rusak / damaged)") from None
    sheet = book.worksheets[0]
    numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
    for _row_no, values in numbered:
        header = [cell_text(v) for v in values]
        while header and not header[-1].strip():
            header.pop()  # formatted but empty cells right of the list
        if header:
            return header, _body(numbered, len(header), book)
    book.close()
    raise FileEmpty()


def _body(numbered: Iterator[tuple[int, tuple[Any, ...]]], width: int, book: Any
          ) -> Iterator[tuple[int, list[str]]]:
    try:
        for row_no, values in numbered:
            cells = [cell_text(v) for v in values]
            while len(cells) > width and not cells[-1].strip():
                cells.pop()
            yield row_no, cells
    finally:
        book.close()
