"""The close's chain writes against a real Anvil and the loan handlers: a loan signed and
paid out, never repaid, closed 181 days after its first due date (the clock moved; the
contract checks no business dates after acceptance): Defaulted on chain; written off with a
pengurus's and a pengawas's approval: WrittenOff with the amount; a recovery recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.chain.sender import contract
from ksp.core import clock
from ksp.core.db import transaction
from ksp.loans import service, writeoff
from ksp.loans.close import close_day
from tests.loans.on_chain import disbursed_loan

pytestmark = pytest.mark.chain
DEFAULTED, WRITTEN_OFF = 4, 5



@pytest.fixture
def moved_clock():
    yield
    clock.freeze(None)


def test_default_write_off_and_recovery_land_on_chain(chain_settings, moved_clock):
    world = disbursed_loan(chain_settings)
    factory, loan_id = world.factory, world.loan_id
    loans = contract(world.w3, world.runtime.deployment, "LoanAgreements")
    with transaction(factory) as session:
        first_due = service.get_loan(session, loan_id).first_due_date

    macet_day = first_due + dt.timedelta(days=181)
    clock.freeze(dt.datetime.combine(macet_day, dt.time(3, 0), tzinfo=dt.UTC))
    with transaction(factory) as session:
        assert close_day(session, macet_day).defaulted == [loan_id]
    world.drain()
    assert loans.functions.statusOf(loan_id).call() == DEFAULTED

    with transaction(factory) as session:
        writeoff.propose_write_off(session, loan_id=loan_id, actor="petugas", role="admin")
        writeoff.approve_write_off(session, loan_id=loan_id, actor="ketua", role="pengurus")
        step = writeoff.approve_write_off(session, loan_id=loan_id, actor="pak_pengawas",
                                          role="pengawas")
    assert step.written_off == 10_000_000
    with transaction(factory) as session:
        recovery = writeoff.record_recovery(session, loan_id=loan_id, amount=1_500_000)
    world.drain()
    on_chain = loans.functions.loan(loan_id).call()
    assert (on_chain[3], on_chain[11], on_chain[12]) == (WRITTEN_OFF, 10_000_000, 1_500_000)
    assert loans.functions.isApplied(step.entry_seq).call()
    assert loans.functions.isApplied(recovery.seq).call()
    world.engine.dispose()
