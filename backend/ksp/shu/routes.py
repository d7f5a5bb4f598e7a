"""The year end over HTTP: close the year, simulate and propose the SHU, distribute it after
the RAT, and a member's SHU line with its inputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ksp.api.deps import (
    CurrentPrincipal,
    MemberNumber,
    SessionDep,
    Writer,
    require_member_access,
    require_roles,
    writer_for,
)
from ksp.api.openapi import error_responses
from ksp.auth.service import APPROVE, READ_ALL
from ksp.core.errors import Forbidden
from ksp.core.money import format_rupiah
from ksp.ledger.dates import POSTING_DATE_ERRORS, CloseNotPast, DateOutOfRange
from ksp.ledger.errors import PeriodClosed
from ksp.printing.render import to_csv
from ksp.shu import service
from ksp.shu.calc import POOLS, Settlement
from ksp.shu.errors import (
    EarlierYearNotClosed,
    NothingToDistribute,
    ProvisionsNotPosted,
    SameCalculatorAndApprover,
    ShuAlreadyDistributed,
    ShuAlreadyProposed,
    ShuApprovalMismatch,
    ShuApprovalNotAnchored,
    ShuLineNotFound,
    ShuNotApproved,
    ShuNotProposed,
    SplitNotWhole,
    YearAlreadyClosed,
    YearNotClosed,
    YearNotEnded,
)

router = APIRouter(prefix="/api/v1", tags=["shu"])
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
BoardWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]
Year = Annotated[int, Path(ge=1900, le=2099, description="Tahun buku / fiscal year")]
YearQuery = Annotated[int, Query(ge=1900, le=2099, description="Tahun buku / fiscal year")]
CSV = "text/csv; charset=utf-8"


class YearClosed(BaseModel):
    fiscal_year: int
    since: dt.date
    through: dt.date
    shu: int = Field(description="SHU tahun berjalan yang ditutup / the year's result")
    shu_text: str
    seq: int = Field(description="Entri log penutupan / the closing's log entry")


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadangan: int = Field(ge=0, le=10_000)
    jasa_anggota: int = Field(ge=0, le=10_000)
    pengurus: int = Field(ge=0, le=10_000)
    karyawan: int = Field(ge=0, le=10_000)
    pendidikan: int = Field(ge=0, le=10_000)
    sosial: int = Field(ge=0, le=10_000)
    pembangunan_daerah: int = Field(ge=0, le=10_000)


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    split: SplitIn | None = Field(None, description="bps per pool (total 10.000); default AD/ART")
    jasa_usaha_bps: int | None = Field(None, ge=0, le=10_000,
                                       description="Porsi jasa usaha dari jasa anggota")
    settlement: Settlement = Field(Settlement.SUKARELA,
                                   description="sukarela | tunai | wajib")


class PoolOut(BaseModel):
    name: str
    bps: int
    amount: int
    amount_text: str


class MemberShareOut(BaseModel):
    member: int
    savings_base: int = Field(description="Basis jasa modal (Sa) / jasa modal base")
    savings_average: int = Field(description="Rata-rata saldo harian pokok+wajib (dibulatkan)")
    savings_year_end: int
    interest_paid: int = Field(description="Jasa pinjaman dibayar (Va) / interest paid")
    share: int
    share_text: str
    exact: str = Field(description="Rumus sebelum pembulatan / the formula before rounding")
    reasons: list[str] = Field(description="Mengapa nol / why zero")
    reasons_en: list[str]


class SimulationOut(BaseModel):
    fiscal_year: int
    since: dt.date
    through: dt.date
    shu: int
    shu_text: str
    savings_basis: str
    days: int
    pools: list[PoolOut]
    jasa_usaha: int
    jasa_modal: int
    jasa_usaha_bps: int
    vuk: int
    tms: int
    members_total: int
    remainder: int = Field(description="Ke selisih pembulatan / to the rounding account")
    settlement: str
    figures: dict[str, Any]
    figures_hash: str = Field(description="keccak256 dari JSON kanonik (RFC 8785) figures")
    proposed_by: str | None
    proposal_seq: int | None
    members: list[MemberShareOut]


class DistributionOut(BaseModel):
    fiscal_year: int
    seq: int
    rat_seq: int
    members_total: int
    members_total_text: str
    remainder: int
    lines: int
    settlement: str


class MemberShuOut(BaseModel):
    member: int
    fiscal_year: int
    amount: int
    amount_text: str
    seq: int | None = Field(description="Entri log baris SHU / the SHU line's log entry")
    inputs: dict[str, Any]
    recomputed: str = Field(description="Dihitung ulang dari inputs / recomputed from inputs")
    reasons: list[str]
    reasons_en: list[str]


def _closed(row: Any) -> dict[str, Any]:
    return {"fiscal_year": row.fiscal_year, "since": row.since.isoformat(),
            "through": row.through.isoformat(), "shu": row.shu,
            "shu_text": format_rupiah(row.shu), "seq": row.closing_seq}


def _simulation(sim: service.Simulation) -> dict[str, Any]:
    pools, alloc = sim.allocation.pools, sim.allocation
    return {
        "fiscal_year": sim.row.fiscal_year, "since": sim.row.since.isoformat(),
        "through": sim.row.through.isoformat(), "shu": sim.row.shu,
        "shu_text": format_rupiah(sim.row.shu), "savings_basis": sim.basis.value,
        "days": sim.days,
        "pools": [{"name": name, "bps": pools.split[name], "amount": pools.amounts[name],
                   "amount_text": format_rupiah(pools.amounts[name])} for name in POOLS],
        "jasa_usaha": pools.jasa_usaha, "jasa_modal": pools.jasa_modal,
        "jasa_usaha_bps": pools.jasa_usaha_bps, "vuk": alloc.vuk, "tms": alloc.tms,
        "members_total": alloc.members_total, "remainder": alloc.remainder,
        "settlement": sim.figures["settlement"], "figures": sim.figures,
        "figures_hash": sim.figures_hash, "proposed_by": sim.row.proposed_by,
        "proposal_seq": sim.row.proposal_seq,
        "members": [{
            "member": m.base.input.member, "savings_base": m.base.input.savings_base,
            "savings_average": m.base.savings_rupiah_days // sim.days,
            "savings_year_end": m.base.savings_year_end,
            "interest_paid": m.base.input.interest_paid, "share": m.share,
            "share_text": format_rupiah(m.share), "exact": m.exact,
            "reasons": [i for i, _ in m.reasons], "reasons_en": [e for _, e in m.reasons],
        } for m in sim.members]}


@router.post("/shu/{year}/close", response_model=YearClosed,
             responses=error_responses(YearNotEnded, YearAlreadyClosed, ProvisionsNotPosted,
                                       EarlierYearNotClosed,
                                       PeriodClosed, CloseNotPast, DateOutOfRange,
                                       *POSTING_DATE_ERRORS))
def close_year(year: Year, writer: BoardWriter) -> Any:
    """Tutup buku tahun buku (pengurus): income and expense into SHU tahun berjalan, then
    the books closed through the year's last day. Needs an Idempotency-Key header."""
    def act(session: Any) -> tuple[int, Any, int]:
        row = service.close_year(session, year)
        return 200, _closed(row), row.closing_seq

    return writer.run({"year": year}, act)


