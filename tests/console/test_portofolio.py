"""The console's loan portfolio: a loan 20 days behind shows as DPK with its allowance, the
daily close from the console closes each missed day once (a resent form closes nothing more)
and its figures follow; a pengawas reads the page but has no close button."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from ksp.core import clock
from ksp.ledger.models import LogEntry
from ksp.loans.models import LoanDendaAccrual
from tests.console.test_pinjaman import console, post
from tests.loans.world import make_world


@pytest.fixture
def world(settings: Any, monkeypatch: Any) -> Any:
    w = make_world(settings, monkeypatch)
    w.n = w.member(1)  # type: ignore[attr-defined]
    w.at("2026-01-15")
    yield w
    clock.freeze(None)


def _count(world: Any, model: Any) -> int:
    with world.client.app.state.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_daily_close_from_the_console_closes_each_day_once(world: Any) -> None:
    loan = world.approved(world.n)
    world.accepted(loan, world.n)
    csrf = console(world, "petugas")
    assert post(world, csrf, f"/staff/pinjaman/{loan}/cairkan", "cair-1",
                ke="kas").status_code == 303
    world.at("2026-03-07")  # the first instalment (due 15 February) is 20 days late
    csrf = console(world, "petugas")
    page = world.client.http.get("/staff/pinjaman-portofolio")
    assert page.status_code == 200 and 'id="close-day"' in page.text

    closed = post(world, csrf, "/staff/pinjaman-portofolio/tutup-hari", "tutup-1")
    logged = _count(world, LogEntry)
    again = post(world, csrf, "/staff/pinjaman-portofolio/tutup-hari", "tutup-1")

    assert closed.status_code == 200, closed.text
    assert "Tutup hari sampai 2026-03-07" in closed.text
    assert again.status_code == 200 and _count(world, LogEntry) == logged
    # The loan is DPK (1–90 days): 5% of Rp 10.000.000 must be set aside.
    assert 'id="required">Rp 500.000<' in closed.text
    assert 'id="posted">Rp 500.000<' in closed.text
    assert _count(world, LoanDendaAccrual) > 0

    console(world, "pengawas")
    read = world.client.http.get("/staff/pinjaman-portofolio?tanggal=2026-03-07")
    assert read.status_code == 200 and 'id="close-day"' not in read.text
    assert 'id="required">Rp 500.000<' in read.text
