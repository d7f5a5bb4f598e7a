"""The loans screens of the console: the maker-checker refusals (the proposer's own approval,
a pengawas approving a loan that is not related-party, a pengawas proposing), each refused
with nothing written; and the teller's repayment, which shows the allocation before posting."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select, update

from ksp.chain.outbox import OutboxItem
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger.models import LogEntry
from ksp.loans.models import Loan, LoanDecision, LoanRepayment
from ksp.members.models import Member
from tests.console.test_console import hidden
from tests.loans.world import World, make_world
from tests.support.client import PASSWORD

TABLES = {"loans": Loan, "loan_decisions": LoanDecision, "loan_repayments": LoanRepayment,
          "chain_outbox": OutboxItem, "log": LogEntry}


@pytest.fixture
def world(settings: Any, monkeypatch: Any) -> Any:
    w = make_world(settings, monkeypatch)
    w.n = w.member(1)  # type: ignore[attr-defined]
    w.at("2026-01-15")
    yield w
    clock.freeze(None)


def console(world: World, username: str) -> str:
    """Signs `username` in on the console; the CSRF token."""
    http = world.client.http
    http.cookies.clear()
    form = http.get("/staff/masuk")
    reply = http.post("/staff/masuk", data={"username": username, "password": PASSWORD,
                                             "nonce": hidden(form.text, "nonce")},
                      follow_redirects=False)
    assert reply.status_code == 303, reply.text
    return hidden(http.get("/staff/pinjaman").text, "csrf")


def post(world: World, csrf: str, path: str, key: str, **fields: str) -> Any:
    return world.client.http.post(path, data={"csrf": csrf, "kunci": key, **fields},
                                  follow_redirects=False)


def counts(world: World) -> dict[str, int]:
    with world.client.app.state.sessionmaker() as session:
        return {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in TABLES.items()}


def status_of(world: World, loan: int) -> str:
    with world.client.app.state.sessionmaker() as session:
        found = session.get(Loan, loan)
        assert found is not None
        return str(found.status.value)


def test_the_proposer_may_not_approve_and_another_pengurus_does(world: Any) -> None:
    loan = world.apply(world.n)
    csrf = console(world, "bendahara")
    assert post(world, csrf, f"/staff/pinjaman/{loan}/usulkan", "usul-1").status_code == 303
    page = world.client.http.get(f"/staff/pinjaman/{loan}").text
    assert 'id="own-proposal"' in page and 'id="form-setujui"' not in page

    before = counts(world)
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/setujui", "setuju-1")
    assert reply.status_code == 409
    assert "tidak boleh menyetujui usulannya sendiri" in reply.text
    assert "may not approve their own proposal" in reply.text
    assert counts(world) == before and status_of(world, loan) == "diusulkan"

    csrf = console(world, "ketua")
    assert 'id="form-setujui"' in world.client.http.get(f"/staff/pinjaman/{loan}").text
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/setujui", "setuju-2")
    assert reply.status_code == 303 and status_of(world, loan) == "disetujui"


def test_the_pengawas_approves_only_what_the_backend_permits(world: Any) -> None:
    loan = world.apply(world.n)
    csrf = console(world, "pengawas")
    before = counts(world)
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/usulkan", "p-usul")
    assert reply.status_code == 403 and "hanya boleh melihat" in reply.text
    world.ok(world.post(f"/api/v1/loans/{loan}/propose", {}, "petugas"))
    before = counts(world)
    page = world.client.http.get(f"/staff/pinjaman/{loan}").text
    assert 'id="form-setujui"' not in page  # not a related-party loan: no button
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/setujui", "p-setuju")
    assert reply.status_code == 409 and "bukan pinjaman pihak terkait" in reply.text
    assert counts(world) == before and status_of(world, loan) == "diusulkan"


def test_a_repayment_at_the_teller_shows_the_allocation_before_it_posts(world: Any) -> None:
    loan = world.approved(world.n)
    world.accepted(loan, world.n)
    csrf = console(world, "petugas")
    assert post(world, csrf, f"/staff/pinjaman/{loan}/cairkan", "cair-1",
                ke="kas").status_code == 303
    assert status_of(world, loan) == "aktif"

    # The first instalment (annuity 18%: 150.000 jasa + 766.800 pokok), paid on its due date.
    with world.client.app.state.sessionmaker() as session:
        first_due = session.get(Loan, loan).first_due_date
    world.at(first_due.isoformat())
    csrf = console(world, "petugas")
    before = counts(world)
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/angsuran", "bayar-1",
                 amount="916.800")
    assert reply.status_code == 200 and 'id="repay-confirm"' in reply.text
    allocation = re.sub(r"\s+", " ", reply.text.split('id="allocation"')[1].split("</table>")[0])
    assert "Jasa</td><td class=\"num\">Rp 150.000" in allocation
    assert "Pokok</td><td class=\"num\">Rp 766.800" in allocation
    assert counts(world) == before  # nothing posted before the confirmation

    reply = post(world, csrf, f"/staff/pinjaman/{loan}/angsuran", "bayar-1",
                 amount="916.800", confirm="1")
    assert reply.status_code == 303, reply.text
    receipt = world.client.http.get(reply.headers["location"]).text
    assert "Rp 916.800" in receipt and "Rp 9.233.200" in receipt
    assert counts(world)["loan_repayments"] == before["loan_repayments"] + 1
    listing = world.client.http.get("/staff/pinjaman?status=aktif").text
    row = listing.split(f'id="pinjaman-{loan}"')[1].split("</tr>")[0]
    assert "Rp 9.233.200" in row  # the list's outstanding: principal less pokok repaid


def test_the_pengawas_approves_a_related_party_loan_in_the_console(world: Any) -> None:
    """Own capital Rp 750.000 (pokok + wajib), so Rp 70.000 is under the 10% cap."""
    with transaction(world.client.app.state.sessionmaker) as session:
        session.execute(update(Member).where(Member.number == world.n)
                        .values(related_party="pengurus"))
    loan = world.apply(world.n, principal=70_000, tenor_months=1)
    world.ok(world.post(f"/api/v1/loans/{loan}/propose", {}, "petugas"))
    csrf = console(world, "pengawas")
    page = world.client.http.get(f"/staff/pinjaman/{loan}").text
    assert 'id="read-only"' in page and 'id="form-setujui"' in page
    assert 'id="form-usulkan"' not in page and 'id="form-tolak"' not in page
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/setujui", "p-setuju")
    assert reply.status_code == 303
    assert status_of(world, loan) == "diusulkan"  # a pengurus must approve too
    page = world.client.http.get(f"/staff/pinjaman/{loan}").text
    assert 'id="form-setujui"' not in page  # approved once: no second button
    csrf = console(world, "bendahara")
    assert post(world, csrf, f"/staff/pinjaman/{loan}/setujui", "b-setuju").status_code == 303
    assert status_of(world, loan) == "disetujui"
    with world.client.app.state.sessionmaker() as session:
        roles = [d.role for d in session.scalars(select(LoanDecision).where(
            LoanDecision.loan_id == loan, LoanDecision.action == "setujui"))]
    assert roles == ["pengawas", "pengurus"]


def test_an_offer_not_yet_signed_is_cancelled_with_a_reason(world: Any) -> None:
    loan = world.approved(world.n)
    csrf = console(world, "petugas")
    assert 'id="form-batalkan"' in world.client.http.get(f"/staff/pinjaman/{loan}").text
    before = counts(world)
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/batalkan", "batal-1")
    assert reply.status_code == 422 and "Catatan wajib diisi" in reply.text
    assert counts(world) == before
    reply = post(world, csrf, f"/staff/pinjaman/{loan}/batalkan", "batal-2",
                 catatan="Anggota tidak jadi meminjam")
    assert reply.status_code == 303 and status_of(world, loan) == "dibatalkan"
