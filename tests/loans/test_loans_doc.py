"""docs/LOANS.md cannot drift: its worked schedules and class table are recomputed here."""

import datetime as dt
import re
from pathlib import Path

import pytest

from ksp.coop.adart import LoanClassDays
from ksp.core.money import format_rupiah
from ksp.loans.quality import KOLEKTIBILITAS_LABEL, PROVISION_BPS, Kolektibilitas
from ksp.loans.schedule import Method, build_schedule, schedule_totals

DOC = Path(__file__).resolve().parents[2] / "docs" / "LOANS.md"
MARKER = re.compile(r"<!-- schedule: (\w+) (\d+) (\d+) (\d+) (\d{4}-\d{2}-\d{2}) -->")


def table_after(text: str, start: int) -> list[list[str]]:
    """The rows (cells stripped, header and rule skipped) of the table after `start`."""
    lines = text[start:].splitlines()[1:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[2:]


def schedules_in_doc() -> list[re.Match[str]]:
    return list(MARKER.finditer(DOC.read_text(encoding="utf-8")))


def test_the_doc_has_the_three_worked_schedules():
    assert [m.group(1) for m in schedules_in_doc()] == ["flat", "declining", "annuity"]
    assert {m.group(2, 3, 4, 5) for m in schedules_in_doc()} == {
        ("10000000", "1800", "12", "2026-02-15")}


@pytest.mark.parametrize("match", schedules_in_doc(), ids=lambda m: m.group(1))
def test_worked_schedule_matches_the_code(match):
    method, principal, rate, tenor, first = match.groups()
    schedule = build_schedule(int(principal), int(rate), int(tenor), Method(method),
                              dt.date.fromisoformat(first))
    rows = table_after(DOC.read_text(encoding="utf-8"), match.start())
    expected = [[str(r.number), r.due_date.isoformat(), format_rupiah(r.pokok),
                 format_rupiah(r.jasa), format_rupiah(r.total),
                 format_rupiah(r.outstanding_after)] for r in schedule]
    assert rows[:-1] == expected
    pokok, jasa = schedule_totals(schedule)
    assert rows[-1] == ["**jumlah**", "", f"**{format_rupiah(pokok)}**",
                        f"**{format_rupiah(jasa)}**", f"**{format_rupiah(pokok + jasa)}**", ""]


def test_kolektibilitas_table_matches_the_defaults_and_weights():
    text = DOC.read_text(encoding="utf-8")
    rows = table_after(text, text.index("<!-- kolektibilitas -->"))
    days = LoanClassDays()
    firsts = [0, days.dpk, days.kurang_lancar, days.diragukan, days.macet]
    lasts = [0, days.kurang_lancar - 1, days.diragukan - 1, days.macet - 1, None]
    assert len(rows) == len(Kolektibilitas)
    for row, k, first, last in zip(rows, Kolektibilitas, firsts, lasts, strict=True):
        name_id, name_en = KOLEKTIBILITAS_LABEL[k]
        assert row[0].startswith(name_id)
        assert row[1] == name_en
        span = "0" if last == 0 else f"{first} and more" if last is None else f"{first}–{last}"
        assert row[2] == span
        assert row[3] == f"{PROVISION_BPS[k] // 100}%"
