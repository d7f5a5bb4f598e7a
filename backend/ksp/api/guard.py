"""Pure ASGI middleware that stands in front of every route.

`BodyGuard` reads the request body before FastAPI sees it and refuses what a parser could
choke on: too many bytes, JSON nested too deep (found by a byte scan that does not recurse),
bytes that are not UTF-8, and objects with the same key twice. `SecurityHeaders` adds the
browser-hardening headers to every response."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.responses import JSONResponse

from ksp.api.errors import BodyTooDeep, BodyTooLarge, DuplicateKey, InvalidJson, InvalidUtf8
from ksp.core.errors import KspError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# CPython's own default. py_ecc (imported through eth_account/web3) raises the limit to
# 100,000, which disables the C JSON parser's guard against deep nesting.
PYTHON_RECURSION_LIMIT = 1000

_OPEN, _CLOSE, _QUOTE, _BACKSLASH = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def restore_recursion_limit() -> None:
    """Imports py_ecc now (so its import-time raise happens once, here) and puts the
    process's recursion limit back. eth_account signing and recovery do not need more."""
    try:
        import py_ecc  # noqa: F401
    except ImportError:  # not installed: nothing raised the limit
        pass
    if sys.getrecursionlimit() > PYTHON_RECURSION_LIMIT:
        sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether [ and { nest more than `limit` levels outside strings, counted by a byte
    scan that cannot recurse however deep the body is."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # too few brackets to nest that deep: skip the slow scan
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key=key[:64])
        seen[key] = value
    return seen


def check_json_body(body: bytes, max_depth: int) -> None:
    """Raises the KspError for a body that must not reach the JSON parser of the app."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidUtf8(position=exc.start) from exc
    if nested_deeper_than(body, max_depth):
        raise BodyTooDeep(limit=max_depth)
    try:
        json.loads(text, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError:
        return  # malformed JSON: FastAPI answers it with our invalid_input shape
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise InvalidJson() from exc


def _is_json(scope: Scope) -> bool:
    """FastAPI parses a body as JSON when the content type says so or is missing."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyGuard:
    """`uploads`: POST paths that take a file (the payroll import), with their own larger
    limit `max_upload_bytes`; every other body keeps `max_body_bytes`."""

    def __init__(self, app: App, *, max_body_bytes: int, max_json_depth: int,
                 uploads: frozenset[str] = frozenset(), max_upload_bytes: int = 0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.uploads = uploads
        self.max_upload_bytes = max(max_upload_bytes, max_body_bytes)

    def limit_for(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path") in self.uploads:
            return self.max_upload_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _reply(BodyTooLarge(limit=limit), scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reply(BodyTooLarge(limit=limit), scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and _is_json(scope):
            try:
                check_json_body(body, self.max_json_depth)
            except KspError as exc:
                await _reply(exc, scope, receive, send)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reply(error: KspError, scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse(error.to_json(), status_code=error.status)(scope, receive, send)


class SecurityHeaders:
    """nosniff, no framing, no referrer to other sites, and scripts/styles only from us."""

    def __init__(self, app: App, *, connect_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        connect = " ".join(("'self'", *connect_sources))
        policy = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                  "img-src 'self' data:; font-src 'self'; "
                  f"connect-src {connect}; frame-ancestors 'none'; base-uri 'self'; "
                  "form-action 'self'; object-src 'none'")
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", policy.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in self.headers if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
