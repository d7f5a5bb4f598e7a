"""What the loan service refuses, each with a stable code and both languages."""

from __future__ import annotations

from ksp.core.errors import Conflict, Forbidden, InvalidInput, NotFound


class UnknownLoan(NotFound):
    code = "unknown_loan"
    message_id = "Pinjaman {loan_id} tidak ditemukan."
    message_en = "Loan {loan_id} not found."


class UnknownLoanProduct(NotFound):
    code = "unknown_loan_product"
    message_id = "Produk pinjaman {code} tidak ada pada tanggal {date}."
    message_en = "Loan product {code} does not exist on {date}."


class LoanProductUnchanged(Conflict):
    code = "loan_product_unchanged"
    message_id = "Produk pinjaman {code} per {date} tidak berubah."
    message_en = "Loan product {code} from {date} would not change."


class InvalidLoanProduct(InvalidInput):
    code = "invalid_loan_product"
    message_id = "Aturan produk pinjaman tidak valid: {reason_id}"
    message_en = "Invalid loan product rules: {reason_en}"


class TenorOutsideProduct(InvalidInput):
    code = "tenor_outside_product"
    message_id = "Jangka waktu {tenor} bulan di luar produk ({low}–{high} bulan)."
    message_en = "A tenor of {tenor} months is outside the product ({low}–{high} months)."


class RateOutsideProduct(InvalidInput):
    code = "rate_outside_product"
    message_id = "Bunga (jasa) {rate} di luar produk ({low}–{high})."
    message_en = "A rate of {rate} is outside the product ({low}–{high})."


class AboveBmpp(Conflict):
    code = "above_bmpp"
    message_id = ("Melebihi batas maksimum pemberian pinjaman (BMPP) {bmpp}: sisa pinjaman "
                  "{outstanding} ditambah {principal}.")
    message_en = ("Above the member's loan limit (BMPP) {bmpp}: outstanding {outstanding} plus "
                  "{principal}.")


class RelatedPartyCap(Conflict):
    code = "related_party_cap"
    message_id = ("Pinjaman pihak terkait melebihi batas {cap} (modal sendiri {capital}): "
                  "sudah {outstanding}, ditambah {principal}.")
    message_en = ("Related-party lending would exceed its cap {cap} (own capital {capital}): "
                  "{outstanding} already, plus {principal}.")


class SavingsRequirementUnmet(Conflict):
    code = "savings_requirement_unmet"
    message_id = "Simpanan pokok dan wajib {savings} belum memenuhi syarat produk {required}."
    message_en = "Pokok and wajib savings {savings} do not meet the product's {required}."


class CollateralRequired(Conflict):
    code = "collateral_required"
    message_id = "Produk ini mensyaratkan agunan; pinjaman {loan_id} belum mencatat agunan."
    message_en = "This product requires collateral; loan {loan_id} records none."


class ApproverIsProposer(Conflict):
    code = "approver_is_proposer"
    message_id = "Pengusul ({actor}) tidak boleh menyetujui usulannya sendiri."
    message_en = "The proposer ({actor}) may not approve their own proposal."


class AlreadyDecided(Conflict):
    code = "already_decided"
    message_id = "{actor} sudah memberi keputusan {action} atas pinjaman {loan_id}."
    message_en = "{actor} already took the step {action} on loan {loan_id}."


class PengawasNotNeeded(Conflict):
    code = "pengawas_not_needed"
    message_id = "Pinjaman {loan_id} bukan pinjaman pihak terkait; pengawas tidak menyetujuinya."
    message_en = "Loan {loan_id} is not a related-party loan; the pengawas does not approve it."


class InvalidLoanState(Conflict):
    code = "invalid_loan_state"
    message_id = "Pinjaman {loan_id} berstatus {status}; langkah {action} tidak dapat dilakukan."
    message_en = "Loan {loan_id} is {status}; the step {action} cannot be taken."


class LoanClosed(Conflict):
    code = "loan_closed"
    message_id = "Pinjaman {loan_id} sudah ditutup ({status}); tidak menerima angsuran."
    message_en = "Loan {loan_id} is closed ({status}); it takes no repayment."


