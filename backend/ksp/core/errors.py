"""One exception root. Every error a user can cause has a stable code, an HTTP status
and a message in Bahasa Indonesia and English; the API maps them in one handler."""

from __future__ import annotations

from typing import Any, ClassVar


class KspError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    message_id: ClassVar[str] = "Permintaan tidak dapat diproses."
    message_en: ClassVar[str] = "The request cannot be processed."

    def __init__(self, **details: Any) -> None:
        self.details = details
        super().__init__(self.render_en())

    def render_id(self) -> str:
        return self.message_id.format(**self.details)

    def render_en(self) -> str:
        return self.message_en.format(**self.details)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.render_id(),
            "message_en": self.render_en(),
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | bool | type(None)):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


class InvalidInput(KspError):
    code = "invalid_input"
    status = 422
    message_id = "Data tidak valid: {field}: {reason_id}"
    message_en = "Invalid input: {field}: {reason_en}"


class NotFound(KspError):
    code = "not_found"
    status = 404
    message_id = "{what_id} tidak ditemukan: {key}"
    message_en = "{what_en} not found: {key}"


class Conflict(KspError):
    code = "conflict"
    status = 409


class Unauthenticated(KspError):
    code = "unauthenticated"
    status = 401
    message_id = "Silakan masuk terlebih dahulu."
    message_en = "Please sign in first."


class Forbidden(KspError):
    code = "forbidden"
    status = 403
    message_id = "Anda tidak berwenang melakukan ini."
    message_en = "You are not allowed to do this."


class IdempotencyKeyReused(KspError):
    code = "idempotency_key_reused"
    status = 422
    message_id = "Idempotency-Key sudah dipakai untuk permintaan yang berbeda."
    message_en = "This Idempotency-Key was already used for a different request."


class IdempotencyKeyRequired(KspError):
    code = "idempotency_key_required"
    status = 400
    message_id = "Header Idempotency-Key wajib untuk permintaan ini."
    message_en = "This request needs an Idempotency-Key header."


class RequestInProgress(KspError):
    code = "request_in_progress"
    status = 409
    message_id = "Permintaan yang sama sedang diproses; coba lagi sebentar."
    message_en = "The same request is still being processed; retry shortly."


class CommitFailed(KspError):
    """The database refused the commit of a batch of writes (e.g. it went away): nothing of
    the request was written, and retrying with the same Idempotency-Key is safe."""

    code = "commit_failed"
    status = 503
    message_id = ("Basis data tidak dapat menyimpan permintaan ini ({reason}); tidak ada yang "
                  "tersimpan. Coba lagi dengan Idempotency-Key yang sama.")
    message_en = ("The database could not store this request ({reason}); nothing was saved. "
                  "Retry with the same Idempotency-Key.")
