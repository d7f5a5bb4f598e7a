"""The loan posting rules, pure: the legs of disbursement, repayment, provision, write-off
and recovery, with the exact accounts of the chart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.accounting.postings import (
    LoanDisbursement,
    LoanProvision,
    LoanRecovery,
    LoanRepayment,
    LoanWriteOff,
    Posting,
    posting_for,
)
from ksp.ledger.journal import credit, debit, validate_legs


def test_a_disbursement_in_cash_takes_the_admin_fee_from_what_is_paid_out():
    posting = posting_for(LoanDisbursement(member=5, loan_id=9, principal=10_000_000,
                                           admin_fee=100_000))
    assert posting == Posting(
        kind="pinjaman.cair", memo="Pencairan pinjaman #9",
        legs=(debit("1201", 10_000_000, 5), credit("1101", 9_900_000),
              credit("4102", 100_000)))
    validate_legs(posting.legs)


def test_a_disbursement_to_sukarela_credits_the_members_savings():
    posting = posting_for(LoanDisbursement(member=5, loan_id=9, principal=2_000_000,
                                           admin_fee=0, via_sukarela=True))
    assert posting.legs == (debit("1201", 2_000_000, 5), credit("2101", 2_000_000, 5))


def test_a_repayment_credits_denda_jasa_and_the_members_loan():
    posting = posting_for(LoanRepayment(member=5, loan_id=9, denda=41_625, jasa=150_000,
                                        pokok=833_333))
    assert posting == Posting(
        kind="pinjaman.angsur", memo="Angsuran pinjaman #9",
        legs=(debit("1101", 1_024_958), credit("4103", 41_625), credit("4101", 150_000),
              credit("1201", 833_333, 5)))
    validate_legs(posting.legs)


def test_a_repayment_from_sukarela_without_denda_has_no_zero_leg():
    posting = posting_for(LoanRepayment(member=5, loan_id=9, denda=0, jasa=150_000,
                                        pokok=833_333, via_sukarela=True))
    assert posting.legs == (debit("2101", 983_333, 5), credit("4101", 150_000),
                            credit("1201", 833_333, 5))


@pytest.mark.parametrize(("delta", "legs"), [
    (50_000, (debit("5301", 50_000), credit("1209", 50_000))),
    (-20_000, (debit("1209", 20_000), credit("5301", 20_000))),
])
def test_a_provision_adds_to_or_releases_the_allowance(delta, legs):
    assert posting_for(LoanProvision(delta)).legs == legs


def test_a_write_off_uses_the_allowance_first_and_expenses_the_rest():
    posting = posting_for(LoanWriteOff(member=5, loan_id=9, amount=3_000_000,
                                       from_allowance=1_500_000))
    assert posting.legs == (debit("1209", 1_500_000), debit("5301", 1_500_000),
                            credit("1201", 3_000_000, 5))
    validate_legs(posting.legs)


def test_a_recovery_is_other_income():
    posting = posting_for(LoanRecovery(member=5, loan_id=9, amount=400_000))
    assert posting.legs == (debit("1101", 400_000), credit("4901", 400_000))


@given(denda=st.integers(0, 10**9), jasa=st.integers(0, 10**9), pokok=st.integers(1, 10**12),
       via=st.booleans())
def test_every_repayment_balances(denda, jasa, pokok, via):
    validate_legs(posting_for(LoanRepayment(1, 1, denda, jasa, pokok, via)).legs)
