"""Errors of signing in, sessions and staff accounts."""

from __future__ import annotations

from typing import Any

from ksp.core.errors import Conflict, Forbidden, InvalidInput, KspError, NotFound, Unauthenticated


class BadCredentials(KspError):
    code = "bad_credentials"
    status = 401
    message_id = "Nama pengguna atau kata sandi salah."
    message_en = "Wrong username or password."


class SessionEnded(Unauthenticated):
    """A well-signed token whose account is gone, disabled, exited or re-keyed."""

    code = "session_ended"
    message_id = "Sesi Anda sudah berakhir; silakan masuk lagi."
    message_en = "Your session has ended; please sign in again."


class TooManyAttempts(KspError):
    """429; the API adds `Retry-After` from `headers`."""

    code = "too_many_attempts"
    status = 429
    message_id = "Terlalu banyak percobaan masuk; coba lagi dalam {retry_after} detik."
    message_en = "Too many sign-in attempts; try again in {retry_after} seconds."

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.details["retry_after"])}


class TooManyChallenges(TooManyAttempts):
    code = "too_many_challenges"
    message_id = "Terlalu banyak tantangan dompet; coba lagi dalam {retry_after} detik."
    message_en = "Too many wallet challenges; try again in {retry_after} seconds."


class WeakPassword(InvalidInput):
    code = "weak_password"
    message_id = "Kata sandi ditolak: {reason_id}"
    message_en = "Password refused: {reason_en}"

    def __init__(self, reason_id: str, reason_en: str, **more: Any) -> None:
        super().__init__(field="password", reason_id=reason_id, reason_en=reason_en, **more)


class CurrentPasswordWrong(Forbidden):
    code = "current_password_wrong"
    message_id = "Kata sandi saat ini salah."
    message_en = "The current password is wrong."


class StaffOnly(Forbidden):
    code = "staff_only"
    message_id = "Hanya pengguna staf yang memiliki kata sandi."
    message_en = "Only staff users have a password."


class UsernameTaken(Conflict):
    code = "username_taken"
    message_id = "Nama pengguna {username} sudah dipakai."
    message_en = "Username {username} is taken."


class UnknownStaff(NotFound):
    code = "unknown_staff"
    message_id = "Pengguna staf {username} tidak ditemukan."
    message_en = "Staff user {username} not found."


class CannotDisableSelf(Conflict):
    code = "cannot_disable_self"
    message_id = "Anda tidak dapat menonaktifkan akun Anda sendiri."
    message_en = "You cannot disable your own account."


class CannotChangeOwnRole(Conflict):
    code = "cannot_change_own_role"
    message_id = "Anda tidak dapat mengubah peran akun Anda sendiri."
    message_en = "You cannot change your own account's role."


class WalletReplaced(KspError):
    """Sign-in with an address the board replaced (lost phone): the page says to use the
    wallet on the new phone instead of a generic refusal."""

    code = "wallet_replaced"
    status = 401
    message_id = ("Kunci dompet ini sudah diganti oleh pengurus karena HP hilang. Gunakan "
                  "dompet di HP baru Anda.")
    message_en = ("This wallet's key was replaced by the board because a phone was lost. "
                  "Use the wallet on your new phone.")
