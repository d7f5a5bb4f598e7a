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
    """The part an account plays for a product."""

    FUNDING = "sumber_dana"  # cash or bank used when the teller names none
    SIMPANAN = "simpanan"  # the members' balances (credit-normal control account)
    PIUTANG_POKOK = "piutang_pokok"  # loans outstanding, per member
    PENDAPATAN_JASA = "pendapatan_jasa"  # interest, recognised when paid
    PENDAPATAN_PROVISI = "pendapatan_provisi"  # the admin fee
    PENDAPATAN_DENDA = "pendapatan_denda"  # late penalties, recognised when paid
    CADANGAN_KERUGIAN = "cadangan_kerugian"  # allowance for loan losses (contra asset)
    BEBAN_PENYISIHAN = "beban_penyisihan"  # provision expense
    PEMULIHAN = "pemulihan"  # recoveries after a write-off
    # The year end (product "shu"): where the year's result goes and how it is split.
    SHU_TAHUN_BERJALAN = "shu_tahun_berjalan"  # the closed year's result (equity)
    CADANGAN = "cadangan"  # the reserve (equity)
    UTANG_SHU = "utang_shu"  # members' shares until settled (liability, per member)
    DANA_PENGURUS = "dana_pengurus"
    DANA_KARYAWAN = "dana_karyawan"
    DANA_PENDIDIKAN = "dana_pendidikan"
    DANA_SOSIAL = "dana_sosial"
    DANA_PEMBANGUNAN_DAERAH = "dana_pembangunan_daerah"
    SELISIH_PEMBULATAN = "selisih_pembulatan"  # a pool nobody could take, by name


LOAN_PRODUCT: Final = "pinjaman"  # every loan product posts to the same accounts
SHU_PRODUCT: Final = "shu"  # the year end: closing entries and the SHU distribution


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
    LOAN_PRODUCT: {AccountRole.FUNDING: chart.KAS,
                   AccountRole.PIUTANG_POKOK: chart.PIUTANG_PINJAMAN,
                   AccountRole.PENDAPATAN_JASA: chart.PENDAPATAN_JASA_PINJAMAN,
                   AccountRole.PENDAPATAN_PROVISI: chart.PENDAPATAN_PROVISI,
                   AccountRole.PENDAPATAN_DENDA: chart.PENDAPATAN_DENDA,
                   AccountRole.CADANGAN_KERUGIAN: chart.CADANGAN_KERUGIAN_PIUTANG,
                   AccountRole.BEBAN_PENYISIHAN: chart.BEBAN_PENYISIHAN_PIUTANG,
                   AccountRole.PEMULIHAN: chart.PENDAPATAN_LAIN},
    SHU_PRODUCT: {AccountRole.SHU_TAHUN_BERJALAN: chart.SHU_TAHUN_BERJALAN,
                  AccountRole.CADANGAN: chart.CADANGAN,
                  AccountRole.UTANG_SHU: chart.UTANG_SHU_ANGGOTA,
                  AccountRole.DANA_PENGURUS: chart.DANA_PENGURUS,
                  AccountRole.DANA_KARYAWAN: chart.DANA_KARYAWAN,
                  AccountRole.DANA_PENDIDIKAN: chart.DANA_PENDIDIKAN,
                  AccountRole.DANA_SOSIAL: chart.DANA_SOSIAL,
                  AccountRole.DANA_PEMBANGUNAN_DAERAH: chart.DANA_PEMBANGUNAN_DAERAH,
                  AccountRole.SELISIH_PEMBULATAN: chart.SELISIH_PEMBULATAN},
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