@router.get("/shu/{year}/simulation", response_model=SimulationOut,
            responses=error_responses(YearNotClosed, DateOutOfRange, SplitNotWhole))
def simulation(year: Year, session: SessionDep, _r: Reader) -> Any:
    """Simulasi SHU of a closed year: the proposal's split, or the AD/ART's before one."""
    return _simulation(service.simulate(session, year))


SIMULATION_HEADER = ["anggota", "basis_jasa_modal", "rata_rata_pokok_wajib",
                     "saldo_akhir_pokok_wajib", "jasa_pinjaman_dibayar", "shu_anggota",
                     "rumus_sebelum_pembulatan", "alasan_nol"]


@router.get("/shu/{year}/simulation.csv", response_class=Response,
            responses={200: {"description": "CSV UTF-8 dengan BOM, pemisah `;`",
                             "content": {"text/csv": {"schema": {"type": "string",
                                                                 "format": "binary"}}}},
                       **error_responses(YearNotClosed, DateOutOfRange, SplitNotWhole)})
def simulation_csv(year: Year, session: SessionDep, _r: Reader) -> Response:
    sim = service.simulate(session, year)
    rows = [[m.base.input.member, m.base.input.savings_base,
             m.base.savings_rupiah_days // sim.days, m.base.savings_year_end,
             m.base.input.interest_paid, m.share, m.exact, "; ".join(i for i, _ in m.reasons)]
            for m in sim.members]
    return Response(to_csv(SIMULATION_HEADER, rows), media_type=CSV, headers={
        "Content-Disposition": f'attachment; filename="simulasi-shu-{year}.csv"'})


