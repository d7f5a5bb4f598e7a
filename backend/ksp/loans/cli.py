"""`ksp loans close [--date D] --as USER`: the loans' daily close of business from the
command line (a nightly job sets KSP_ACTOR to a staff account), and `ksp loans portfolio`."""

from __future__ import annotations

import datetime as dt

import typer
from rich.console import Console
from rich.table import Table

from ksp.core.money import format_rupiah
from ksp.loans.close import CloseReport, close_day
from ksp.loans.portfolio import portfolio_on
from ksp.loans.quality import KOLEKTIBILITAS_LABEL
from ksp.pengurus_cli import ActorOption, DateOption, _date, _db, _write

console = Console()
loans_app = typer.Typer(no_args_is_help=True, help="Pinjaman (loans)")


def _last_seq(report: CloseReport) -> int | None:
    return report.days[-1].seq if report.days else None


@loans_app.command("close")
def loans_close(date: dt.datetime | None = DateOption, actor: str | None = ActorOption) -> None:
    """Tutup hari pinjaman sampai tanggal (default hari ini): denda, tunggakan,
    kolektibilitas, macet, penyisihan. Hari yang terlewat ditutup dulu; yang sudah, tidak."""
    day = _date(date)
    report: CloseReport = _write("loans close", lambda s, _user: close_day(s, day),
                                 actor=actor, seq_of=_last_seq)
    if not report.days:
        console.print(f"Sudah ditutup sampai / already closed through {day}.")
        return
    changes = sum(len(d.changes) for d in report.days)
    console.print(f"{len(report.days)} hari ditutup sampai / days closed through {day}: "
                  f"denda {format_rupiah(report.denda_total)}, {changes} perubahan "
                  f"kolektibilitas / class changes, macet: {report.defaulted or '-'}")


@loans_app.command("portfolio")
def loans_portfolio(date: dt.datetime | None = DateOption) -> None:
    """Portofolio: outstanding per kolektibilitas, NPL, kesehatan, penyisihan."""
    factory, _ = _db()
    with factory() as session:
        p = portfolio_on(session, _date(date))
    table = Table("Kolektibilitas", "Outstanding")
    for kelas, amount in p.by_class.items():
        table.add_row(KOLEKTIBILITAS_LABEL[kelas][0], format_rupiah(amount))
    console.print(table)
    npl = f"{p.npl_bps // 100},{p.npl_bps % 100:02d}%"
    console.print(f"NPL {npl} ({p.health_band}); penyisihan wajib / required "
                  f"{format_rupiah(p.provision_required)}, tercatat / posted "
                  f"{format_rupiah(p.provision_posted)}")
