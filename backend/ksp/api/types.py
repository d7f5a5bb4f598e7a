"""The validated types of request schemas and parameters: every integer bounded, every
date within 1900..2100, every human text clean. Used by all routes so that no input can
reach a service in a shape that makes it crash."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from ksp.ledger.dates import KspDate

# Signed 64-bit: the widest integer column of both databases.
INT64_MAX = 2**63 - 1
# Unicode categories refused in human text: control, format (bidi overrides, zero-width
# characters), surrogates, private use, unassigned, and line/paragraph separators.
_REFUSED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_text(value: str) -> str:
    """NFC-normalized and trimmed; refuses invisible or direction-changing characters,
    which let two different names look the same."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("must not be empty")
    for char in value:
        if unicodedata.category(char) in _REFUSED:
            raise ValueError(f"contains a forbidden character U+{ord(char):04X}")
    return value


# Every human text field of a request: `name: HumanText = Field(max_length=120)`.
HumanText = Annotated[str, AfterValidator(clean_text)]


def _blank_is_none(value: str | None) -> str | None:
    if value is None or not unicodedata.normalize("NFC", value).strip():
        return None
    return clean_text(value)


# An optional text where blank means "not given" (a reason the service may require).
OptionalText = Annotated[str | None, AfterValidator(_blank_is_none)]

# A date in a body: 1900..2100 (the rule lives in ksp.ledger.dates).
Tanggal = KspDate
# A date in a query string: 1900..2100, optional (today when absent).
QueryDate = Annotated[KspDate | None, Query(description="YYYY-MM-DD, 1900-01-01..2100-12-31")]

Seq = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor urut entri log")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
