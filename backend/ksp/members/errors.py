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
