"""A truthful OpenAPI document: every 4xx a route can return, with its error codes, in
our error shape; Idempotency-Key required on writes; a bearer scheme for Authorize.

Routes declare the errors of their services with `responses=error_responses(...)`; the
errors that come from the shared machinery (the body guard, validation, the token, the
role check, the Writer) are added here from each route's dependencies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

from ksp.api.errors import BodyTooDeep, BodyTooLarge, DuplicateKey, InvalidJson, InvalidUtf8
from ksp.auth.errors import SessionEnded, WalletReplaced
from ksp.core.errors import (
    CommitFailed,
    Forbidden,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidInput,
    KspError,
    RequestInProgress,
    Unauthenticated,
)

ERROR_SCHEMA = "ErrorBody"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
BEARER = "bearer"
# Fixed strings of the shared dependencies (ksp.api.deps), matched by qualified name.
_PRINCIPAL = "current_principal"
_ROLE_CHECK = "require_roles.<locals>.check"
_WRITER = "writer_for.<locals>.make"
BODY_ERRORS = (BodyTooLarge, BodyTooDeep, InvalidUtf8, DuplicateKey, InvalidJson)
WRITER_ERRORS = (IdempotencyKeyRequired, InvalidInput, IdempotencyKeyReused, RequestInProgress,
                 CommitFailed)


class ErrorBody(BaseModel):
    """Every 4xx: a stable code and the message in Bahasa Indonesia and English."""

    code: str = Field(description="Kode stabil / stable code, e.g. not_found")
    message: str = Field(description="Pesan dalam Bahasa Indonesia")
    message_en: str = Field(description="The message in English")
    details: dict[str, Any] = Field(description="Data tambahan / extra data")


ResponsesDict = dict[int | str, dict[str, Any]]
RETRY_AFTER = {"Retry-After": {"description": "Detik sampai boleh mencoba lagi / seconds "
                                              "until a retry is allowed",
                               "schema": {"type": "integer"}}}


def error_responses(*errors: type[KspError]) -> ResponsesDict:
    """The `responses=` of a route: one entry per HTTP status, naming every code."""
    responses: ResponsesDict = {}
    for error in errors:
        entry = responses.setdefault(error.status, {
            "description": "", "content": {"application/json": {"schema": _ERROR_REF}},
            "x-codes": []})
        if error.code not in entry["x-codes"]:
            entry["x-codes"].append(error.code)
        if error.status == 429:
            entry["headers"] = RETRY_AFTER
        entry["description"] = "Kode / codes: " + ", ".join(f"`{c}`" for c in entry["x-codes"])
    return responses


def _merge(mine: dict[str, Any], more: dict[str, Any]) -> None:
    """Adds the codes of `more` to the documented response `mine` (same status)."""
    for code in more["x-codes"]:
        if code not in mine["x-codes"]:
            mine["x-codes"].append(code)
    mine["description"] = "Kode / codes: " + ", ".join(f"`{c}`" for c in mine["x-codes"])


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _uses(route: APIRoute, qualname: str) -> bool:
    return any(getattr(call, "__qualname__", "") == qualname for call in _calls(route.dependant))


def _has_parameters(route: APIRoute) -> bool:
    d = route.dependant
    return bool(route.body_field or d.path_params or d.query_params or d.header_params
                or any(_has_params_deep(sub) for sub in d.dependencies))


def _has_params_deep(dependant: Dependant) -> bool:
    return bool(dependant.query_params or dependant.header_params or dependant.path_params
                or any(_has_params_deep(sub) for sub in dependant.dependencies))


def _shared_errors(route: APIRoute) -> list[type[KspError]]:
    """The errors the shared machinery adds to this route, from its dependencies."""
    errors: list[type[KspError]] = []
    if _has_parameters(route):
        errors.append(InvalidInput)
    if route.body_field is not None:
        errors.extend(BODY_ERRORS)
    if _uses(route, _PRINCIPAL):
        errors.extend((Unauthenticated, SessionEnded, WalletReplaced))
    if _uses(route, _ROLE_CHECK):
        errors.append(Forbidden)
    if _uses(route, _WRITER):
        errors.extend(WRITER_ERRORS)
    return errors


def document_routes(app: FastAPI, extra: dict[str, tuple[type[KspError], ...]] | None = None
                    ) -> None:
    """Makes `app.openapi()` document the shared errors of every route and the bearer
    scheme. `extra` names the errors of routes defined elsewhere that cannot say so
    themselves, keyed by path."""
    added: dict[tuple[str, str], ResponsesDict] = {}
    secured: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        path = str(context.path_format)
        errors = [*(extra or {}).get(path, ()), *_shared_errors(route)]
        for method in route.methods or ():
            added[(path, method.lower())] = error_responses(*errors)
            if _uses(route, _PRINCIPAL):
                secured.add((path, method.lower()))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes,
                                 tags=app.openapi_tags)
            _finish(schema, added, secured)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _finish(schema: dict[str, Any], added: dict[tuple[str, str], ResponsesDict],
            secured: set[tuple[str, str]]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas[ERROR_SCHEMA] = ErrorBody.model_json_schema()
    # FastAPI's own 422 shape is never sent: our handler answers in ErrorBody.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = {BEARER: {
        "type": "http", "scheme": "bearer",
        "description": "Token dari / from POST /api/v1/auth/login atau /api/v1/auth/wallet"}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, entry in added.get((path, method), {}).items():
                mine = responses.get(str(status))
                if mine is None or "x-codes" not in mine:  # also FastAPI's own 422
                    responses[str(status)] = entry
                else:
                    _merge(mine, entry)
            parameters = []
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"].lower() == "authorization":
                    continue  # carried by the bearer security scheme instead
                if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
                    # Writes refuse without it (idempotency_key_required): it is required.
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 200,
                                           "title": "Idempotency-Key"}
                    parameter["description"] = ("Kunci unik per penulisan; diulang = hasil "
                                                "yang sama / unique per write; a retry with "
                                                "the same key gets the same result")
                parameters.append(parameter)
            if "parameters" in operation:
                operation["parameters"] = parameters
            if (path, method) in secured:
                operation["security"] = [{BEARER: []}]
