"""CLI commands for the pengurus: members, savings, reports, staff, demo data."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ksp.audit import service as audit
from ksp.auth.models import Role
from ksp.auth.service import create_staff, set_staff_active
from ksp.bootstrap import open_database
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.errors import KspError
from ksp.core.money import format_rupiah
from ksp.core.settings import get_settings
from ksp.ledger import reports
from ksp.members import service as members
from ksp.members.models import Member
from ksp.savings import service as savings
from ksp.savings.service import Jenis

console = Console()
member_app = typer.Typer(no_args_is_help=True, help="Anggota (members)")
savings_app = typer.Typer(no_args_is_help=True, help="Simpanan (savings)")
report_app = typer.Typer(no_args_is_help=True, help="Laporan (reports)")
staff_app = typer.Typer(no_args_is_help=True, help="Pengguna staf (staff users)")
demo_app = typer.Typer(no_args_is_help=True, help="Data contoh (demo data)")


def _db() -> tuple[sessionmaker[Session], PiiCipher]:
    settings = get_settings()
    _engine, factory = open_database(settings)
    return factory, PiiCipher(settings.pii_key_bytes())


def _write(action: str, work: Callable[[Session], Any]) -> Any:
    """One transaction with its audit row; errors print bilingually and exit 2."""
    factory, _cipher = _db()
    try:
        with transaction(factory) as session:
            result = work(session)
            audit.record(session, actor=f"cli:{getpass.getuser()}", role="pengurus-cli",
                         action=action, status_code=200)
            return result
    except KspError as exc:
        console.print(f"[red]{exc.render_id()}[/red]\n[dim]{exc.render_en()}[/dim]")
        raise typer.Exit(2) from exc


def _rp(amount: int) -> str:
    return format_rupiah(amount)


@member_app.command("list")
def member_list() -> None:
    """Daftar anggota."""
    factory, _ = _db()
    table = Table("No.", "Nama", "Status", "Pokok", "Wajib", "Sukarela")
    with factory() as session:
        for m in session.scalars(select(Member).order_by(Member.number)):
            b = savings.balances(session, m.number)
            table.add_row(str(m.number), m.name, m.status.value, _rp(b[Jenis.POKOK]),
                          _rp(b[Jenis.WAJIB]), _rp(b[Jenis.SUKARELA]))
    console.print(table)


@member_app.command("add")
def member_add(nik: str = typer.Option(...), name: str = typer.Option(...),
               birth_date: dt.datetime = typer.Option(..., formats=["%Y-%m-%d"]),
               address: str = typer.Option(...), phone: str = typer.Option(...),
               occupation: str = typer.Option(...)) -> None:
    """Daftarkan calon anggota."""
    _factory, cipher = _db()
    member = _write("member add", lambda s: members.register(s, cipher, members.Registration(
        nik=nik, name=name, birth_date=birth_date.date(), address=address, phone=phone,
        occupation=occupation)))
    console.print(f"Calon anggota no. {member.number} terdaftar / registered.")


@member_app.command("exit")
def member_exit(number: int) -> None:
    """Anggota keluar: simpanan dikembalikan."""
    paid = _write("member exit", lambda s: savings.exit_member(s, member_number=number,
                                                                on=clock.today()))
    console.print(f"Dibayarkan / paid out: {_rp(sum(paid.values()))}")


def _movement(kind: str, number: int, jenis: Jenis, amount: int, tanggal: dt.datetime | None
              ) -> None:
    on = tanggal.date() if tanggal else clock.today()
    fn = savings.deposit if kind == "deposit" else savings.withdraw
    m = _write(f"savings {kind}", lambda s: fn(s, member_number=number, jenis=jenis,
                                               amount=amount, on=on))
    console.print(f"seq {m.seq}: {jenis.value} {_rp(m.amount)} → saldo {_rp(m.balance)}")


@savings_app.command("deposit")
def savings_deposit(number: int, jenis: Jenis, amount: int,
                    tanggal: dt.datetime | None = typer.Option(None, formats=["%Y-%m-%d"])
                    ) -> None:
    """Setoran simpanan."""
    _movement("deposit", number, jenis, amount, tanggal)


@savings_app.command("withdraw")
def savings_withdraw(number: int, amount: int,
                     tanggal: dt.datetime | None = typer.Option(None, formats=["%Y-%m-%d"])
                     ) -> None:
    """Penarikan simpanan sukarela."""
    _movement("withdraw", number, Jenis.SUKARELA, amount, tanggal)


@savings_app.command("statement")
def savings_statement(number: int) -> None:
    """Rekening koran simpanan anggota."""
    factory, _ = _db()
    table = Table("Seq", "Tanggal", "Jenis", "Setor", "Tarik", "Saldo")
    with factory() as session:
        for x in savings.statement(session, member_number=number):
            table.add_row(str(x.seq), x.date.isoformat(), x.jenis.value,
                          _rp(x.deposit) if x.deposit else "", _rp(x.withdrawal)
                          if x.withdrawal else "", _rp(x.balance))
    console.print(table)


def _date(value: dt.datetime | None) -> dt.date:
    return value.date() if value else clock.today()


DateOption = typer.Option(None, "--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")


@report_app.command("trial-balance")
def report_trial_balance(date: dt.datetime | None = DateOption) -> None:
    """Neraca saldo."""
    factory, _ = _db()
    with factory() as session:
        rows = reports.trial_balance(session, through=_date(date))
    table = Table("Akun", "Nama", "Debit", "Kredit", title=f"Neraca saldo {_date(date)}")
    for r in rows:
        if r.debit or r.credit:
            table.add_row(r.code, r.name_id, _rp(r.debit), _rp(r.credit))
    table.add_row("", "Jumlah", _rp(sum(r.debit for r in rows)), _rp(sum(r.credit for r in rows)))
    console.print(table)


def _section_rows(table: Table, title: str, section: reports.Section) -> None:
    table.add_row(f"[bold]{title}[/bold]", "")
    for line in section.lines:
        if line.debit or line.credit:
            table.add_row(f"  {line.code} {line.name_id}", _rp(line.balance))
    for name, _en, amount in section.extra:
        table.add_row(f"  {name}", _rp(amount))
    table.add_row(f"[bold]Jumlah {title.lower()}[/bold]", f"[bold]{_rp(section.total)}[/bold]")


@report_app.command("neraca")
def report_neraca(date: dt.datetime | None = DateOption) -> None:
    """Neraca (balance sheet)."""
    factory, _ = _db()
    day = _date(date)
    with factory() as session:
        sheet = reports.balance_sheet(
            session, date=day, fiscal_start_month=adart_at(session, day).fiscal_year_start_month)
    table = Table("Pos", "Jumlah", title=f"Neraca per {day}")
    _section_rows(table, "Aset", sheet.assets)
    _section_rows(table, "Kewajiban", sheet.liabilities)
    _section_rows(table, "Ekuitas", sheet.equity)
    console.print(table)
    console.print("Seimbang / balanced" if sheet.balanced else "[red]TIDAK SEIMBANG[/red]")


@report_app.command("phu")
def report_phu(date: dt.datetime | None = DateOption) -> None:
    """Perhitungan hasil usaha (income statement) for the fiscal year to date."""
    factory, _ = _db()
    day = _date(date)
    with factory() as session:
        result = reports.income_statement(
            session, through=day,
            fiscal_start_month=adart_at(session, day).fiscal_year_start_month)
    table = Table("Pos", "Jumlah", title=f"PHU {result.since} s.d. {day}")
    _section_rows(table, "Pendapatan", result.income)
    _section_rows(table, "Beban", result.expense)
    table.add_row("[bold]SHU[/bold]", f"[bold]{_rp(result.shu)}[/bold]")
    console.print(table)


@staff_app.command("add")
def staff_add(username: str, role: Role) -> None:
    """Tambah pengguna staf; kata sandi diminta di terminal."""
    password = typer.prompt("Kata sandi / password", hide_input=True, confirmation_prompt=True)
    _write("staff add", lambda s: create_staff(s, username=username, password=password,
                                               role=role))
    console.print(f"{username} ({role.value}) dibuat / created.")


@staff_app.command("disable")
def staff_disable(username: str) -> None:
    """Nonaktifkan akun staf: tidak bisa masuk, dan semua tokennya langsung mati."""
    _write(f"staff disable {username}",
           lambda s: set_staff_active(s, username, active=False))
    console.print(f"{username} dinonaktifkan / disabled.")


@staff_app.command("enable")
def staff_enable(username: str) -> None:
    """Aktifkan lagi akun staf (token lama tetap tidak berlaku)."""
    _write(f"staff enable {username}", lambda s: set_staff_active(s, username, active=True))
    console.print(f"{username} diaktifkan lagi / enabled again.")


@demo_app.command("seed")
def demo_seed(members_count: int = 30) -> None:
    """Koperasi contoh: anggota, setahun simpanan wajib, sukarela."""
    from ksp.demo import seed

    factory, cipher = _db()
    passwords = seed(factory, cipher, members_count=members_count)
    if not passwords:
        console.print("Data contoh sudah ada / demo data already present.")
        return
    for username, password in passwords.items():
        console.print(f"staf {username}: kata sandi / password {password}")
