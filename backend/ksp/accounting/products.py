"""Products and the GL accounts each one posts to (the product -> GL account mapping).

A product is what a member holds: a jenis of simpanan now, loan products next. A role
(`AccountRole`) is what an account does for a product. Posting rules ask this table for their
accounts and never spell an account code themselves, so adding a product is a row here."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ksp.ledger import chart


class Jenis(enum.StrEnum):
    """Jenis simpanan: the savings products every member has."""

    POKOK = "pokok"
    WAJIB = "wajib"
    SUKARELA = "sukarela"


class AccountRole(enum.StrEnum):
    """The part an account plays for a product. Loans will add piutang_pokok, piutang_jasa,
    pendapatan_jasa, pendapatan_provisi, pendapatan_denda, cadangan_kerugian,
    beban_penyisihan and pemulihan; SHU adds utang_shu."""

    FUNDING = "sumber_dana"  # cash or bank used when the teller names none
    SIMPANAN = "simpanan"  # the members' balances (credit-normal control account)


def savings_product(jenis: Jenis) -> str:
    """The product code of a jenis, also the prefix of its journal kinds."""
    return f"simpanan.{jenis.value}"


ACCOUNT_MAP: Final[Mapping[str, Mapping[AccountRole, str]]] = MappingProxyType({
    savings_product(Jenis.POKOK): {AccountRole.FUNDING: chart.KAS,
                                   AccountRole.SIMPANAN: chart.SIMPANAN_POKOK},
    savings_product(Jenis.WAJIB): {AccountRole.FUNDING: chart.KAS,
                                   AccountRole.SIMPANAN: chart.SIMPANAN_WAJIB},
    savings_product(Jenis.SUKARELA): {AccountRole.FUNDING: chart.KAS,
                                      AccountRole.SIMPANAN: chart.SIMPANAN_SUKARELA},
})


class ProductNotMapped(LookupError):
    """A posting rule asked for an account the table does not give: a programming error,
    caught by the mapping's unit tests, never by user input."""


def account_for(product: str, role: AccountRole) -> str:
    """The GL account code playing `role` for `product`."""
    try:
        return ACCOUNT_MAP[product][role]
    except KeyError:
        raise ProductNotMapped(f"no {role.value} account for product {product!r}") from None


SAVINGS_ACCOUNT: Final[Mapping[Jenis, str]] = MappingProxyType(
    {jenis: account_for(savings_product(jenis), AccountRole.SIMPANAN) for jenis in Jenis})
JENIS_OF_ACCOUNT: Final[Mapping[str, Jenis]] = MappingProxyType(
    {code: jenis for jenis, code in SAVINGS_ACCOUNT.items()})


def token_id(jenis: Jenis) -> int:
    """The SavingsToken id mirroring this jenis (the ids live in `ksp.ledger.chart`)."""
    return chart.SAVINGS_TOKEN_IDS[SAVINGS_ACCOUNT[jenis]]


# The ids by jenis name, as the wallet page and the API name them.
TOKEN_ID_BY_JENIS: Final[Mapping[str, int]] = MappingProxyType(
    {jenis.value: token_id(jenis) for jenis in Jenis})
