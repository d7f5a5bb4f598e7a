"""Queueing a message: rendered now, in the caller's transaction, sent later by
`ksp.notifications.dispatch`. The same dedupe_key twice queues nothing the second time, so a
daily reminder job can run again safely."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ksp.core import clock
from ksp.core.settings import get_settings
from ksp.members.service import get_member
from ksp.notifications.errors import TemplateParamsInvalid
from ksp.notifications.models import Channel, Notification, NotificationStatus
from ksp.notifications.templates import TEMPLATES, fields_of, render

MAX_DEDUPE_KEY = 200


def queue(session: Session, *, member_number: int | None, template: str,
          params: Mapping[str, Any], dedupe_key: str,
          channel: Channel | str | None = None) -> Notification | None:
    """Renders `template` with `params` and queues it for member `member_number` (None: for
    staff). Returns the new row, or None when `dedupe_key` was queued before. The member's
    name and the cooperative's name are filled in unless given. `channel` defaults to
    KSP_NOTIFY_CHANNEL."""
    if not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY:
        raise TemplateParamsInvalid(
            template=template, reason_id=f"dedupe_key harus 1..{MAX_DEDUPE_KEY} karakter",
            reason_en=f"dedupe_key must be 1..{MAX_DEDUPE_KEY} characters")
    settings = get_settings()
    values = dict(params)
    wanted = fields_of(TEMPLATES[template]) if template in TEMPLATES else set()
    if "koperasi" in wanted:
        values.setdefault("koperasi", settings.coop_name)
    if member_number is not None:
        member = get_member(session, member_number)  # an unknown member is refused here
        if "nama" in wanted:
            values.setdefault("nama", member.name)
    subject, body = render(template, values)
    now = clock.now()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    new_id = session.scalar(
        insert(Notification)
        .values(member_number=member_number,
                channel=Channel(channel or settings.notify_channel), template=template,
                dedupe_key=dedupe_key, subject=subject, body=body,
                status=NotificationStatus.PENDING, attempts=0, created_at=now,
                next_attempt_at=now)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id))
    if new_id is None:
        return None
    return session.scalars(select(Notification).where(Notification.id == new_id)).one()
