"""Products and the GL accounts each one posts to (the product -> GL account mapping).

A product is what a member holds: a jenis of simpanan now, loan products next. A role
(`Peran`) is what an account does for a product. Posting rules ask this table for their
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


class Peran(enum.StrEnum):
    """The part an account plays for a product. Loans will add piutang_pokok, piutang_jasa,
    pendapatan_jasa, pendapatan_provisi, pendapatan_denda, cadangan_kerugian,
    beban_penyisihan and pemulihan; SHU adds utang_shu."""

    SUMBER_DANA = "sumber_dana"  # cash or bank used when the teller names none
    SIMPANAN = "simpanan"  # the members' balances (credit-normal control account)


def produk_simpanan(jenis: Jenis) -> str:
    """The product code of a jenis, also the prefix of its journal kinds."""
    return f"simpanan.{jenis.value}"


PEMETAAN: Final[Mapping[str, Mapping[Peran, str]]] = MappingProxyType({
    produk_simpanan(Jenis.POKOK): {Peran.SUMBER_DANA: chart.KAS,
                                   Peran.SIMPANAN: chart.SIMPANAN_POKOK},
    produk_simpanan(Jenis.WAJIB): {Peran.SUMBER_DANA: chart.KAS,
                                   Peran.SIMPANAN: chart.SIMPANAN_WAJIB},
    produk_simpanan(Jenis.SUKARELA): {Peran.SUMBER_DANA: chart.KAS,
                                      Peran.SIMPANAN: chart.SIMPANAN_SUKARELA},
})


class ProductNotMapped(LookupError):
    """A posting rule asked for an account the table does not give: a programming error,
    caught by the mapping's unit tests, never by user input."""


def rekening(produk: str, peran: Peran) -> str:
    """The GL account code playing `peran` for `produk`."""
    try:
        return PEMETAAN[produk][peran]
    except KeyError:
        raise ProductNotMapped(f"no {peran.value} account for product {produk!r}") from None


REKENING_SIMPANAN: Final[Mapping[Jenis, str]] = MappingProxyType(
    {jenis: rekening(produk_simpanan(jenis), Peran.SIMPANAN) for jenis in Jenis})
JENIS_OF_REKENING: Final[Mapping[str, Jenis]] = MappingProxyType(
    {code: jenis for jenis, code in REKENING_SIMPANAN.items()})


def token_id(jenis: Jenis) -> int:
    """The SavingsToken id mirroring this jenis (the ids live in `ksp.ledger.chart`)."""
    return chart.SAVINGS_TOKEN_IDS[REKENING_SIMPANAN[jenis]]
