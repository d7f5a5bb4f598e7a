"""The console's session: the staff token in an HttpOnly, SameSite=Strict cookie, and a
CSRF token that is an HMAC of that session (checked on every form POST)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from ksp.auth.service import STAFF_ROLES, WRITE, Principal, session_principal
from ksp.core.errors import KspError
from ksp.core.settings import Settings

SESSION_COOKIE = "ksp_staff"
# Before sign-in there is no session to bind to: the sign-in form uses a double-submit
# nonce in its own cookie instead.
LOGIN_COOKIE = "ksp_staff_login"
COOKIE_PATH = "/staff"
SESSION_MAX_AGE = 8 * 3600  # the staff token's own lifetime


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def principal(request: Request) -> Principal | None:
    """The signed-in staff member, or None. The same check as the API: a disabled account,
    a changed password or a changed role ends the session at once."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 2000:
        return None
    try:
        found = session_principal(_factory(request), token, _settings(request).secret_key_bytes())
    except KspError:
        return None
    return found if found.role in STAFF_ROLES else None


def csrf_token(request: Request) -> str:
    """HMAC of the session token under the server key: an attacker's page can neither read
    the cookie nor compute this."""
    token = request.cookies.get(SESSION_COOKIE, "")
    key = _settings(request).secret_key_bytes()
    return hmac.new(key, b"console-csrf|" + token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, sent: str | None) -> bool:
    if not sent or not request.cookies.get(SESSION_COOKIE):
        return False
    return hmac.compare_digest(csrf_token(request), sent)


def login_nonce(request: Request) -> str:
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def login_nonce_ok(request: Request, sent: str | None) -> bool:
    cookie = request.cookies.get(LOGIN_COOKIE)
    return bool(cookie and sent) and hmac.compare_digest(cookie or "", sent or "")


def set_login_nonce(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request))


def start(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, path=COOKIE_PATH,
                        httponly=True, samesite="strict", secure=_secure(request))
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)


def end(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def can_write(who: Principal) -> bool:
    return who.role in WRITE
