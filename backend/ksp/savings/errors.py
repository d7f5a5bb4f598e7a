from __future__ import annotations

from ksp.core.errors import Conflict, InvalidInput


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    message_id = "Jumlah tidak valid: {reason_id}"
    message_en = "Invalid amount: {reason_en}"


class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    message_id = "Saldo simpanan {jenis} tidak cukup: saldo {balance}, diminta {amount}."
    message_en = "Insufficient {jenis} savings: balance {balance}, requested {amount}."


class WithdrawalNotAllowed(Conflict):
    code = "withdrawal_not_allowed"
    message_id = "Simpanan {jenis} tidak dapat ditarik selama masih menjadi anggota."
    message_en = "{jenis} savings cannot be withdrawn while a member."


class PokokAlreadyPaid(Conflict):
    code = "pokok_already_paid"
    message_id = "Simpanan pokok anggota {number} sudah dibayar."
    message_en = "Member {number} has already paid simpanan pokok."


class PokokAmountMismatch(InvalidInput):
    code = "pokok_amount_mismatch"
    message_id = "Simpanan pokok harus tepat {expected}."
    message_en = "Simpanan pokok must be exactly {expected}."


class ExitBeforeJoining(InvalidInput):
    code = "exit_before_joining"
    message_id = "Tanggal keluar {date} sebelum tanggal masuk {joined_on}."
    message_en = "Exit date {date} is before the joining date {joined_on}."


class MemberHasOpenLoan(Conflict):
    code = "member_has_open_loan"
    message_id = ("Anggota {number} masih memiliki pinjaman {loan_id} ({status}, sisa pokok "
                  "{outstanding}); lunasi pinjaman itu sebelum keluar.")
    message_en = ("Member {number} still has loan {loan_id} ({status}, outstanding pokok "
                  "{outstanding}); repay that loan before exiting.")
