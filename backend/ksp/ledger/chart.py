"""The chart of accounts of a KSP under SAK EP. Simpanan pokok and wajib are equity;
simpanan sukarela is a liability to the member."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksp.ledger.models import Account, AccountType

KAS: Final = "1101"
BANK: Final = "1102"
PIUTANG_PINJAMAN: Final = "1201"
PIUTANG_JASA: Final = "1202"
CADANGAN_KERUGIAN_PIUTANG: Final = "1209"
SIMPANAN_SUKARELA: Final = "2101"
UTANG_SHU_ANGGOTA: Final = "2201"
DANA_PENGURUS: Final = "2301"
DANA_KARYAWAN: Final = "2302"
DANA_PENDIDIKAN: Final = "2303"
DANA_SOSIAL: Final = "2304"
DANA_PEMBANGUNAN_DAERAH: Final = "2305"
SIMPANAN_POKOK: Final = "3101"
SIMPANAN_WAJIB: Final = "3102"
CADANGAN: Final = "3201"
SHU_TAHUN_BERJALAN: Final = "3301"
PENDAPATAN_JASA_PINJAMAN: Final = "4101"
PENDAPATAN_PROVISI: Final = "4102"
PENDAPATAN_DENDA: Final = "4103"
PENDAPATAN_LAIN: Final = "4901"
BEBAN_JASA_SIMPANAN: Final = "5101"
BEBAN_GAJI: Final = "5201"
BEBAN_OPERASIONAL: Final = "5202"
BEBAN_PENYISIHAN_PIUTANG: Final = "5301"
SELISIH_PEMBULATAN: Final = "5901"  # where every rounding remainder lands, by name

# SavingsToken ids of the member savings accounts (1 unit = Rp 1).
SAVINGS_TOKEN_IDS: Final = {SIMPANAN_POKOK: 1, SIMPANAN_WAJIB: 2, SIMPANAN_SUKARELA: 3}

CHART: Final[list[tuple[str, str, str, AccountType, bool]]] = [
    (KAS, "Kas", "Cash", AccountType.ASSET, False),
    (BANK, "Bank", "Bank", AccountType.ASSET, False),
    (PIUTANG_PINJAMAN, "Piutang Pinjaman Anggota", "Member loans receivable",
     AccountType.ASSET, False),
    (PIUTANG_JASA, "Piutang Jasa Pinjaman", "Loan interest receivable", AccountType.ASSET, False),
    (CADANGAN_KERUGIAN_PIUTANG, "Cadangan Kerugian Piutang", "Allowance for loan losses",
     AccountType.ASSET, True),
    (SIMPANAN_SUKARELA, "Simpanan Sukarela", "Voluntary savings", AccountType.LIABILITY, False),
    (UTANG_SHU_ANGGOTA, "Utang SHU Anggota", "SHU payable to members", AccountType.LIABILITY,
     False),
    (DANA_PENGURUS, "Dana Pengurus", "Board fund", AccountType.LIABILITY, False),
    (DANA_KARYAWAN, "Dana Karyawan", "Staff fund", AccountType.LIABILITY, False),
    (DANA_PENDIDIKAN, "Dana Pendidikan", "Education fund", AccountType.LIABILITY, False),
    (DANA_SOSIAL, "Dana Sosial", "Social fund", AccountType.LIABILITY, False),
    (DANA_PEMBANGUNAN_DAERAH, "Dana Pembangunan Daerah Kerja", "Regional development fund",
     AccountType.LIABILITY, False),
    (SIMPANAN_POKOK, "Simpanan Pokok", "Principal savings", AccountType.EQUITY, False),
    (SIMPANAN_WAJIB, "Simpanan Wajib", "Compulsory savings", AccountType.EQUITY, False),
    (CADANGAN, "Cadangan", "Reserve", AccountType.EQUITY, False),
    (SHU_TAHUN_BERJALAN, "SHU Tahun Berjalan", "Current-year surplus", AccountType.EQUITY, False),
    (PENDAPATAN_JASA_PINJAMAN, "Pendapatan Jasa Pinjaman", "Loan interest income",
     AccountType.INCOME, False),
    (PENDAPATAN_PROVISI, "Pendapatan Provisi dan Administrasi", "Loan fees", AccountType.INCOME,
     False),
    (PENDAPATAN_DENDA, "Pendapatan Denda", "Late penalties", AccountType.INCOME, False),
    (PENDAPATAN_LAIN, "Pendapatan Lain-lain", "Other income", AccountType.INCOME, False),
    (BEBAN_JASA_SIMPANAN, "Beban Jasa Simpanan", "Interest on savings", AccountType.EXPENSE,
     False),
    (BEBAN_GAJI, "Beban Gaji", "Salaries", AccountType.EXPENSE, False),
    (BEBAN_OPERASIONAL, "Beban Operasional", "Operating expenses", AccountType.EXPENSE, False),
    (BEBAN_PENYISIHAN_PIUTANG, "Beban Penyisihan Piutang", "Loan loss provision",
     AccountType.EXPENSE, False),
    (SELISIH_PEMBULATAN, "Selisih Pembulatan", "Rounding differences", AccountType.EXPENSE, False),
]


def ensure_chart(session: Session) -> None:
    """Creates the accounts that are missing; existing ones are left as they are."""
    existing = {code for (code,) in session.query(Account.code)}
    for code, name_id, name_en, kind, contra in CHART:
        if code not in existing:
            session.add(Account(code=code, name_id=name_id, name_en=name_en, type=kind,
                                contra=contra))
    session.flush()


# Accounts are only ever added, and an account's type never changes, so what was read once
# stays true; a code not seen yet triggers one fresh read. Keyed by database URL.
_types_by_db: dict[str, dict[str, AccountType]] = {}


def account_types(session: Session, *, refresh: bool = False) -> dict[str, AccountType]:
    key = str(session.get_bind().engine.url)
    types = _types_by_db.get(key)
    if types is None or refresh:
        types = {row.code: row.type for row in session.execute(select(Account.code, Account.type))}
        _types_by_db[key] = types
    return types


def known_accounts(session: Session, codes: set[str]) -> set[str]:
    types = account_types(session)
    if not codes <= types.keys():
        types = account_types(session, refresh=True)
    return codes & types.keys()
