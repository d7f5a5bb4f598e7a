"""Errors of the daily close and the portfolio steps (write-off, recovery, restructuring),
each with a stable code and a message in Bahasa Indonesia and English. An unknown loan and
an approval by the proposer are the loan service's errors (ksp.loans.errors)."""

from __future__ import annotations

from ksp.core.errors import Conflict, Forbidden, InvalidInput


class CloseDateInFuture(InvalidInput):
    code = "close_date_in_future"
    message_id = "Tutup hari {date} belum bisa: hari ini {today}."
    message_en = "Cannot close {date} yet: today is {today}."


class WriteOffNeedsMacet(Conflict):
    code = "write_off_needs_macet"
    message_id = ("Pinjaman {loan_id} berstatus {status}: hanya pinjaman macet yang dapat "
                  "dihapusbukukan.")
    message_en = "Loan {loan_id} is {status}: only a defaulted (macet) loan can be written off."


class WriteOffAlreadyProposed(Conflict):
    code = "write_off_already_proposed"
    message_id = "Hapus buku pinjaman {loan_id} sudah diusulkan dan menunggu persetujuan."
    message_en = "A write-off of loan {loan_id} is already proposed and waiting for approval."


class NoWriteOffProposal(Conflict):
    code = "no_write_off_proposal"
    message_id = "Belum ada usulan hapus buku untuk pinjaman {loan_id}."
    message_en = "There is no write-off proposal for loan {loan_id}."


class WriteOffApproverRole(Forbidden):
    code = "write_off_approver_role"
    message_id = "Hapus buku disetujui oleh satu pengurus dan satu pengawas; peran {role} tidak."
    message_en = "A write-off is approved by one pengurus and one pengawas; not by role {role}."


class WriteOffAlreadyApproved(Conflict):
    code = "write_off_already_approved"
    message_id = "Usulan hapus buku pinjaman {loan_id} sudah disetujui oleh {role} ({actor})."
    message_en = "The write-off of loan {loan_id} is already approved by the {role} ({actor})."


class NotWrittenOff(Conflict):
    code = "not_written_off"
    message_id = ("Pinjaman {loan_id} belum dihapusbukukan: pemulihan hanya untuk pinjaman "
                  "hapus buku.")
    message_en = "Loan {loan_id} is not written off: recoveries are for written-off loans only."


class RecoveryTooLarge(InvalidInput):
    code = "recovery_too_large"
    message_id = ("Pemulihan {amount} melebihi sisa hapus buku pinjaman {loan_id}: paling "
                  "banyak {remaining}.")
    message_en = ("The recovery of {amount} exceeds what remains written off on loan "
                  "{loan_id}: at most {remaining}.")


class RestructureOutdated(Conflict):
    code = "restructure_outdated"
    message_id = ("Pinjaman {loan_id} berubah sejak restrukturisasi diusulkan: sisa pokok "
                  "{outstanding}, pinjaman baru {principal}. Usulkan ulang.")
    message_en = ("Loan {loan_id} changed since the restructuring was proposed: outstanding "
                  "{outstanding}, the new loan {principal}. Propose it again.")
