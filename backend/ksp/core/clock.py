"""Time comes from here so tests can pin it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# The cooperative's business day is in Western Indonesian Time.
WIB = ZoneInfo("Asia/Jakarta")

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Aware UTC now (or the frozen instant in tests)."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The business date in WIB."""
    return now().astimezone(WIB).date()


def freeze(instant: dt.datetime | None) -> None:
    global _frozen
    _frozen = instant
