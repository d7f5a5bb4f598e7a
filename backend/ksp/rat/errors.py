"""Every refusal of the RAT backend: a stable code, Bahasa Indonesia and English. Nothing
is written and nothing is relayed when one of these is raised."""

from __future__ import annotations

from ksp.core.errors import Conflict, Forbidden, InvalidInput, KspError, NotFound


class MeetingNotFound(NotFound):
    code = "rat_not_found"
    message_id = "RAT {meeting} tidak ditemukan."
    message_en = "RAT meeting {meeting} not found."


class ItemNotFound(NotFound):
    code = "rat_item_not_found"
    message_id = "Acara no. {position} tidak ada dalam RAT {meeting}."
    message_en = "Agenda item {position} is not in RAT meeting {meeting}."


class NoticeTooShort(InvalidInput):
    code = "rat_notice_too_short"
    message_id = ("Pemberitahuan RAT terlalu singkat: pemungutan suara mulai {start}, hanya "
                  "{days} hari dari hari ini; AD/ART mewajibkan sekurang-kurangnya {required} "
                  "hari.")
    message_en = ("The RAT notice is too short: voting starts on {start}, only {days} days from "
                  "today; the AD/ART requires at least {required} days.")


class InvalidSchedule(InvalidInput):
    code = "rat_invalid_schedule"
    message_id = "Jadwal RAT tidak valid: {reason_id}"
    message_en = "Invalid RAT schedule: {reason_en}"


class InvalidItem(InvalidInput):
    code = "rat_invalid_item"
    message_id = "Acara RAT tidak valid: {reason_id}"
    message_en = "Invalid RAT agenda item: {reason_en}"


class WrongMeetingState(Conflict):
    code = "rat_wrong_state"
    message_id = "RAT {meeting} berstatus {status}: {reason_id}"
    message_en = "RAT meeting {meeting} is {status}: {reason_en}"


class VotingNotOpen(Conflict):
    code = "rat_voting_not_open"
    message_id = ("Pemungutan suara RAT {meeting} tidak sedang dibuka (dibuka {start} sampai "
                  "{end} UTC).")
    message_en = "Voting in RAT meeting {meeting} is not open (open {start} to {end} UTC)."


class VotingNotClosed(Conflict):
    code = "rat_voting_not_closed"
    message_id = "Pemungutan suara RAT {meeting} belum ditutup (ditutup {end} UTC)."
    message_en = "Voting in RAT meeting {meeting} has not closed yet (closes {end} UTC)."


class ContentHashMismatch(Conflict):
    code = "rat_content_hash_mismatch"
    message_id = ("Teks acara yang Anda tanda tangani (hash {given}) berbeda dari acara no. "
                  "{position} (hash {expected}).")
    message_en = ("The item text you signed (hash {given}) differs from agenda item {position} "
                  "(hash {expected}).")


class InvalidChoice(InvalidInput):
    code = "rat_invalid_choice"
    message_id = "Pilihan {choice} tidak sah untuk acara no. {position}: {reason_id}"
    message_en = "Choice {choice} is not valid for agenda item {position}: {reason_en}"


class InvalidSignature(KspError):
    code = "rat_signature_invalid"
    status = 422
    message_id = "Tanda tangan tidak sah: {reason_id}"
    message_en = "Invalid signature: {reason_en}"


class SignerMismatch(Forbidden):
    code = "rat_signer_mismatch"
    message_id = ("Tanda tangan berasal dari dompet {signer}, bukan dompet anggota {member} "
                  "yang terdaftar.")
    message_en = "The signature is from wallet {signer}, not member {member}'s registered wallet."


class NotEligible(Forbidden):
    code = "rat_not_eligible"
    message_id = ("Anggota {member} tidak berhak memilih di RAT {meeting}: bukan anggota pada "
                  "tanggal pencatatan {record_date}.")
    message_en = ("Member {member} may not vote in RAT meeting {meeting}: not a member on the "
                  "record date {record_date}.")


