"""The SHU arithmetic, pure: integer rupiah in, integer rupiah out, no database.

The one rounding rule is the largest remainder (`largest_remainder`): every part gets the
floor of its exact share, and the rupiah left over go one each to the largest fractional
parts, ties to the smaller key (member number, or the pool's place in `POOLS`). Shares
therefore add up to the whole exactly; only a pool with nobody to give it to (every base 0)
is left over, and the caller books that remainder to `chart.SELISIH_PEMBULATAN`.

Member a's share (DOMAIN.md): SHU_a = (Va/VUK)·JUA + (Sa/TMS)·JMA, allocated as one
largest-remainder split of JUA + JMA with the integer weight Va·TMS·JUA + Sa·VUK·JMA
(the same proportions with the common denominator VUK·TMS·(JUA+JMA) taken out).

The auditor's verifier imports this module: keep it free of the database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import rfc8785

from ksp.anchoring.merkle import keccak256
from ksp.shu.errors import SplitNotWhole

BPS = 10_000
# The pools of ShuSplit, in the order the tie-break follows.
POOLS: tuple[str, ...] = ("cadangan", "jasa_anggota", "pengurus", "karyawan", "pendidikan",
                          "sosial", "pembangunan_daerah")


class Settlement(enum.StrEnum):
    """How a member's share is settled, as the RAT decides."""

    SUKARELA = "sukarela"  # credited to simpanan sukarela
    TUNAI = "tunai"  # payable in cash: stays in utang SHU anggota
    WAJIB = "wajib"  # added to simpanan wajib


def largest_remainder(pool: int, bases: Mapping[int, int]) -> dict[int, int]:
    """`pool` split in proportion to `bases`, to the rupiah: the sum is `pool` exactly
    (all zeros when every base is 0: the caller books the pool as remainder). A larger base
    never gets less; ties go to the smaller key."""
    if pool < 0:
        raise ValueError("pool must not be negative")
    if any(base < 0 for base in bases.values()):
        raise ValueError("bases must not be negative")
    total = sum(bases.values())
    if total == 0:
        return dict.fromkeys(bases, 0)
    shares: dict[int, int] = {}
    fractions: dict[int, int] = {}
    for key, base in bases.items():
        shares[key], fractions[key] = divmod(pool * base, total)
    left = pool - sum(shares.values())
    # left * total == sum(fractions) and each fraction < total, so more than `left` keys
    # have a positive fraction: a zero base never gets a rupiah.
    for key in sorted(bases, key=lambda k: (-fractions[k], k))[:left]:
        shares[key] += 1
    return shares


def check_split(split: Mapping[str, int]) -> dict[str, int]:
    """The split as {pool: bps} for every pool of POOLS, non-negative, adding to 10,000."""
    if set(split) != set(POOLS) or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in split.values()):
        raise SplitNotWhole(total=sum(v for v in split.values() if isinstance(v, int)))
    total = sum(split.values())
    if total != BPS:
        raise SplitNotWhole(total=total)
    return {name: split[name] for name in POOLS}


@dataclass(frozen=True)
class Pools:
    shu: int
    split: dict[str, int]  # bps per pool
    jasa_usaha_bps: int  # JUA's share of jasa anggota; JMA has the rest
    amounts: dict[str, int]  # rupiah per pool, adding up to shu
    jasa_usaha: int  # JUA
    jasa_modal: int  # JMA

    def to_json(self) -> dict[str, Any]:
        return {"shu": self.shu, "split": self.split, "jasa_usaha_bps": self.jasa_usaha_bps,
                "amounts": self.amounts, "jasa_usaha": self.jasa_usaha,
                "jasa_modal": self.jasa_modal}


def pools_of(shu: int, split: Mapping[str, int], jasa_usaha_bps: int) -> Pools:
    """The year's SHU split into its pools, exact to the rupiah (largest remainder by the
    bps, ties in POOLS order); jasa anggota split the same way into JUA and JMA. A zero or
    negative SHU has every pool 0."""
    checked = check_split(split)
    if not 0 <= jasa_usaha_bps <= BPS:
        raise ValueError("jasa_usaha_bps must be within 0..10000")
    to_share = max(shu, 0)
    by_index = largest_remainder(to_share, {i: checked[name] for i, name in enumerate(POOLS)})
    amounts = {name: by_index[i] for i, name in enumerate(POOLS)}
    members = largest_remainder(amounts["jasa_anggota"],
                                {0: jasa_usaha_bps, 1: BPS - jasa_usaha_bps})
    return Pools(shu=shu, split=checked, jasa_usaha_bps=jasa_usaha_bps, amounts=amounts,
                 jasa_usaha=members[0], jasa_modal=members[1])


@dataclass(frozen=True)
class MemberInput:
    member: int
    savings_base: int  # Sa: pokok + wajib (rupiah-days for the average basis, or rupiah)
    interest_paid: int  # Va: jasa pinjaman paid in the year


@dataclass(frozen=True)
class Allocation:
    pools: Pools
    vuk: int  # everyone's interest paid
    tms: int  # everyone's savings base
    shares: dict[int, int]  # member -> rupiah
    remainder: int  # jasa anggota no member could take (to SELISIH_PEMBULATAN)

    @property
    def members_total(self) -> int:
        return sum(self.shares.values())


