"""Errors of the ledger, each with a stable code and a bilingual message."""

from __future__ import annotations

from ksp.core.errors import Conflict, Forbidden, InvalidInput, KspError, NotFound


class LedgerError(KspError):
    code = "ledger_error"


class UnbalancedEntry(LedgerError):
    code = "unbalanced_entry"
    status = 422
    message_id = "Jurnal tidak seimbang: debit {debits} ≠ kredit {credits}."
    message_en = "Unbalanced entry: debits {debits} ≠ credits {credits}."


class InvalidLeg(LedgerError):
    code = "invalid_journal_line"
    status = 422
    message_id = "Baris jurnal tidak valid: {reason_id}"
    message_en = "Invalid journal line: {reason_en}"


class UnknownAccount(LedgerError):
    code = "unknown_account"
    status = 422
    message_id = "Akun tidak dikenal: {code_}"
    message_en = "Unknown account: {code_}"


class PeriodClosed(LedgerError):
    code = "period_closed"
    status = 409
    message_id = "Periode sampai {closed_through} sudah ditutup; tidak bisa mencatat pada {date}."
    message_en = "The books are closed through {closed_through}; cannot post on {date}."


class AlreadyReversed(Conflict):
    code = "already_reversed"
    message_id = "Jurnal {entry_id} sudah dibatalkan sebelumnya."
    message_en = "Journal entry {entry_id} was already reversed."


class NothingClosed(Conflict):
    code = "period_not_closed"
    message_id = "Belum ada periode yang ditutup; tidak ada yang dibuka kembali."
    message_en = "No period is closed; there is nothing to reopen."


class ReopenNotEarlier(InvalidInput):
    code = "reopen_not_earlier"
    message_id = ("Membuka kembali harus ke tanggal sebelum {closed_through} (atau tanpa "
                  "tanggal); diminta {through}.")
    message_en = ("Reopening must go back to a date before {closed_through} (or to no date); "
                  "got {through}.")


class ReopenRequestNotFound(NotFound):
    code = "reopen_request_not_found"
    message_id = "Permintaan buka kembali periode {request} tidak ditemukan."
    message_en = "Reopening request {request} not found."


class ReopenNeedsOtherRole(Forbidden):
    code = "reopen_needs_other_role"
    message_id = ("Permintaan dari {requested_role} harus disetujui oleh {needed_role}, "
                  "oleh orang lain.")
    message_en = ("A request made by a {requested_role} must be approved by a {needed_role}, "
                  "a different person.")


class ReopenAlreadyDecided(Conflict):
    code = "reopen_already_approved"
    message_id = "Permintaan buka kembali periode {request} sudah disetujui."
    message_en = "Reopening request {request} was already approved."


class ReopenRequestStale(Conflict):
    code = "reopen_request_stale"
    message_id = ("Permintaan {request} dibuat saat buku ditutup sampai {requested_at_close}; "
                  "sekarang {closed_through}. Buat permintaan baru.")
    message_en = ("Request {request} was made when the books were closed through "
                  "{requested_at_close}; now {closed_through}. Make a new request.")


__all__ = [
    "AlreadyReversed",
    "InvalidInput",
    "InvalidLeg",
    "LedgerError",
    "NothingClosed",
    "PeriodClosed",
    "ReopenAlreadyDecided",
    "ReopenNeedsOtherRole",
    "ReopenNotEarlier",
    "ReopenRequestNotFound",
    "ReopenRequestStale",
    "UnbalancedEntry",
    "UnknownAccount",
]
