"""`ksp import payroll FILE --period YYYY-MM --as USER`: the paymaster's file from the
command line, with a progress bar; the rejects report is written next to the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ksp.audit import service as audit
from ksp.auth.service import WRITE
from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.settings import get_settings
from ksp.payroll import service
from ksp.pengurus_cli import ActorOption, ReasonOption, _acting
from ksp.printing.render import to_csv

console = Console()
import_app = typer.Typer(no_args_is_help=True, help="Impor berkas (file imports)")
ACTION = "payroll import"


def rejects_path(file: Path) -> Path:
    return file.with_name(f"{file.stem}.ditolak.csv")


@import_app.command("payroll")
def import_payroll(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="CSV UTF-8 dari juru bayar / the paymaster's CSV"),
    period: str = typer.Option(..., "--period", "--periode",
                               help="Bulan potongan / month, YYYY-MM"),
    tanggal: dt.datetime | None = typer.Option(
        None, "--tanggal", "--date", formats=["%Y-%m-%d"],
        help="Tanggal buku / posting date, YYYY-MM-DD (default: hari ini / today)"),
    alasan: str | None = ReasonOption,
    actor: str | None = ActorOption,
) -> None:
    """Potong gaji: simpanan wajib/sukarela seluruh anggota dari satu berkas."""
    settings = get_settings()
    _engine, factory = open_database(settings)
    cipher = PiiCipher(settings.pii_key_bytes())
    on = tanggal.date() if tanggal else clock.today()
    with factory() as session:  # who acts, before the file is even read
        _acting(session, actor, WRITE, ACTION)
    checked, reason = service.prepare(factory, cipher, file.read_bytes(), period=period,
                                      on=on, reason=alasan)
    console.print(f"{len(checked.file.lines)} baris dibaca / lines read: "
                  f"{len(checked.good)} baik / good, {len(checked.rejects)} ditolak / rejected")
    with transaction(factory) as session:
        user = _acting(session, actor, WRITE, ACTION)
        row = service.start(session, checked, actor=user.username, role=user.role.value,
                            file_name=file.name[:200])
        audit.record(session, actor=user.username, role=user.role.value,
                     action=f"cli: {ACTION}", status_code=201,
                     target=f"payroll-import:{row.id}")
        import_id, username, role = row.id, user.username, user.role.value
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("Memposting / posting", total=len(checked.good))
        result = service.complete(factory, import_id, checked, reason, actor=username,
                                  role=role, action=f"cli: {ACTION} selesai",
                                  progress=lambda n: bar.advance(task, n))
    console.print(f"Impor / import {result['id']}: {result['message']}")
    console.print(f"[dim]{result['message_en']}[/dim]")
    if result["rejected"]:
        with factory() as session:
            table = service.rejects_table(session, import_id)
        target = rejects_path(file)
        target.write_text(to_csv(service.REJECTS_HEADER, table), encoding="utf-8")
        console.print(f"Laporan baris ditolak / rejects report: {target}")
