"""GET /loans/{id}/schedule says the loan's kolektibilitas on the date asked, by the days past
due and the AD/ART's thresholds (OJK defaults: 1-90 DPK, 91-120 kurang lancar, 121-180
diragukan, 181 and more macet), so the member's page can show it when it is not lancar."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ksp.core import clock
from ksp.loans.models import Loan
from tests.loans.world import make_world


@pytest.fixture
def world(settings: Any, monkeypatch: Any) -> Any:
    w = make_world(settings, monkeypatch)
    w.n = w.member(1)
    w.at("2026-01-14")
    yield w
    clock.freeze(None)


def test_the_schedule_names_the_class_by_days_past_due(world: Any) -> None:
    loan = world.approved(world.n)
    world.accepted(loan, world.n)
    world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {}, "petugas"), 201)
    with world.client.app.state.sessionmaker() as session:
        found = session.get(Loan, loan)
        assert found is not None and found.first_due_date is not None
        first_due = found.first_due_date
    expected = [(0, 0, "lancar"), (1, 1, "dpk"), (90, 90, "dpk"), (91, 91, "kurang_lancar"),
                (121, 121, "diragukan"), (181, 181, "macet")]
    for late, days, kolektibilitas in expected:
        day = (first_due + dt.timedelta(days=late)).isoformat()
        body = world.ok(world.get(f"/api/v1/loans/{loan}/schedule?date={day}", "petugas"))
        assert (body["days_past_due"], body["kolektibilitas"]) == (days, kolektibilitas), day
