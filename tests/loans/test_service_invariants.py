"""Hypothesis: after any sequence of repayments (amounts, dates, denda accrued in between), for
any method, the books balance and the member's piutang in the ledger equals the loan's
outstanding pokok, which is the sum of the unpaid principal of its schedule position."""

from __future__ import annotations

import datetime as dt
import itertools
import os

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from ksp.auth.models import Role
from ksp.bootstrap import open_database
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.errors import KspError
from ksp.ledger.reports import trial_balance
from ksp.loans import service
from ksp.loans.models import LoanDendaAccrual, LoanStatus
from ksp.loans.products import DEFAULT_PRODUCT, set_product
from ksp.loans.schedule import Method
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.loans.world import DOMAIN
from tests.support.factories import join

OUT = dt.date(2026, 1, 15)
WHY = "uji properti"
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def cooperative(tmp_path_factory):
    from ksp.core.settings import Environment, Settings

    path = tmp_path_factory.mktemp("loans")
    s = Settings(env=Environment.TEST, var_dir=path / "var", deployments_dir=path / "d",
                 database_url=f"sqlite:///{path / 'db.sqlite3'}", rpc_url="http://127.0.0.1:9")
    _engine, factory = open_database(s)
    clock.freeze(dt.datetime(2028, 6, 1, 3, tzinfo=dt.UTC))
    with transaction(factory) as session:
        for method in (Method.FLAT, Method.DECLINING):
            set_product(session, method.value, dt.date(2026, 1, 1),
                        DEFAULT_PRODUCT.model_copy(update={"method": method}))
    yield factory, PiiCipher(os.urandom(32))
    clock.freeze(None)


def _active_loan(factory, cipher, method: str, principal: int, tenor: int) -> tuple[int, int]:
    wallet = Account.create()
    serial = next(_serial)
    with transaction(factory) as session:
        n = join(session, cipher, serial, on=dt.date(2025, 1, 10),
                 wallet_address=wallet.address).number
        savings.deposit(session, member_number=n, jenis=Jenis.SUKARELA, amount=10**9,
                        on=dt.date(2026, 1, 10), reason=WHY)
        loan = service.apply(session, service.Application(
            member=n, product_code="umum" if method == "annuity" else method,
            principal=principal, tenor_months=tenor, purpose="uji", rate_bps=1800),
            actor="petugas", role="admin", on=OUT)
        service.propose(session, loan.id, actor="petugas", role="admin")
        service.approve(session, loan.id, actor="ketua", role=Role.PENGURUS, on=OUT)
        deadline = int(clock.now().timestamp()) + 86_400
        typed = service.acceptance_data(loan, DOMAIN, deadline)
        signed = Account.sign_message(encode_typed_data(full_message=typed), wallet.key)
        service.accept(session, loan.id, member_number=n, deadline=deadline,
                       signature="0x" + signed.signature.hex(), domain=lambda: DOMAIN)
        session.execute(update(OutboxItem).where(OutboxItem.kind == OutboxKind.ACCEPT_LOAN)
                        .values(status=OutboxStatus.INCLUDED))
        service.disburse(session, loan.id, on=OUT, to_sukarela=False, reason=WHY)
        return n, loan.id


payments = st.lists(st.tuples(st.integers(0, 70),  # days after the previous payment
                              st.integers(1, 3_000_000),  # amount
                              st.integers(0, 50_000),  # denda accrued that day (0: none)
                              st.booleans()),  # from sukarela
                    min_size=1, max_size=8)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(method=st.sampled_from(["flat", "declining", "annuity"]),
       principal=st.integers(100_000, 8_000_000), tenor=st.integers(1, 12), paid=payments)
def test_books_balance_and_outstanding_is_unpaid_principal(cooperative, method, principal,
                                                           tenor, paid):
    factory, cipher = cooperative
    n, loan_id = _active_loan(factory, cipher, method, principal, tenor)
    day, accrued = OUT, set()
    for gap, amount, denda, from_sukarela in paid:
        day += dt.timedelta(days=gap)
        try:
            with transaction(factory) as session:
                if denda and day not in accrued:  # the close accrues once per loan and day
                    session.add(LoanDendaAccrual(loan_id=loan_id, accrued_on=day, amount=denda))
                service.repay(session, loan_id, amount=amount, on=day, channel="teller",
                              from_sukarela=from_sukarela, reason=WHY)
        except KspError as refused:  # overpayment, or a closed loan: nothing written
            assert refused.code in ("overpayment", "loan_closed"), refused
        else:
            accrued.add(day)
        with factory() as session:
            rows = trial_balance(session, through=day)
            assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
            loan = service.get_loan(session, loan_id)
            pos = service.position_of(session, loan, day)
            unpaid = sum(i.pokok - i.paid_pokok for i in pos.instalments)
            assert service.piutang(session, n) == pos.outstanding_pokok == unpaid
            assert (loan.status is LoanStatus.LUNAS) == (pos.outstanding_pokok == 0)
