"""Time comes from here so tests can pin it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ksp.core.settings import get_settings

# Western Indonesian Time: the default business time zone.
WIB = ZoneInfo("Asia/Jakarta")

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Aware UTC now (or the frozen instant in tests)."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def as_utc(instant: dt.datetime) -> dt.datetime:
    """An instant read back from the database as aware UTC (SQLite hands back naive UTC)."""
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant.astimezone(dt.UTC)


def zone() -> ZoneInfo:
    """The cooperative's time zone (setting KSP_TIMEZONE, default Asia/Jakarta)."""
    return ZoneInfo(get_settings().timezone)


def today() -> dt.date:
    """The business date in the cooperative's time zone."""
    return now().astimezone(zone()).date()


def freeze(instant: dt.datetime | None) -> None:
    global _frozen
    _frozen = instant
