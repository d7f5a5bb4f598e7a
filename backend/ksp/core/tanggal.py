"""Dates the way Indonesians write them: `15 Maret 2026`, `Sabtu, 14 Maret 2026`."""

from __future__ import annotations

import datetime as dt

BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")  # Monday first


def format_tanggal(day: dt.date, *, with_weekday: bool = False) -> str:
    text = f"{day.day} {BULAN[day.month - 1]} {day.year}"
    return f"{HARI[day.weekday()]}, {text}" if with_weekday else text