class WalletNotLinked(Conflict):
    code = "wallet_not_linked"
    message_id = ("Anggota {number} belum menautkan dompet; perjanjian pinjaman ditandatangani "
                  "dengan dompet anggota.")
    message_en = ("Member {number} has no linked wallet; the loan agreement is signed with the "
                  "member's wallet.")


class AcceptanceSignerMismatch(InvalidInput):
    code = "acceptance_signer_mismatch"
    message_id = ("Tanda tangan tidak cocok: bukan dari dompet anggota {number} atas syarat "
                  "pinjaman {loan_id} yang terdaftar.")
    message_en = ("The signature does not match: it is not the wallet of member {number} over "
                  "the registered terms of loan {loan_id}.")


class AcceptanceDeadlineInvalid(InvalidInput):
    code = "acceptance_deadline_invalid"
    message_id = "Batas waktu tanda tangan harus setelah sekarang dan paling lama {days} hari."
    message_en = "The signature's deadline must be in the future and at most {days} days away."


class LoanNotAcceptedOnChain(Conflict):
    code = "loan_not_accepted_on_chain"
    message_id = ("Persetujuan anggota atas pinjaman {loan_id} belum tercatat di rantai; "
                  "pencairan menunggu.")
    message_en = ("The member's acceptance of loan {loan_id} is not on chain yet; disbursement "
                  "waits.")


class OfferExpired(Conflict):
    code = "offer_expired"
    message_id = ("Angsuran pertama pinjaman {loan_id} jatuh tempo {first_due}; pencairan pada "
                  "{date} tidak lagi sesuai jadwal yang ditandatangani. Batalkan dan ajukan ulang.")
    message_en = ("Loan {loan_id}'s first instalment is due {first_due}; a payout on {date} no "
                  "longer fits the signed schedule. Cancel it and apply again.")


class Overpayment(InvalidInput):
    code = "overpayment"
    message_id = "Pembayaran {amount} melebihi seluruh kewajiban pinjaman {owed}."
    message_en = "The payment {amount} exceeds everything owed on the loan {owed}."


class LoanChainUnavailable(Conflict):
    code = "loan_chain_unavailable"
    status = 503
    message_id = "Rantai tidak dapat dipakai untuk memeriksa tanda tangan: {reason_id}"
    message_en = "The chain cannot be used to check the signature: {reason_en}"


class NotTheBorrower(Forbidden):
    code = "not_the_borrower"
    message_id = "Hanya anggota peminjam yang dapat melakukan ini."
    message_en = "Only the borrowing member may do this."


class UnknownGuarantor(NotFound):
    code = "unknown_guarantor"
    message_id = "Anggota {number} bukan penjamin pinjaman {loan_id}."
    message_en = "Member {number} is not a guarantor of loan {loan_id}."


class NotTheGuarantor(Forbidden):
    code = "not_the_guarantor"
    message_id = "Hanya anggota penjamin itu sendiri yang dapat memberi persetujuannya."
    message_en = "Only the guarantor themself may give their consent."


class GuarantorAlreadyConsented(Conflict):
    code = "guarantor_already_consented"
    message_id = "Penjamin {number} sudah menandatangani persetujuan atas pinjaman {loan_id}."
    message_en = "Guarantor {number} has already signed their consent to loan {loan_id}."


class GuarantorSignerMismatch(InvalidInput):
    code = "guarantor_signer_mismatch"
    message_id = ("Tanda tangan tidak cocok: bukan dari dompet penjamin {number} atas syarat "
                  "pinjaman {loan_id} yang terdaftar.")
    message_en = ("The signature does not match: it is not the wallet of guarantor {number} "
                  "over the registered terms of loan {loan_id}.")


class GuarantorConsentMissing(Conflict):
    code = "guarantor_consent_missing"
    message_id = ("Penjamin {numbers} belum menandatangani persetujuan atas pinjaman {loan_id}; "
                  "anggota menerima pinjaman setelah semua penjamin setuju.")
    message_en = ("Guarantor(s) {numbers} have not signed their consent to loan {loan_id} yet; "
                  "the member accepts once every guarantor has consented.")
