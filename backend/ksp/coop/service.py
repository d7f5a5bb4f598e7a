from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.coop.adart import AdArt
from ksp.coop.models import AdArtVersion
from ksp.ledger import log


def adart_at(session: Session, date: dt.date) -> AdArt:
    """The settings in force on `date` (the DOMAIN.md defaults before any version)."""
    version = session.scalars(
        select(AdArtVersion)
        .where(AdArtVersion.effective_date <= date)
        .order_by(AdArtVersion.effective_date.desc(), AdArtVersion.id.desc())
    ).first()
    return AdArt.model_validate_json(version.values) if version else AdArt()


def change_adart(
    session: Session, *, effective_date: dt.date, changes: dict[str, Any]
) -> AdArtVersion:
    """A new version from `effective_date`; the change itself is a log entry."""
    current = adart_at(session, effective_date)
    updated = AdArt.model_validate({**current.model_dump(mode="json"), **changes})
    values = updated.model_dump(mode="json")
    appended = log.append(
        session, "adart.changed", {"effective_date": effective_date.isoformat(), "values": values}
    )
    version = AdArtVersion(effective_date=effective_date, values=json.dumps(values),
                           seq=appended.seq)
    session.add(version)
    session.flush()
    return version
