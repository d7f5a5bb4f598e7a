"""The payroll import over HTTP: the file is the raw request body (CSV or XLSX), the
period and date are query parameters. No multipart: the server has no multipart parser."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from ksp.api.deps import CipherDep, FactoryDep, SessionDep, Writer, require_roles, writer_for
from ksp.api.errors import BodyTooLarge, InvalidUtf8
from ksp.api.openapi import error_responses
from ksp.api.types import INT64_MAX, QueryDate, clean_text
from ksp.auth.service import READ_ALL, WRITE
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.errors import InvalidInput
from ksp.ledger.dates import POSTING_DATE_ERRORS
from ksp.ledger.errors import PeriodClosed
from ksp.payroll import service
from ksp.payroll.errors import (
    FileEmpty,
    FileMalformed,
    FileNotUtf8,
    FormatNotSupported,
    HeaderInvalid,
    ImportNotFound,
    InvalidPeriod,
    TooManyLines,
)
from ksp.printing.render import to_csv

PATH = "/api/v1/payroll-imports"
CONSOLE_PATH = "/staff/potong-gaji/unggah"  # the console page's upload (ksp.console.potong_gaji)
# The body guard gives these POST paths KSP_MAX_UPLOAD_BYTES instead of KSP_MAX_BODY_BYTES.
UPLOAD_PATHS = frozenset({PATH, CONSOLE_PATH})
router = APIRouter(prefix="/api/v1", tags=["potong gaji"])
ImportWriter = Annotated[Writer, Depends(writer_for(*WRITE))]
Reader = Annotated[Any, Depends(require_roles(*READ_ALL))]
ImportId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Nomor impor / import id")]
Period = Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", min_length=7,
                              max_length=7, description="Bulan potongan / month, YYYY-MM")]
FileName = Annotated[str | None, Query(max_length=200,
                                       description="Nama berkas / file name, for the record")]
Alasan = Annotated[str | None, Query(max_length=200, description=(
    "Alasan bila tanggal sebelum hari ini (default: 'Potong gaji periode YYYY-MM') / "
    "reason for a past date"))]
CSV_TYPES = frozenset({"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel"})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_ERRORS = (FileNotUtf8, FormatNotSupported, FileEmpty, HeaderInvalid, FileMalformed,
               TooManyLines, InvalidPeriod, BodyTooLarge, InvalidUtf8, PeriodClosed,
               *POSTING_DATE_ERRORS)
UPLOAD_BODY = {"requestBody": {"required": True, "description": (
    "CSV UTF-8 (BOM boleh), pemisah ; atau ,, atau XLSX (lembar pertama); kolom "
    "nomor_anggota atau nik, wajib, sukarela / UTF-8 CSV (BOM allowed), ; or , separated, "
    "or XLSX (the first sheet); columns nomor_anggota or nik, wajib, sukarela. At most "
    "KSP_MAX_UPLOAD_BYTES (16 MiB)."),
    "content": {"text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


class UnknownColumnOut(BaseModel):
    name: str
    filled: int = Field(description="Baris berisi / lines with a value (not posted)")


class PayrollImportOut(BaseModel):
    id: int
    file_sha256: str
    file_name: str | None
    period: str
    tanggal: str
    status: str = Field(description="berjalan | selesai")
    lines: int = Field(description="Baris data di berkas / data lines in the file")
    posted_lines: int
    postings: int = Field(description="Entri log ditulis / log entries written")
    posted_amount: int
    posted_amount_text: str
    already_imported: int = Field(description="Sudah diimpor / already imported lines")
    rejected: int
    unknown_columns: list[UnknownColumnOut]
    message: str
    message_en: str


async def uploaded_file(request: Request) -> bytes:
    """The uploaded CSV or XLSX (the body guard has bounded its size; the parser tells the
    two apart by their first bytes); read from the request, so the document describes the
    body, not a Content-Type parameter."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in CSV_TYPES and media != XLSX:
        raise FormatNotSupported(what=(media or "(none)")[:80])
    return await request.body()


UploadedFile = Annotated[bytes, Depends(uploaded_file)]


def _text(value: str | None, field: str) -> str | None:
    """A query text as a body's OptionalText: blank is not given, the rest clean."""
    if value is None or not value.strip():
        return None
    try:
        return clean_text(value)
    except ValueError as exc:
        raise InvalidInput(field=field, reason_id="berisi karakter yang tidak diizinkan",
                           reason_en=str(exc)) from exc


@router.post("/payroll-imports", status_code=201, response_model=PayrollImportOut,
             responses=error_responses(*FILE_ERRORS), openapi_extra=UPLOAD_BODY)
def create_import(writer: ImportWriter, data: UploadedFile, factory: FactoryDep,
                  cipher: CipherDep, period: Period, tanggal: QueryDate = None,
                  alasan: Alasan = None, nama_berkas: FileName = None) -> Any:
    """Impor potong gaji: every line checked first, then the good lines post as deposits
    (to Bank). Lines already imported from this file post nothing; the reply counts them.
    Needs an Idempotency-Key header; a retry with it answers the same import."""
    alasan, nama_berkas = _text(alasan, "alasan"), _text(nama_berkas, "nama_berkas")
    return run_import(writer, factory, cipher, data, period=period,
                      on=tanggal or clock.today(), alasan=alasan, nama_berkas=nama_berkas)


def run_import(writer: Writer, factory: sessionmaker[Session], cipher: PiiCipher, data: bytes,
               *, period: str, on: dt.date, alasan: str | None, nama_berkas: str | None
               ) -> dict[str, Any]:
    """Check the file, start the import under the writer's key, post it, report it (the
    API's upload and the console's page alike)."""
    checked, reason = service.prepare(factory, cipher, data, period=period, on=on,
                                      reason=alasan)
    principal = writer.principal

    def act(session: Any) -> tuple[int, Any, int | None]:
        row = service.start(session, checked, actor=principal.actor,
                            role=principal.role.value, file_name=nama_berkas)
        return 201, {"id": row.id}, None

    started = writer.run({"sha256": checked.file.sha256, "period": checked.period,
                          "tanggal": on.isoformat(), "alasan": alasan,
                          "nama_berkas": nama_berkas}, act)
    return service.complete(factory, int(started["id"]), checked, reason,
                            actor=principal.actor, role=principal.role.value,
                            action=f"POST {PATH} selesai")


@router.get("/payroll-imports/{import_id}", response_model=PayrollImportOut,
            responses=error_responses(ImportNotFound))
def get_import(import_id: ImportId, session: SessionDep,
               _r: Reader) -> Any:
    """Hasil impor / the import's counts."""
    return service.summary(service.get_import(session, import_id))


@router.get("/payroll-imports/{import_id}/rejects.csv", response_class=Response,
            responses={200: {"description": (
                "Baris ditolak: CSV UTF-8 dengan BOM, pemisah `;` / rejected lines: UTF-8 CSV "
                "with BOM, `;`-separated"),
                "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}},
                **error_responses(ImportNotFound)})
def rejects_csv(import_id: ImportId, session: SessionDep,
                _r: Reader) -> Response:
    """Laporan baris ditolak untuk juru bayar / the rejects report for the paymaster:
    line, member as given, code, reason in Bahasa Indonesia and English."""
    table = service.rejects_table(session, import_id)
    return Response(to_csv(service.REJECTS_HEADER, table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="potong-gaji-{import_id}-ditolak.csv"'})