class AlreadyVoted(Conflict):
    code = "rat_already_voted"
    message_id = ("Suara anggota {member} untuk acara no. {position} sudah diterima; suara "
                  "kedua tidak diterima.")
    message_en = ("Member {member}'s ballot on agenda item {position} was already received; a "
                  "second ballot is refused.")


class ProxiesNotAllowed(Conflict):
    code = "rat_proxy_not_allowed"
    message_id = "AD/ART tidak membolehkan surat kuasa dalam RAT."
    message_en = "The AD/ART does not allow proxies at the RAT."


class ProxyLimitReached(Conflict):
    code = "rat_proxy_limit"
    message_id = ("Anggota {proxy} sudah mewakili {count} anggota; AD/ART membolehkan paling "
                  "banyak {limit}.")
    message_en = ("Member {proxy} already represents {count} members; the AD/ART allows at "
                  "most {limit}.")


class InvalidProxy(InvalidInput):
    code = "rat_proxy_invalid"
    message_id = "Surat kuasa tidak sah: {reason_id}"
    message_en = "Invalid proxy: {reason_en}"


class ProxyNotFound(NotFound):
    code = "rat_proxy_not_found"
    message_id = "Tidak ada surat kuasa aktif dari anggota {principal} di RAT {meeting}."
    message_en = "No active proxy of member {principal} in RAT meeting {meeting}."


class ProxyState(Conflict):
    code = "rat_proxy_state"
    message_id = "Surat kuasa anggota {principal}: {reason_id}"
    message_en = "Proxy of member {principal}: {reason_en}"


class AttendanceRefused(Conflict):
    code = "rat_attendance_refused"
    message_id = "Kehadiran anggota {member} tidak dapat dicatat: {reason_id}"
    message_en = "Attendance of member {member} cannot be recorded: {reason_en}"


class InvalidQrPayload(InvalidInput):
    code = "rat_qr_invalid"
    message_id = "Kode QR anggota tidak dikenali."
    message_en = "The member QR code is not recognised."


class InvalidCounts(InvalidInput):
    code = "rat_counts_invalid"
    message_id = "Hitungan suara langsung acara no. {position} tidak sah: {reason_id}"
    message_en = "In-person counts of agenda item {position} are invalid: {reason_en}"


class CountsExceedAttendance(Conflict):
    code = "rat_counts_exceed_attendance"
    message_id = ("Acara no. {position}: {ballots} suara langsung, padahal hanya {allowed} "
                  "anggota hadir yang belum memilih daring.")
    message_en = ("Agenda item {position}: {ballots} in-person ballots, but only {allowed} "
                  "members present had not voted online.")


class CountsState(Conflict):
    code = "rat_counts_state"
    message_id = "Hitungan suara langsung acara no. {position}: {reason_id}"
    message_en = "In-person counts of agenda item {position}: {reason_en}"


class SameStaff(Forbidden):
    code = "rat_cosign_same_user"
    message_id = "Penanda tangan kedua harus pengawas yang lain dari ketua rapat {chair}."
    message_en = "The co-signer must be a pengawas other than the chair {chair}."


class ResultsNotReady(Conflict):
    code = "rat_results_not_ready"
    message_id = "Hasil RAT {meeting} belum dapat ditetapkan: {reason_id}"
    message_en = "The results of RAT meeting {meeting} cannot be recorded yet: {reason_en}"


class ChainNotReady(Conflict):
    """Voting needs the deployed contract: its address is part of every signature."""

    code = "rat_chain_not_ready"
    message_id = "Kontrak RatVoting belum tersedia: {reason_id}"
    message_en = "The RatVoting contract is not available: {reason_en}"


class ChainUnavailable(KspError):
    code = "rat_chain_unavailable"
    status = 503
    message_id = "Rantai tidak dapat dibaca: {reason_id}. Coba lagi nanti."
    message_en = "The chain cannot be read: {reason_en}. Try again later."
