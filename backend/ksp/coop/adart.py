"""AD/ART settings with the defaults of DOMAIN.md. Money in whole rupiah, rates in basis
points (1% = 100 bps); the law sets none of these, the members' meeting does."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

BPS = 10_000


class WajibPeriod(StrEnum):
    MONTHLY = "monthly"


class SavingsBasis(StrEnum):
    AVERAGE = "average"
    YEAR_END = "year_end"


class QuorumBasis(StrEnum):
    """Who counts toward the RAT quorum (docs/RAT.md, "Quorum")."""

    PARTICIPANTS = "participants"  # present in person, or a ballot online (own or by proxy)
    IN_PERSON = "in_person"  # only those present in the hall


class AmendmentBasis(StrEnum):
    """What an AD/ART amendment's threshold is a share of."""

    PRESENT = "present"  # every participant of the meeting ("2/3 of those present")
    CAST = "cast"  # the for and against votes on the item


class ShuSplit(BaseModel):
    """Shares of the year's SHU in bps; they must add up to 10,000.

    The "typical AD split" in DOMAIN.md (40/40/5/5/5/5/5) adds up to 105%, so it cannot be
    a default; jasa anggota takes 35% here and the RAT sets the real split every year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cadangan: int = 4000
    jasa_anggota: int = 3500
    pengurus: int = 500
    karyawan: int = 500
    pendidikan: int = 500
    sosial: int = 500
    pembangunan_daerah: int = 500

    @model_validator(mode="after")
    def _sums_to_whole(self) -> ShuSplit:
        total = sum(self.model_dump().values())
        if total != BPS:
            raise ValueError(f"SHU split must total 10000 bps, got {total}")
        return self


class LoanClassDays(BaseModel):
    """Days-past-due thresholds (OJK five classes): the first day of each class."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dpk: int = 1
    kurang_lancar: int = 91
    diragukan: int = 121
    macet: int = 181

    @model_validator(mode="after")
    def _increasing(self) -> LoanClassDays:
        if not 0 < self.dpk < self.kurang_lancar < self.diragukan < self.macet:
            raise ValueError("loan class thresholds must increase")
        return self


class AdArt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    simpanan_pokok: int = Field(100_000, gt=0, le=10**12)
    simpanan_wajib: int = Field(50_000, gt=0, le=10**12)
    wajib_period: WajibPeriod = WajibPeriod.MONTHLY
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    rat_quorum_bps: int = Field(5000, gt=0, le=BPS)
    rat_notice_days: int = Field(14, ge=0, le=365)
    proxy_allowed: bool = True
    proxy_max_principals: int = Field(1, ge=0, le=50)
    shu_split: ShuSplit = ShuSplit()
    shu_jasa_usaha_bps: int = Field(7000, ge=0, le=BPS)  # JUA share; JMA gets the rest
    shu_savings_basis: SavingsBasis = SavingsBasis.AVERAGE
    loan_class_days: LoanClassDays = LoanClassDays()
    repayment_order: tuple[str, ...] = ("denda", "jasa", "pokok")
    admin_fee_bps: int = Field(100, ge=0, le=BPS)
    denda_bps_per_month: int = Field(200, ge=0, le=BPS)
    related_party_cap_bps: int = Field(1000, ge=0, le=BPS)  # Permenkop 8/2023: 10% of capital
    pengurus_term_years: int = Field(5, ge=1, le=5)  # UU 25/1992 Pasal 29(4): at most 5
    # RAT decisions (docs/RAT.md): an item passes when its "for" votes are MORE than
    # threshold_bps of the base. Ordinary items (LPJ, SHU, motions): the base is for+against
    # and 5000 is a simple majority. AD/ART amendments: 6666 is "at least 2/3" exactly for
    # every base up to 5,000 voters. Elections: the k candidates with most votes.
    rat_majority_bps: int = Field(5000, ge=0, lt=BPS)
    rat_amendment_bps: int = Field(6666, ge=0, lt=BPS)
    rat_amendment_basis: AmendmentBasis = AmendmentBasis.PRESENT
    rat_quorum_basis: QuorumBasis = QuorumBasis.PARTICIPANTS
    # Decidim's rule: a member present in the hall may vote again on paper, and that vote
    # replaces their online ballot on the item. False: an online voter cannot vote in person.
    rat_in_person_overrides_online: bool = True

    @model_validator(mode="after")
    def _repayment_order(self) -> AdArt:
        if sorted(self.repayment_order) != ["denda", "jasa", "pokok"]:
            raise ValueError("repayment_order must list denda, jasa and pokok once each")
        return self
