"""The date rules, in one place. Pure functions of the dates involved (today comes from
`ksp.core.clock`, in the cooperative's time zone), each refusal a typed error with a
bilingual message. docs/LEDGER.md "Date rules" lists them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

from ksp.core.errors import Conflict, InvalidInput
from ksp.ledger.errors import PeriodClosed

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)
OLDEST_AGE_YEARS = 120
REASON_MAX_LENGTH = 200


# ValueError too, so a pydantic validator can raise it and the API's one validation
# handler still answers with this code and message.
class DateOutOfRange(InvalidInput, ValueError):
    code = "date_out_of_range"
    message_id = "{field}: {date} di luar rentang tanggal 1900-01-01 s.d. 2100-12-31."
    message_en = "{field}: {date} is outside the date range 1900-01-01 to 2100-12-31."


class DateInFuture(InvalidInput):
    code = "date_in_future"
    message_id = "{field}: {date} setelah hari ini ({today})."
    message_en = "{field}: {date} is after today ({today})."


class DateBeforeJoining(InvalidInput):
    code = "date_before_joining"
    message_id = "Anggota {member} masuk pada {joined_on}; tidak bisa mencatat pada {date}."
    message_en = "Member {member} joined on {joined_on}; cannot post on {date}."


class BackdateReasonRequired(InvalidInput):
    code = "backdate_reason_required"
    message_id = ("Tanggal {date} sebelum hari ini ({today}): alasan pencatatan mundur wajib "
                  "diisi (paling banyak 200 karakter).")
    message_en = ("Date {date} is before today ({today}): a reason for backdating is required "
                  "(at most 200 characters).")


class CloseNotPast(InvalidInput):
    code = "close_date_not_past"
    message_id = ("Tutup buku hanya sampai tanggal yang sudah lewat (sebelum {today}); "
                  "diminta {date}.")
    message_en = ("The books can only be closed through a past date (before {today}); "
                  "got {date}.")


class InvalidBirthDate(InvalidInput, ValueError):
    code = "invalid_birth_date"
    message_id = "Tanggal lahir {date} tidak valid: {reason_id}"
    message_en = "Birth date {date} is invalid: {reason_en}"


class DateInClosedPeriod(Conflict):
    code = "date_in_closed_period"
    message_id = "Periode sampai {closed_through} sudah ditutup; {what_id} {date} tidak bisa."
    message_en = "The books are closed through {closed_through}; {what_en} {date} is not possible."


# What a posting date can be refused for (documented on every route that posts).
POSTING_DATE_ERRORS = (DateOutOfRange, DateInFuture, DateBeforeJoining, BackdateReasonRequired,
                       DateInClosedPeriod)


def check_range(value: dt.date, field: str = "tanggal") -> dt.date:
    """Any date entering the system: 1900-01-01 .. 2100-12-31."""
    if not EARLIEST <= value <= LATEST:
        raise DateOutOfRange(field=field, date=value.isoformat())
    return value


def _in_range(value: dt.date) -> dt.date:
    return check_range(value)


# The date type of every request field and query parameter.
KspDate = Annotated[dt.date, AfterValidator(_in_range)]


def check_not_future(date: dt.date, *, today: dt.date, field: str = "tanggal") -> dt.date:
    """In range and not after today."""
    check_range(date, field)
    if date > today:
        raise DateInFuture(field=field, date=date.isoformat(), today=today.isoformat())
    return date


def check_posting_date(
    date: dt.date,
    *,
    today: dt.date,
    closed_through: dt.date | None,
    joined_on: dict[int, dt.date] | None = None,
    reason: str | None = None,
) -> str | None:
    """A journal entry's book date: in range, not after today, not in a closed period, not
    before any of its members joined; before today only with a reason (returned trimmed)."""
    check_not_future(date, today=today)
    if closed_through is not None and date <= closed_through:
        raise PeriodClosed(closed_through=closed_through.isoformat(), date=date.isoformat())
    for member, joined in sorted((joined_on or {}).items()):
        if date < joined:
            raise DateBeforeJoining(member=member, joined_on=joined.isoformat(),
                                    date=date.isoformat())
    cleaned = reason.strip() if reason is not None else ""
    if len(cleaned) > REASON_MAX_LENGTH or (date < today and not cleaned):
        raise BackdateReasonRequired(date=date.isoformat(), today=today.isoformat())
    return cleaned or None


def check_close_through(
    through: dt.date, *, today: dt.date, closed_through: dt.date | None
) -> dt.date:
    """Closing the books: only through a day already past, and later than the last close."""
    check_range(through, "through")
    if through >= today:
        raise CloseNotPast(date=through.isoformat(), today=today.isoformat())
    if closed_through is not None and through <= closed_through:
        raise PeriodClosed(closed_through=closed_through.isoformat(), date=through.isoformat())
    return through


def check_effective_date(date: dt.date, *, closed_through: dt.date | None) -> dt.date:
    """An AD/ART version may not take effect inside a closed period."""
    check_range(date, "effective_date")
    if closed_through is not None and date <= closed_through:
        raise DateInClosedPeriod(closed_through=closed_through.isoformat(), date=date.isoformat(),
                                 what_id="AD/ART berlaku mulai", what_en="AD/ART effective on")
    return date


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years lived on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_birth_date(birth: dt.date, *, today: dt.date, min_age_years: int) -> dt.date:
    """A living adult: not in the future, at least `min_age_years`, at most ~120 years."""
    check_range(birth, "birth_date")
    if birth > today:
        raise InvalidBirthDate(date=birth.isoformat(), reason_id="di masa depan",
                               reason_en="in the future")
    age = age_on(birth, today)
    if age < min_age_years:
        raise InvalidBirthDate(date=birth.isoformat(),
                               reason_id=f"belum berumur {min_age_years} tahun",
                               reason_en=f"younger than {min_age_years}")
    if age > OLDEST_AGE_YEARS:
        raise InvalidBirthDate(date=birth.isoformat(),
                               reason_id=f"lebih dari {OLDEST_AGE_YEARS} tahun yang lalu",
                               reason_en=f"more than {OLDEST_AGE_YEARS} years ago")
    return birth
