"""Sign-in throttling: a lockout per username after repeated failures, and a cap on
attempts per client IP. Counters live in the database (`login_throttle`), so the limits
hold across any number of API worker processes; each update runs under a row lock
(PostgreSQL) or SQLite's single writer."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from ksp.auth.errors import TooManyAttempts
from ksp.auth.models import LoginThrottle
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import Settings


def aware(instant: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def seconds_until(instant: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((aware(instant) - now).total_seconds()))


def _user_key(username: str) -> str:
    return f"user:{username}"


def _row(session: Session, key: str, now: dt.datetime) -> LoginThrottle:
    """The counter row for `key`, created if missing, locked for this transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle)
                    .values(key=key, attempts=0, window_started_at=now)
                    .on_conflict_do_nothing(index_elements=["key"]))
    row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)
                          .with_for_update().execution_options(populate_existing=True)).one()
    return row


def take(session: Session, key: str, *, limit: int, window_seconds: int,
         error: type[TooManyAttempts] = TooManyAttempts) -> None:
    """Counts one attempt for `key` in a fixed window, in the caller's transaction;
    `error` (429, Retry-After until the window ends) once `limit` are used."""
    now = clock.now()
    row = _row(session, key, now)
    window = dt.timedelta(seconds=window_seconds)
    if now - aware(row.window_started_at) >= window:
        row.attempts, row.window_started_at = 0, now
    if row.attempts >= limit:
        raise error(retry_after=seconds_until(aware(row.window_started_at) + window, now))
    row.attempts += 1


def admit(factory: sessionmaker[Session], settings: Settings, *, username: str,
          client_ip: str | None) -> None:
    """Counts one attempt for the client IP; 429 when the IP is over its limit or the
    username is locked (even the right password is refused until the lock ends)."""
    now = clock.now()
    with transaction(factory) as session:
        locked = session.scalar(select(LoginThrottle.locked_until)
                                .where(LoginThrottle.key == _user_key(username)))
        if locked is not None and aware(locked) > now:
            raise TooManyAttempts(retry_after=seconds_until(locked, now))
        if client_ip is not None:
            take(session, f"ip:{client_ip}", limit=settings.login_ip_max_attempts,
                 window_seconds=settings.login_ip_window_seconds)


def record_failure(factory: sessionmaker[Session], settings: Settings, *, username: str) -> None:
    """One more failure for `username`; the Nth within the lockout period locks it."""
    now = clock.now()
    period = dt.timedelta(seconds=settings.login_lockout_seconds)
    with transaction(factory) as session:
        sweep(session, settings, now)
        row = _row(session, _user_key(username), now)
        if now - aware(row.window_started_at) >= period:
            row.attempts, row.window_started_at, row.locked_until = 0, now, None
        row.attempts += 1
        if row.attempts >= settings.login_max_failures:
            row.attempts, row.window_started_at, row.locked_until = 0, now, now + period


def record_success(factory: sessionmaker[Session], *, username: str) -> None:
    with transaction(factory) as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.key == _user_key(username)))


def sweep(session: Session, settings: Settings, now: dt.datetime) -> None:
    """Deletes counters that no longer count, so guessed usernames do not pile up."""
    longest = max(settings.login_lockout_seconds, settings.login_ip_window_seconds,
                  settings.wallet_challenge_ip_window_seconds)
    stale = now - dt.timedelta(seconds=longest)
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.window_started_at < stale,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))
