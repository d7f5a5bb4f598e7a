"""Reminders the daily close queues for the member (through the notification outbox): 3
days before an instalment falls due, and 1, 7 and 30 days after the oldest late instalment
fell due. Each is queued once: its dedupe key is the loan, the due date and the offset
("loan:12:due:2026-03-15:-3"), so closing a day again queues nothing.

A close that catches up on days older than yesterday queues none for those days: a reminder
of a date long past would only confuse the member."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ksp.loans.position import InstalmentState, Position
from ksp.notifications.service import queue
from ksp.notifications.templates import PENGINGAT_JATUH_TEMPO, TERLAMBAT

DAYS_BEFORE = 3
DAYS_AFTER = (1, 7, 30)
MAX_AGE_DAYS = 1  # a closed day older than this (before today) queues no reminder


@dataclass(frozen=True)
class Reminder:
    template: str
    params: dict[str, Any]
    dedupe_key: str


def reminders_for(loan_id: int, standing: Position, day: dt.date, denda_today: int = 0
                  ) -> list[Reminder]:
    """Pure: the reminders due for a loan on `day`, from its position at the end of it
    (`denda_today`: the denda the close accrues for the day, not in the position yet)."""
    found: list[Reminder] = []
    for s in standing.instalments:
        if s.state is InstalmentState.LUNAS:
            continue
        if (s.due_date - day).days == DAYS_BEFORE:
            found.append(Reminder(
                PENGINGAT_JATUH_TEMPO,
                {"pinjaman_id": loan_id, "angsuran_ke": s.number, "jumlah": s.unpaid,
                 "jatuh_tempo": s.due_date},
                f"loan:{loan_id}:due:{s.due_date.isoformat()}:-{DAYS_BEFORE}"))
    late = [s for s in standing.instalments if s.state is InstalmentState.TERLAMBAT]
    if late and standing.days_past_due in DAYS_AFTER:
        oldest = late[0]
        found.append(Reminder(
            TERLAMBAT,
            {"pinjaman_id": loan_id, "angsuran_ke": oldest.number,
             "jatuh_tempo": oldest.due_date, "hari_terlambat": standing.days_past_due,
             "tunggakan": sum(s.unpaid for s in late),
             "denda": standing.denda_due + denda_today},
            f"loan:{loan_id}:due:{oldest.due_date.isoformat()}:+{standing.days_past_due}"))
    return found


def queue_reminders(session: Session, *, member: int, loan_id: int, standing: Position,
                    day: dt.date, today: dt.date, denda_today: int = 0) -> int:
    """Queues the day's reminders for one loan; the number newly queued."""
    if (today - day).days > MAX_AGE_DAYS:
        return 0
    queued = 0
    for reminder in reminders_for(loan_id, standing, day, denda_today):
        if queue(session, member_number=member, template=reminder.template,
                 params=reminder.params, dedupe_key=reminder.dedupe_key) is not None:
            queued += 1
    return queued
