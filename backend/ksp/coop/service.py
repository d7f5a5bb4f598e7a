from __future__ import annotations

import bisect
import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.coop.adart import AdArt
from ksp.coop.errors import AdArtUnchanged
from ksp.coop.models import AdArtVersion
from ksp.ledger import dates, log


def adart_at(session: Session, date: dt.date) -> AdArt:
    """The settings in force on `date` (the DOMAIN.md defaults before any version)."""
    version = session.scalars(
        select(AdArtVersion)
        .where(AdArtVersion.effective_date <= date)
        .order_by(AdArtVersion.effective_date.desc(), AdArtVersion.id.desc())
    ).first()
    return AdArt.model_validate_json(version.values) if version else AdArt()


def adart_timeline(session: Session) -> list[tuple[dt.date, AdArt]]:
    """Every version, oldest first (the defaults from the beginning of time): for
    questions that span many dates, one query instead of one per date."""
    timeline = [(dt.date.min, AdArt())]
    for version in session.scalars(
        select(AdArtVersion).order_by(AdArtVersion.effective_date, AdArtVersion.id)
    ):
        timeline.append((version.effective_date, AdArt.model_validate_json(version.values)))
    return timeline


def adart_on(timeline: list[tuple[dt.date, AdArt]], date: dt.date) -> AdArt:
    """The version of `timeline` in force on `date` (the same answer as `adart_at`)."""
    index = bisect.bisect_right([effective for effective, _ in timeline], date) - 1
    return timeline[index][1]


def change_adart(
    session: Session, *, effective_date: dt.date, changes: dict[str, Any]
) -> AdArtVersion:
    """A new version from `effective_date`; the change itself is a log entry. Not inside a
    closed period, and not a change that leaves every value as it was."""
    head = log.lock_head(session)  # serialises with closing the books
    dates.check_effective_date(effective_date, closed_through=head.closed_through)
    current = adart_at(session, effective_date)
    updated = AdArt.model_validate({**current.model_dump(mode="json"), **changes})
    if updated == current:
        raise AdArtUnchanged(effective_date=effective_date.isoformat())
    values = updated.model_dump(mode="json")
    appended = log.append(
        session, "adart.changed", {"effective_date": effective_date.isoformat(), "values": values}
    )
    version = AdArtVersion(effective_date=effective_date, values=json.dumps(values),
                           seq=appended.seq)
    session.add(version)
    session.flush()
    return version
