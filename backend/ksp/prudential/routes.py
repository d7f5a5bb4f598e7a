"""GET /api/v1/reports/prudential (JSON), .pdf and .csv: staff and pengawas read them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ksp.api.deps import SessionDep, SettingsDep, require_roles
from ksp.api.openapi import error_responses
from ksp.api.types import QueryDate
from ksp.auth.service import READ_ALL
from ksp.core import clock
from ksp.printing.render import to_csv
from ksp.prudential import document
from ksp.prudential.errors import BeforeFounding, NoRecordsYet
from ksp.prudential.service import prudential_on

router = APIRouter(prefix="/api/v1/reports", tags=["laporan"])
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
ERRORS = (BeforeFounding, NoRecordsYet)


class RatioOut(BaseModel):
    pembilang: int
    penyebut: int
    bps: int | None = Field(description="Dibulatkan setengah ke atas; null bila penyebut nol / "
                                        "rounded half-up; null when the denominator is zero")
    persen: str


class SaldoOut(BaseModel):
    kas: int
    bank: int
    kewajiban_jangka_pendek: int
    modal_sendiri: int
    total_aset: int
    pinjaman: int
    simpanan_anggota: int


class ExposureOut(BaseModel):
    anggota: int
    outstanding: int
    bmpp: int
    kelebihan: int


class PrudentialOut(BaseModel):
    tanggal: dt.date
    npl_bps: int
    npl_persen: str
    kesehatan: str
    kesehatan_en: str
    likuiditas: RatioOut
    modal_sendiri_per_aset: RatioOut
    pinjaman_per_simpanan: RatioOut
    pihak_terkait_per_modal: RatioOut
    saldo: SaldoOut
    pinjaman_beredar: int
    pihak_terkait: int
    batas_pihak_terkait: int
    batas_pihak_terkait_bps: int
    pihak_terkait_dalam_batas: bool
    penyisihan_wajib: int
    penyisihan_tercatat: int
    penyisihan_kurang: int = Field(description="Wajib - tercatat / required - posted")
    melebihi_bmpp: list[ExposureOut]


def _file(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _binary(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": what,
                  "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/prudential", response_model=PrudentialOut, responses=error_responses(*ERRORS))
def prudential(session: SessionDep, _r: Reader, date: QueryDate = None) -> Any:
    """Rasio kehatian pada `date` (default hari ini) / the prudential figures on a date."""
    return document.as_dict(prudential_on(session, date or clock.today()))


@router.get("/prudential.pdf", response_class=Response,
            responses=_binary("application/pdf", "Laporan PDF / report as PDF")
            | error_responses(*ERRORS))
def prudential_pdf(session: SessionDep, settings: SettingsDep, _r: Reader,
                   date: QueryDate = None) -> Response:
    day = date or clock.today()
    figures = prudential_on(session, day)
    return _file(document.pdf(session, settings.coop_name, figures), "application/pdf",
                 f"prudensial-{day}.pdf")


@router.get("/prudential.csv", response_class=Response,
            responses=_binary("text/csv", "CSV UTF-8 dengan BOM, pemisah `;`")
            | error_responses(*ERRORS))
def prudential_csv(session: SessionDep, _r: Reader, date: QueryDate = None) -> Response:
    day = date or clock.today()
    rows = document.table(prudential_on(session, day))
    return _file(to_csv(document.HEADER, rows), "text/csv; charset=utf-8",
                 f"prudensial-{day}.csv")
