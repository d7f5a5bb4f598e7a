"""The one place where errors become HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ksp.core.errors import KspError

log = logging.getLogger("ksp.api")


# Refused by the body guard (ksp.api.guard) before any route or parser sees the body.
class BodyTooLarge(KspError):
    code = "body_too_large"
    status = 413
    message_id = "Isi permintaan terlalu besar (maksimal {limit} byte)."
    message_en = "The request body is too large (at most {limit} bytes)."


class BodyTooDeep(KspError):
    code = "body_too_deep"
    status = 400
    message_id = "JSON bersarang terlalu dalam (maksimal {limit} tingkat)."
    message_en = "The JSON is nested too deeply (at most {limit} levels)."


class InvalidUtf8(KspError):
    code = "invalid_utf8"
    status = 400
    message_id = "Isi permintaan bukan teks UTF-8 yang valid (byte ke-{position})."
    message_en = "The request body is not valid UTF-8 text (byte {position})."


class DuplicateKey(KspError):
    code = "duplicate_key"
    status = 400
    message_id = "Kunci JSON muncul lebih dari sekali: {key}"
    message_en = "A JSON key appears more than once: {key}"


class InvalidJson(KspError):
    code = "invalid_json"
    status = 400
    message_id = "Format JSON tidak valid."
    message_en = "The body is not valid JSON."


def _reason(error: dict[str, object]) -> tuple[str, str]:
    kind = str(error.get("type", ""))
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return "harus bilangan bulat rupiah", "must be a whole number of rupiah"
    if kind == "missing":
        return "wajib diisi", "is required"
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return "di luar batas yang diizinkan", "is out of the allowed range"
    if kind in {"json_invalid", "model_attributes_type", "dict_type"}:
        return "format JSON tidak valid", "is not valid JSON"
    return "tidak valid", str(error.get("msg", "is invalid"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KspError)
    async def _ksp_error(_request: Request, exc: KspError) -> JSONResponse:
        # Some errors carry headers (429: Retry-After).
        return JSONResponse(exc.to_json(), status_code=exc.status,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, KspError):  # a domain rule checked in a schema, e.g. a date
            if "field" in cause.details:
                where = [str(p) for p in first.get("loc", ()) if p not in ("body", "query")]
                cause = type(cause)(**{**cause.details, "field": ".".join(where) or field})
            return JSONResponse(cause.to_json(), status_code=cause.status)
        reason_id, reason_en = _reason(first)
        body = {
            "code": "invalid_input",
            "message": f"Data tidak valid: {field}: {reason_id}",
            "message_en": f"Invalid input: {field}: {reason_en}",
            "details": {"field": field, "errors": len(errors)},
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            body = {
                "code": "not_found",
                "message": "Alamat tidak ditemukan.",
                "message_en": "Not found.",
                "details": {},
            }
        elif exc.status_code == 405:
            body = {
                "code": "method_not_allowed",
                "message": "Metode tidak diizinkan.",
                "message_en": "Method not allowed.",
                "details": {},
            }
        else:
            body = {
                "code": "http_error",
                "message": str(exc.detail),
                "message_en": str(exc.detail),
                "details": {},
            }
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        body = {
            "code": "internal_error",
            "message": "Terjadi kesalahan pada server.",
            "message_en": "Internal server error.",
            "details": {},
        }
        return JSONResponse(body, status_code=500)
