"""Request dependencies: the session factory, who is asking, and the one role check.

No `from __future__ import annotations` here: FastAPI must see the closures' real
annotations (they name local variables)."""


from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session, sessionmaker

from ksp.audit import service as audit
from ksp.auth.models import Role
from ksp.auth.service import Principal, session_principal
from ksp.core.crypto import PiiCipher
from ksp.core.errors import Forbidden, IdempotencyKeyRequired, InvalidInput, Unauthenticated
from ksp.core.idempotency import fingerprint, run_idempotent
from ksp.core.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


def get_session(factory: Annotated[sessionmaker[Session], Depends(get_factory)]) -> Any:
    with factory() as session:
        yield session


def get_cipher(request: Request) -> PiiCipher:
    cipher: PiiCipher = request.app.state.cipher
    return cipher


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
FactoryDep = Annotated[sessionmaker[Session], Depends(get_factory)]
SessionDep = Annotated[Session, Depends(get_session)]
CipherDep = Annotated[PiiCipher, Depends(get_cipher)]


def current_principal(
    settings: SettingsDep, factory: FactoryDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The token's holder, if the token is genuine and its account still stands (one
    indexed lookup per request: exited members and disabled staff are out at once)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():  # the scheme is case-insensitive
        raise Unauthenticated()
    return session_principal(factory, token.strip(), settings.secret_key_bytes())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden()
        return principal

    return check


def require_member_access(principal: Principal, member_number: int) -> None:
    """Staff read every member; a member reads only their own data."""
    if principal.role is Role.ANGGOTA and principal.member_number != member_number:
        raise Forbidden()


class Writer:
    """Runs one state-changing request: idempotency key, the service call and the audit
    row all in one transaction."""

    def __init__(self, request: Request, principal: Principal, factory: sessionmaker[Session],
                 key: str) -> None:
        self.request = request
        self.principal = principal
        self.factory = factory
        self.key = key

    def run(self, body: Any, action: Callable[[Session], tuple[int, Any, int | None]]) -> Any:
        request = self.request
        what = f"{request.method} {request.url.path}"

        def audited(session: Session) -> tuple[int, Any]:
            status, result, seq = action(session)
            audit.record(session, actor=self.principal.actor, role=self.principal.role.value,
                         action=what, status_code=status, client_ip=_client_ip(request),
                         log_seq=seq)
            return status, result

        _status, result = run_idempotent(
            self.factory,
            scope=f"{self.principal.role.value}:{self.principal.subject}",
            key=self.key,
            request_fingerprint=fingerprint(what, body),
            action=audited,
        )
        return result


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def writer_for(*roles: Role) -> Callable[..., Writer]:
    def make(
        request: Request,
        factory: FactoryDep,
        principal: Annotated[Principal, Depends(require_roles(*roles))],
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> Writer:
        if not idempotency_key:
            raise IdempotencyKeyRequired()
        if len(idempotency_key) > 200:
            raise InvalidInput(field="Idempotency-Key", reason_id="terlalu panjang",
                               reason_en="too long")
        return Writer(request, principal, factory, idempotency_key)

    return make


# Member numbers in URLs: positive and within a signed 64-bit column.
MemberNumber = Annotated[int, Path(ge=1, le=2**63 - 1, description="Nomor anggota")]