def allocate(pools: Pools, inputs: Sequence[MemberInput]) -> Allocation:
    """Every member's share of jasa anggota (module doc). A part whose total base is 0
    (nobody paid interest, or nobody saved) goes to the remainder."""
    vuk = sum(i.interest_paid for i in inputs)
    tms = sum(i.savings_base for i in inputs)
    jua = pools.jasa_usaha if vuk > 0 else 0
    jma = pools.jasa_modal if tms > 0 else 0
    weights = {i.member: i.interest_paid * (tms or 1) * jua + i.savings_base * (vuk or 1) * jma
               for i in inputs}
    shares = largest_remainder(jua + jma, weights)
    remainder = pools.amounts["jasa_anggota"] - sum(shares.values())
    return Allocation(pools=pools, vuk=vuk, tms=tms, shares=shares, remainder=remainder)


def exact_share(pools: Pools, vuk: int, tms: int, member: MemberInput) -> Fraction:
    """SHU_a before rounding, straight from the DOMAIN.md formula."""
    share = Fraction(0)
    if vuk > 0:
        share += Fraction(member.interest_paid, vuk) * pools.jasa_usaha
    if tms > 0:
        share += Fraction(member.savings_base, tms) * pools.jasa_modal
    return share


def exact_sen(pools: Pools, vuk: int, tms: int, member: MemberInput) -> int:
    """`exact_share` in sen (1/100 rupiah), rounded half-up, in integers only (for showing
    the formula beside the share; the same value as rounding the Fraction)."""
    jua = pools.jasa_usaha if vuk > 0 else 0
    jma = pools.jasa_modal if tms > 0 else 0
    denominator = (vuk or 1) * (tms or 1)
    numerator = member.interest_paid * (tms or 1) * jua + member.savings_base * (vuk or 1) * jma
    return (200 * numerator + denominator) // (2 * denominator)


ZERO_SHU = ("SHU tahun ini nol atau rugi", "This year's SHU is zero or a loss")
NO_SAVINGS = ("tidak ada simpanan pokok+wajib sepanjang tahun",
              "no simpanan pokok+wajib during the year")
NO_INTEREST = ("tidak membayar jasa pinjaman", "paid no loan interest")
ROUNDED_AWAY = ("bagian kurang dari Rp 1 setelah pembulatan",
                "the share is below Rp 1 after rounding")


def zero_reasons(shu: int, member: MemberInput, share: int) -> list[tuple[str, str]]:
    """Why a member gets nothing (empty when the share is positive)."""
    if share > 0:
        return []
    if shu <= 0:
        return [ZERO_SHU]
    reasons = []
    if member.savings_base == 0:
        reasons.append(NO_SAVINGS)
    if member.interest_paid == 0:
        reasons.append(NO_INTEREST)
    return reasons or [ROUNDED_AWAY]


def figures(*, fiscal_year: int, pools: Pools, settlement: Settlement) -> dict[str, Any]:
    """What the RAT's SHU agenda item carries and approves: the pool and the split."""
    return {"fiscal_year": fiscal_year, "shu": pools.shu, "split": pools.split,
            "jasa_usaha_bps": pools.jasa_usaha_bps, "amounts": pools.amounts,
            "jasa_usaha": pools.jasa_usaha, "jasa_modal": pools.jasa_modal,
            "settlement": settlement.value}


MAX_FIGURE = 2**53 - 1  # JSON numbers every wallet page reads exactly
FIGURE_KEYS = frozenset({"fiscal_year", "shu", "split", "jasa_usaha_bps", "amounts",
                         "jasa_usaha", "jasa_modal", "settlement"})


def _whole(value: Any, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_FIGURE


def figures_problem(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why `values` is not in the shape `figures` gives (Indonesian, English), or None.
    Amounts and percentages are integers (no floats); only the SHU may be negative."""
    if set(values) != FIGURE_KEYS:
        return ("kunci harus " + ", ".join(sorted(FIGURE_KEYS)),
                "the keys must be " + ", ".join(sorted(FIGURE_KEYS)))
    if not (_whole(values["fiscal_year"], 1900) and values["fiscal_year"] <= 2100):
        return "tahun buku 1900..2100", "the fiscal year must be 1900..2100"
    if not _whole(values["shu"], -MAX_FIGURE):
        return "SHU harus bilangan bulat rupiah", "the SHU must be an integer of rupiah"
    for name in ("jasa_usaha", "jasa_modal"):
        if not _whole(values[name]):
            return f"{name} harus bilangan bulat 0..2^53-1", f"{name} must be an integer"
    if not (_whole(values["jasa_usaha_bps"]) and values["jasa_usaha_bps"] <= BPS):
        return "jasa_usaha_bps harus 0..10000", "jasa_usaha_bps must be 0..10000"
    for name in ("split", "amounts"):
        part = values[name]
        if not (isinstance(part, Mapping) and set(part) == set(POOLS)
                and all(_whole(v) for v in part.values())):
            return (f"{name} harus memuat setiap pool dengan bilangan bulat",
                    f"{name} must hold every pool as an integer")
    if sum(values["split"].values()) != BPS:
        return "pembagian harus berjumlah 10.000 bps", "the split must add up to 10,000 bps"
    if values["settlement"] not in {s.value for s in Settlement}:
        return ("penyelesaian harus sukarela, tunai atau wajib",
                "the settlement must be sukarela, tunai or wajib")
    pools = pools_of(values["shu"], values["split"], values["jasa_usaha_bps"])
    if (values["amounts"], values["jasa_usaha"], values["jasa_modal"]) != (
            pools.amounts, pools.jasa_usaha, pools.jasa_modal):
        return ("jumlah per pool tidak sesuai SHU dan pembagiannya",
                "the pool amounts do not follow from the SHU and the split")
    return None


def figures_hash(values: Mapping[str, Any]) -> str:
    """keccak256 of the RFC 8785 canonical JSON of the figures, 0x-hex."""
    return "0x" + keccak256(rfc8785.dumps(dict(values))).hex()
