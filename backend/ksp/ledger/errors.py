"""Errors of the ledger, each with a stable code and a bilingual message."""

from __future__ import annotations

from ksp.core.errors import Conflict, InvalidInput, KspError


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


__all__ = [
    "AlreadyReversed",
    "InvalidInput",
    "InvalidLeg",
    "LedgerError",
    "PeriodClosed",
    "UnbalancedEntry",
    "UnknownAccount",
]
