"""The errors of signed receipts (mapped to HTTP in ksp/api/errors.py, like all KspError)."""

from __future__ import annotations

from ksp.core.errors import InvalidInput, KspError


class ReceiptSignerUnavailable(KspError):
    code = "receipt_signer_unavailable"
    status = 503
    message_id = "Tanda terima belum dapat ditandatangani: {reason_id}. Coba lagi nanti."
    message_en = "The receipt cannot be signed yet: {reason_en}. Try again later."


class ReceiptNotAvailable(KspError):
    code = "receipt_not_available"
    status = 404
    message_id = "Entri seq {seq} tidak memuat transaksi untuk anggota {member}."
    message_en = "Entry seq {seq} holds no transaction of member {member}."


class ReceiptMemberRequired(KspError):
    code = "receipt_member_required"
    status = 422
    message_id = ("Entri seq {seq} menyangkut beberapa anggota ({members}); pilih satu dengan "
                  "parameter member.")
    message_en = ("Entry seq {seq} concerns several members ({members}); choose one with the "
                  "member parameter.")


class InvalidReceiptText(InvalidInput):
    code = "invalid_receipt_text"
    message_id = "Teks tanda terima tidak valid: {reason_id}"
    message_en = "Invalid receipt text: {reason_en}"
