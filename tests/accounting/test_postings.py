"""The postings layer, pure: which legs each savings event makes and which accounts the
product mapping names. No database."""

from __future__ import annotations

import pytest

from ksp.accounting import products
from ksp.accounting.postings import (
    Posting,
    SavingsDeposit,
    SavingsPayout,
    SavingsWithdrawal,
    posting_for,
)
from ksp.accounting.products import AccountRole, Jenis, ProductNotMapped, account_for
from ksp.ledger import chart
from ksp.ledger.journal import credit, debit, validate_legs
from ksp.ledger.models import AccountType

TYPES = {code: kind for code, _id, _en, kind, _contra in chart.CHART}
SAVINGS = {Jenis.POKOK: "3101", Jenis.WAJIB: "3102", Jenis.SUKARELA: "2101"}


@pytest.mark.parametrize("jenis", list(Jenis))
def test_a_deposit_debits_kas_and_credits_the_members_savings(jenis):
    posting = posting_for(SavingsDeposit(member=12, jenis=jenis, amount=250_000))
    assert posting == Posting(
        kind=f"simpanan.{jenis.value}.setor", memo=f"Setoran simpanan {jenis.value}",
        legs=(debit("1101", 250_000), credit(SAVINGS[jenis], 250_000, 12)))
    validate_legs(posting.legs)


def test_a_withdrawal_debits_sukarela_and_credits_the_named_cash_account():
    posting = posting_for(SavingsWithdrawal(member=7, jenis=Jenis.SUKARELA, amount=80_000,
                                            cash_account=chart.BANK))
    assert posting == Posting(
        kind="simpanan.sukarela.tarik", memo="Penarikan simpanan sukarela",
        legs=(debit("2101", 80_000, 7), credit("1102", 80_000)))
    validate_legs(posting.legs)


@pytest.mark.parametrize("jenis", list(Jenis))
def test_an_exit_payout_returns_each_jenis_from_kas(jenis):
    posting = posting_for(SavingsPayout(member=3, jenis=jenis, amount=100_000))
    assert posting == Posting(
        kind=f"simpanan.{jenis.value}.kembali",
        memo=f"Pengembalian simpanan {jenis.value} anggota keluar",
        legs=(debit(SAVINGS[jenis], 100_000, 3), credit("1101", 100_000)))
    validate_legs(posting.legs)


def test_an_event_without_a_rule_is_refused():
    with pytest.raises(TypeError, match="no posting rule for str"):
        posting_for("simpanan")


def test_every_mapped_account_is_in_the_chart():
    for product, roles in products.ACCOUNT_MAP.items():
        for role, code in roles.items():
            assert code in TYPES, (product, role, code)


def test_savings_accounts_are_credit_normal_and_funded_from_an_asset():
    # The member statement counts a credit as a deposit; that holds only for these types.
    for jenis in Jenis:
        product = products.savings_product(jenis)
        assert TYPES[account_for(product, AccountRole.SIMPANAN)] in (AccountType.EQUITY,
                                                            AccountType.LIABILITY)
        assert TYPES[account_for(product, AccountRole.FUNDING)] is AccountType.ASSET
    assert dict(products.SAVINGS_ACCOUNT) == SAVINGS
    assert {code: j for j, code in SAVINGS.items()} == dict(products.JENIS_OF_ACCOUNT)


def test_an_unmapped_product_is_a_named_error():
    with pytest.raises(ProductNotMapped, match="pinjaman.reguler"):
        account_for("pinjaman.reguler", AccountRole.SIMPANAN)


def test_token_ids_match_the_savings_token_contract():
    # SavingsToken.sol: 1 pokok, 2 wajib, 3 sukarela.
    assert {j: products.token_id(j) for j in Jenis} == {
        Jenis.POKOK: 1, Jenis.WAJIB: 2, Jenis.SUKARELA: 3}
    assert set(chart.SAVINGS_TOKEN_IDS) == set(products.SAVINGS_ACCOUNT.values())
