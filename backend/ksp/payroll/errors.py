"""Refusals of a whole payroll file (a bad line is a reject, not an error)."""

from __future__ import annotations

from ksp.core.errors import InvalidInput, KspError, NotFound


class FileNotUtf8(InvalidInput):
    code = "payroll_file_not_utf8"
    message_id = ("Berkas tidak dapat dibaca: bukan teks UTF-8 (byte tidak sah di posisi "
                  "{position}). Simpan ulang sebagai \"CSV UTF-8\"; tidak ada yang diimpor.")
    message_en = ("The file cannot be read: it is not UTF-8 text (invalid byte at position "
                  "{position}). Save it again as \"CSV UTF-8\"; nothing was imported.")


class FormatNotSupported(KspError):
    code = "payroll_format_not_supported"
    status = 415
    message_id = ("Format berkas {what} tidak didukung; kirim CSV UTF-8 (pemisah ; atau ,) "
                  "atau XLSX.")
    message_en = ("The file format {what} is not supported; send UTF-8 CSV (; or , "
                  "separated) or XLSX.")


class FileEmpty(InvalidInput):
    code = "payroll_file_empty"
    message_id = "Berkas kosong: tidak ada baris judul kolom atau baris data."
    message_en = "The file is empty: no header row or no data rows."


class HeaderInvalid(InvalidInput):
    code = "payroll_header_invalid"
    message_id = "Baris judul kolom tidak valid: {reason_id}"
    message_en = "The header row is invalid: {reason_en}"


class FileMalformed(InvalidInput):
    code = "payroll_file_malformed"
    message_id = "Berkas CSV rusak di sekitar baris {line} (tanda kutip tidak tertutup?)."
    message_en = "The CSV file is malformed around line {line} (an unclosed quote?)."


class TooManyLines(InvalidInput):
    code = "payroll_too_many_lines"
    message_id = "Berkas berisi lebih dari {limit} baris data."
    message_en = "The file has more than {limit} data lines."


class InvalidPeriod(InvalidInput, ValueError):
    code = "payroll_invalid_period"
    message_id = "Periode {period!r} tidak valid: tulis bulan sebagai YYYY-MM, mis. 2026-11."
    message_en = "Period {period!r} is invalid: write the month as YYYY-MM, e.g. 2026-11."


class ImportNotFound(NotFound):
    code = "payroll_import_not_found"
    message_id = "Impor potong gaji {id} tidak ditemukan."
    message_en = "Payroll import {id} not found."
