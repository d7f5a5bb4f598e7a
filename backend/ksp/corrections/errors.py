"""Errors of corrections, each with a stable code and a bilingual message."""

from __future__ import annotations

from ksp.core.errors import Conflict, Forbidden, NotFound


class EntryNotFound(NotFound):
    code = "journal_entry_not_found"
    message_id = "Entri jurnal dengan seq {seq} tidak ditemukan."
    message_en = "No journal entry with seq {seq}."


class CorrectionNotFound(NotFound):
    code = "correction_not_found"
    message_id = "Usulan koreksi {correction} tidak ditemukan."
    message_en = "Correction proposal {correction} not found."


class CorrectionPending(Conflict):
    code = "correction_pending"
    message_id = "Entri seq {seq} sudah punya usulan koreksi {correction} yang menunggu."
    message_en = "Entry seq {seq} already has pending correction proposal {correction}."


class CorrectionAlreadyDecided(Conflict):
    code = "correction_already_decided"
    message_id = "Usulan koreksi {correction} sudah diputuskan ({status})."
    message_en = "Correction proposal {correction} was already decided ({status})."


class ApproverIsProposer(Forbidden):
    code = "approver_is_proposer"
    message_id = ("Pengusul koreksi {correction} tidak boleh memutuskannya sendiri; "
                  "perlu pengurus lain.")
    message_en = ("The proposer of correction {correction} cannot decide it; another "
                  "pengurus must.")


class ReversalMakesBalanceNegative(Conflict):
    code = "reversal_makes_balance_negative"
    message_id = ("Pembalikan ditolak: saldo {account} anggota {member} akan menjadi {balance} "
                  "(negatif).")
    message_en = ("Reversal refused: member {member}'s {account} balance would become "
                  "{balance} (negative).")


class CorrectionNotAllowed(Conflict):
    code = "correction_not_allowed"
    message_id = "Entri seq {seq} tidak dapat dibalik: {reason_id}"
    message_en = "Entry seq {seq} cannot be reversed: {reason_en}"
