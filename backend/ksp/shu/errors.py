"""Errors of the year end and the SHU, each with a stable code and a bilingual message."""

from __future__ import annotations

from ksp.core.errors import Conflict, Forbidden, InvalidInput, NotFound


class YearNotEnded(Conflict):
    code = "year_not_ended"
    message_id = "Tahun buku {year} belum berakhir (sampai {through}); belum bisa tutup buku."
    message_en = "Fiscal year {year} has not ended yet (through {through}); it cannot be closed."


class YearAlreadyClosed(Conflict):
    code = "year_already_closed"
    message_id = "Tahun buku {year} sudah ditutup (entri log seq {seq})."
    message_en = "Fiscal year {year} is already closed (log entry seq {seq})."


class EarlierYearNotClosed(Conflict):
    code = "earlier_year_not_closed"
    message_id = ("Masih ada pendapatan/beban sebelum {since} yang belum ditutup; tutup buku "
                  "tahun sebelumnya dulu.")
    message_en = ("Income or expense before {since} is not closed yet; close the earlier year "
                  "first.")


class ProvisionsNotPosted(Conflict):
    code = "provisions_not_posted"
    message_id = ("Penyisihan kerugian piutang belum dicatat: wajib {required}, tercatat "
                  "{posted} per {through}. Catat penyisihan dulu, baru tutup buku.")
    message_en = ("Loan-loss provisions not posted: required {required}, posted {posted} as "
                  "of {through}. Post the provision before closing the year.")


class YearNotClosed(Conflict):
    code = "year_not_closed"
    message_id = "Tahun buku {year} belum ditutup; SHU hanya untuk tahun yang sudah ditutup."
    message_en = "Fiscal year {year} is not closed; only a closed year has an SHU."


class SplitNotWhole(InvalidInput):
    code = "shu_split_not_whole"
    message_id = "Pembagian SHU harus berjumlah 100% (10.000 bps); tercatat {total} bps."
    message_en = "The SHU split must add up to 100% (10,000 bps); got {total} bps."


class ShuNotApproved(Conflict):
    code = "shu_not_approved"
    message_id = ("Pembagian SHU tahun {year} belum disetujui RAT (hasil RAT untuk agenda SHU "
                  "belum ada di log).")
    message_en = ("The SHU split of {year} has not been approved by the RAT (no RAT result "
                  "for the SHU item in the log).")


class ShuApprovalNotAnchored(Conflict):
    code = "shu_approval_not_anchored"
    message_id = ("Hasil RAT untuk SHU tahun {year} (seq {seq}) belum di-anchor di rantai; "
                  "tunggu anchor berikutnya.")
    message_en = ("The RAT result for the SHU of {year} (seq {seq}) is not anchored on chain "
                  "yet; wait for the next anchor.")


class ShuApprovalMismatch(Conflict):
    code = "shu_approval_mismatch"
    message_id = "Hasil RAT (seq {seq}) tidak cocok dengan tahun {year}: {reason_id}"
    message_en = "The RAT result (seq {seq}) does not match year {year}: {reason_en}"


class ShuNotProposed(Conflict):
    code = "shu_not_proposed"
    message_id = "Usulan pembagian SHU tahun {year} belum dibuat."
    message_en = "No SHU proposal has been made for {year}."


class ShuAlreadyProposed(Conflict):
    code = "shu_already_proposed"
    message_id = ("Usulan pembagian SHU tahun {year} sudah dibuat (seq {seq}); usulan baru hanya "
                  "setelah RAT menolaknya.")
    message_en = ("The SHU proposal for {year} was already made (seq {seq}); a new one only "
                  "after the RAT turns it down.")


class ShuAlreadyDistributed(Conflict):
    code = "shu_already_distributed"
    message_id = "SHU tahun {year} sudah dibagikan (entri log seq {seq})."
    message_en = "The SHU of {year} was already distributed (log entry seq {seq})."


class NothingToDistribute(Conflict):
    code = "shu_nothing_to_distribute"
    message_id = "SHU tahun {year} nol atau rugi ({shu}); tidak ada yang dibagikan."
    message_en = "The SHU of {year} is zero or a loss ({shu}); there is nothing to distribute."


class SameCalculatorAndApprover(Forbidden):
    code = "shu_needs_other_pengurus"
    message_id = ("Pembagian SHU harus dicatat oleh pengurus lain, bukan pembuat usulan "
                  "({proposed_by}).")
    message_en = ("The SHU distribution must be posted by another pengurus, not the one who "
                  "made the proposal ({proposed_by}).")


class ShuLineNotFound(NotFound):
    code = "shu_line_not_found"
    message_id = "SHU anggota {member} untuk tahun {year} tidak ditemukan."
    message_en = "No SHU for member {member} in {year}."