@router.post("/shu/{year}/proposal", status_code=201, response_model=SimulationOut,
             responses=error_responses(YearNotClosed, ShuAlreadyProposed, SplitNotWhole,
                                       DateOutOfRange))
def propose(year: Year, body: ProposalIn, writer: BoardWriter) -> Any:
    """Usulan pembagian SHU for the RAT's agenda (pengurus; this one is the calculator):
    the figures and their hash go on the log. Needs an Idempotency-Key header."""
    def act(session: Any) -> tuple[int, Any, int | None]:
        sim = service.propose(session, year, actor=writer.principal.actor,
                              split=body.split.model_dump() if body.split else None,
                              jasa_usaha_bps=body.jasa_usaha_bps, settlement=body.settlement)
        return 201, _simulation(sim), sim.row.proposal_seq

    return writer.run(body.model_dump(mode="json") | {"year": year}, act)


@router.post("/shu/{year}/distribution", status_code=201, response_model=DistributionOut,
             responses=error_responses(YearNotClosed, ShuNotProposed, ShuNotApproved,
                                       ShuApprovalNotAnchored, SameCalculatorAndApprover,
                                       ShuAlreadyDistributed, SplitNotWhole,
                                       ShuApprovalMismatch, NothingToDistribute,
                                       PeriodClosed, DateOutOfRange, *POSTING_DATE_ERRORS))
def distribute(year: Year, writer: BoardWriter) -> Any:
    """Pembagian SHU after the RAT approved it (pengurus other than the calculator), with
    exactly the approved percentages. Needs an Idempotency-Key header."""
    def act(session: Any) -> tuple[int, Any, int]:
        done = service.distribute(session, year, actor=writer.principal.actor)
        return 201, {"fiscal_year": year, "seq": done.seq, "rat_seq": done.rat_seq,
                     "members_total": done.members_total,
                     "members_total_text": format_rupiah(done.members_total),
                     "remainder": done.remainder, "lines": done.lines,
                     "settlement": done.settlement.value}, done.seq

    return writer.run({"year": year}, act)


@router.get("/members/{number}/shu", response_model=MemberShuOut,
            responses=error_responses(YearNotClosed, ShuLineNotFound, Forbidden,
                                      DateOutOfRange))
def member_shu(number: MemberNumber, year: YearQuery, principal: CurrentPrincipal,
               session: SessionDep) -> Any:
    """A member's SHU of a distributed year, with the inputs to recompute it."""
    require_member_access(principal, number)
    found = service.member_shu(session, member=number, year=year)
    return {"member": number, "fiscal_year": year, "amount": found.amount,
            "amount_text": format_rupiah(found.amount), "seq": found.seq,
            "inputs": found.inputs, "recomputed": found.recomputed,
            "reasons": [i for i, _ in found.reasons], "reasons_en": [e for _, e in found.reasons]}
