from __future__ import annotations

from ksp.core.errors import Conflict, InvalidInput, KspError, NotFound


class InvalidNik(InvalidInput):
    code = "invalid_nik"
    message_id = "NIK tidak valid: {reason_id}"
    message_en = "Invalid NIK: {reason_en}"


class DuplicateNik(Conflict):
    code = "duplicate_nik"
    message_id = "NIK ini sudah terdaftar sebagai anggota {number}."
    message_en = "This NIK is already registered as member {number}."


class UnknownMember(NotFound):
    code = "unknown_member"
    message_id = "Anggota {number} tidak ditemukan."
    message_en = "Member {number} not found."


class WalletProofInvalid(KspError):
    code = "wallet_proof_invalid"
    status = 401
    message_id = "Bukti dompet tidak sah: {reason_id}"
    message_en = "Wallet proof rejected: {reason_en}"


class WalletProofOtherMember(Conflict):
    code = "wallet_proof_other_member"
    message_id = "Bukti dompet ini dibuat untuk anggota {named}, bukan untuk {target_id}."
    message_en = "This wallet proof was made for member {named}, not for {target_en}."


class LinkCodeUnknown(NotFound):
    code = "link_code_unknown"
    message_id = ("Kode {code} tidak dikenal, sudah dipakai, atau kedaluwarsa; minta anggota "
                  "membuat kode baru di dompetnya.")
    message_en = ("Code {code} is unknown, already used or expired; ask the member to make "
                  "a new code in their wallet.")


class WalletTaken(Conflict):
    code = "wallet_taken"
    message_id = "Alamat dompet ini sudah dipakai anggota lain."
    message_en = "This wallet address already belongs to another member."


class MemberNotActive(Conflict):
    code = "member_not_active"
    message_id = "Anggota {number} berstatus {status}; tindakan ini perlu status anggota aktif."
    message_en = "Member {number} is {status}; this needs an active member."


class WalletAlreadyLinked(Conflict):
    code = "wallet_already_linked"
    message_id = "Anggota {number} sudah memiliki dompet; penggantian kunci hilang lewat pengurus."
    message_en = "Member {number} already has a wallet; a lost key is replaced by the board."


class MemberHasNoWallet(Conflict):
    code = "member_has_no_wallet"
    message_id = "Anggota {number} belum memiliki dompet; hubungkan dompet, bukan ganti kunci."
    message_en = "Member {number} has no wallet yet; link one instead of replacing a key."


class KeyReplacementNotFound(NotFound):
    code = "key_replacement_not_found"
    message_id = "Usulan ganti kunci {proposal} tidak ditemukan."
    message_en = "Key replacement proposal {proposal} not found."


class KeyReplacementDecided(Conflict):
    code = "key_replacement_decided"
    message_id = "Usulan ganti kunci {proposal} sudah disetujui."
    message_en = "Key replacement proposal {proposal} was already approved."


class KeyReplacementNeedsSecondPengurus(KspError):
    code = "key_replacement_needs_second_pengurus"
    status = 403
    message_id = "Usulan ganti kunci harus disetujui pengurus lain, bukan pengusulnya."
    message_en = "A key replacement must be approved by another pengurus, not its proposer."


class KeyReplacementStale(Conflict):
    code = "key_replacement_stale"
    message_id = ("Usulan ganti kunci {proposal} sudah usang: dompet atau status anggota "
                  "berubah sejak diusulkan.")
    message_en = ("Key replacement proposal {proposal} is stale: the member's wallet or "
                  "status changed since it was proposed.")


class ContactUnchanged(InvalidInput):
    code = "contact_unchanged"
    message_id = "Telepon, alamat dan pekerjaan anggota {number} sama dengan yang tersimpan."
    message_en = "Member {number}'s phone, address and occupation equal the stored ones."


class RelatedPartyUnchanged(Conflict):
    code = "related_party_unchanged"
    message_id = "Status pihak terkait anggota {number} sudah {value}."
    message_en = "Member {number}'s related-party flag is already {value}."
