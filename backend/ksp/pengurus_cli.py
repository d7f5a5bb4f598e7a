"""CLI commands for the pengurus: members, savings, reports, staff, demo data.

Every write names who acts (`--as USERNAME` or KSP_ACTOR), an active staff account whose
role may do it, and leaves an audit row like the API's. User errors end in a bilingual
message and exit code 2 (see `ksp.cli.KspGroup`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ksp.audit import service as audit
from ksp.auth.models import Role, StaffUser
from ksp.auth.service import APPROVE, WRITE, create_staff, set_staff_active
from ksp.bootstrap import open_database
from ksp.coop.service import adart_at
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.errors import Forbidden, KspError
from ksp.core.money import format_rupiah, parse_rupiah
from ksp.core.settings import get_settings
from ksp.ledger import dates, journal, reports
from ksp.ledger.models import LogHead, PeriodReopenRequest
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
period_app = typer.Typer(no_args_is_help=True, help="Tutup buku (closing the books)")


def _db() -> tuple[sessionmaker[Session], PiiCipher]:
    settings = get_settings()
    _engine, factory = open_database(settings)
    return factory, PiiCipher(settings.pii_key_bytes())


class ActorRequired(KspError):
    code = "actor_required"
    status = 401
    message_id = ("Sebutkan siapa yang bertindak: --as NAMA_PENGGUNA (atau KSP_ACTOR), akun staf "
                  "yang aktif.")
    message_en = "Say who is acting: --as USERNAME (or KSP_ACTOR), an active staff account."


class UnknownActor(KspError):
    code = "unknown_actor"
    status = 401
    message_id = "Tidak ada akun staf aktif bernama {username}."
    message_en = "No active staff account named {username}."


class ActorNotAllowed(Forbidden):
    code = "actor_not_allowed"
    message_id = "{username} ({role}) tidak berwenang untuk: {action}."
    message_en = "{username} ({role}) may not do: {action}."


# Reopening closed books: the one write a pengawas makes (maker-checker with the pengurus).
BOARDS = (Role.PENGURUS, Role.PENGAWAS)
ActorOption = typer.Option(None, "--as", envvar="KSP_ACTOR", show_envvar=True,
                           help="Staf yang bertindak / acting staff username")
ReasonOption = typer.Option(None, "--alasan",
                            help="Alasan, wajib bila tanggal sebelum hari ini / "
                                 "reason, required for a date before today")
TanggalOption = typer.Option(None, formats=["%Y-%m-%d"], help="YYYY-MM-DD")


def _acting(session: Session, username: str | None, roles: Sequence[Role],
            action: str) -> StaffUser:
    if not username:
        raise ActorRequired()
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or not user.active:
        raise UnknownActor(username=username)
    if user.role not in roles:
        raise ActorNotAllowed(username=username, role=user.role.value, action=action)
    return user


def _seq_attribute(result: Any) -> int | None:
    seq = getattr(result, "seq", None)
    return seq if isinstance(seq, int) else None


def _write(action: str, work: Callable[[Session, StaffUser], Any], *, actor: str | None,
           roles: Sequence[Role] = WRITE,
           seq_of: Callable[[Any], int | None] = _seq_attribute) -> Any:
    """One transaction: the actor's check, the work and its audit row (with the log seq
    the work wrote, when there is one)."""
    factory, _cipher = _db()
    with transaction(factory) as session:
        user = _acting(session, actor, roles, action)
        result = work(session, user)
        audit.record(session, actor=user.username, role=user.role.value,
                     action=f"cli: {action}", status_code=200, log_seq=seq_of(result))
        return result


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
               occupation: str = typer.Option(...),
               actor: str | None = ActorOption) -> None:
    """Daftarkan calon anggota."""
    _factory, cipher = _db()
    registration = members.Registration(
        nik=nik, name=name, birth_date=birth_date.date(), address=address, phone=phone,
        occupation=occupation)
    member = _write("member add", lambda s, _user: members.register(s, cipher, registration),
                    actor=actor)
    console.print(f"Calon anggota no. {member.number} terdaftar / registered.")


@member_app.command("exit")
def member_exit(number: int, tanggal: dt.datetime | None = TanggalOption,
                alasan: str | None = ReasonOption, actor: str | None = ActorOption) -> None:
    """Anggota keluar: simpanan dikembalikan."""
    on = _date(tanggal)
    paid = _write("member exit", lambda s, _user: savings.exit_member(
        s, member_number=number, on=on, reason=alasan), actor=actor)
    console.print(f"Dibayarkan / paid out: {_rp(sum(paid.values()))}")


def _movement(kind: str, number: int, jenis: Jenis, amount_text: str,
              tanggal: dt.datetime | None, alasan: str | None, actor: str | None) -> None:
    amount = parse_rupiah(amount_text)
    on = _date(tanggal)
    fn = savings.deposit if kind == "deposit" else savings.withdraw
    m = _write(f"savings {kind}",
               lambda s, _user: fn(s, member_number=number, jenis=jenis, amount=amount, on=on,
                                   reason=alasan),
               actor=actor)
    console.print(f"seq {m.seq}: {jenis.value} {_rp(m.amount)} → saldo {_rp(m.balance)}")


AmountArgument = typer.Argument(..., metavar="JUMLAH",
                                help="Rupiah: 50.000, Rp 50.000 atau 50000")


@savings_app.command("deposit")
def savings_deposit(number: int, jenis: Jenis, amount: str = AmountArgument,
                    tanggal: dt.datetime | None = TanggalOption,
                    alasan: str | None = ReasonOption,
                    actor: str | None = ActorOption) -> None:
    """Setoran simpanan."""
    _movement("deposit", number, jenis, amount, tanggal, alasan, actor)


@savings_app.command("withdraw")
def savings_withdraw(number: int, amount: str = AmountArgument,
                     tanggal: dt.datetime | None = TanggalOption,
                     alasan: str | None = ReasonOption,
                     actor: str | None = ActorOption) -> None:
    """Penarikan simpanan sukarela."""
    _movement("withdraw", number, Jenis.SUKARELA, amount, tanggal, alasan, actor)


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
    """A date typed at the terminal, under the same 1900..2100 rule as the API."""
    return dates.check_range(value.date()) if value else clock.today()


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


@report_app.command("prudential")
def report_prudential(date: dt.datetime | None = DateOption) -> None:
    """Rasio kehatian (prudential figures) on a date."""
    from ksp.prudential.rules import percent_text
    from ksp.prudential.service import prudential_on

    factory, _ = _db()
    day = _date(date)
    with factory() as session:
        p = prudential_on(session, day)
    q = p.quality
    table = Table("Rasio / ratio", "Nilai / value", title=f"Rasio kehatian per {day}")
    table.add_row("NPL", f"{percent_text(q.npl_bps)} ({q.health_band})")
    table.add_row("Likuiditas / liquidity", p.liquidity.text)
    table.add_row("Modal sendiri / total aset", p.capital_to_assets.text)
    table.add_row("Pinjaman / simpanan anggota", p.loans_to_savings.text)
    table.add_row("Pihak terkait / related parties",
                  f"{_rp(q.related_party_outstanding)} / batas {_rp(q.related_party_cap)}")
    table.add_row("Penyisihan wajib / tercatat",
                  f"{_rp(q.provision_required)} / {_rp(q.provision_posted)}")
    table.add_row("Anggota di atas BMPP / above BMPP",
                  ", ".join(str(e.member) for e in p.above_bmpp) or "-")
    console.print(table)


@staff_app.command("add")
def staff_add(username: str, role: Role, actor: str | None = ActorOption) -> None:
    """Tambah pengguna staf; kata sandi diminta di terminal. Tanpa --as hanya untuk akun
    pertama / without --as only for the very first account."""
    factory, _cipher = _db()
    with factory() as session:
        first = session.scalars(select(StaffUser.id)).first() is None
    password = typer.prompt("Kata sandi / password", hide_input=True, confirmation_prompt=True)
    if first and not actor:
        with transaction(factory) as session:
            create_staff(session, username=username, password=password, role=role)
            audit.record(session, actor=username, role=role.value,
                         action="cli: staff add (first account)", status_code=200)
    else:
        _write("staff add",
               lambda s, _user: create_staff(s, username=username, password=password, role=role),
               actor=actor, roles=(Role.SUPER_ADMIN, Role.ADMIN))
    console.print(f"{username} ({role.value}) dibuat / created.")


@staff_app.command("disable")
def staff_disable(username: str, actor: str | None = ActorOption) -> None:
    """Nonaktifkan akun staf: tidak bisa masuk, dan semua tokennya langsung mati."""
    _write(f"staff disable {username}",
           lambda s, user: set_staff_active(s, username, active=False, by=user.username),
           actor=actor, roles=(Role.SUPER_ADMIN,), seq_of=lambda _: None)
    console.print(f"{username} dinonaktifkan / disabled.")


@staff_app.command("enable")
def staff_enable(username: str, actor: str | None = ActorOption) -> None:
    """Aktifkan lagi akun staf (token lama tetap tidak berlaku)."""
    _write(f"staff enable {username}",
           lambda s, user: set_staff_active(s, username, active=True, by=user.username),
           actor=actor, roles=(Role.SUPER_ADMIN,), seq_of=lambda _: None)
    console.print(f"{username} diaktifkan lagi / enabled again.")


@period_app.command("show")
def period_show() -> None:
    """Sampai kapan buku ditutup, dan permintaan buka kembali."""
    factory, _ = _db()
    with factory() as session:
        head = session.get(LogHead, 1)
        closed = head.closed_through if head is not None else None
        console.print(f"Buku ditutup sampai / closed through: {closed or '-'}")
        table = Table("No.", "Sampai", "Diminta", "Disetujui", "Alasan")
        for r in session.scalars(select(PeriodReopenRequest).order_by(PeriodReopenRequest.id)):
            table.add_row(str(r.id), str(r.through or "-"),
                          f"{r.requested_by} ({r.requested_role})",
                          f"{r.approved_by} ({r.approved_role})" if r.seq else "menunggu",
                          r.reason)
    console.print(table)


@period_app.command("close")
def period_close(through: dt.datetime = typer.Argument(..., formats=["%Y-%m-%d"]),
                 actor: str | None = ActorOption) -> None:
    """Tutup buku sampai tanggal yang sudah lewat (pengurus)."""
    day = dates.check_range(through.date())
    seq = _write("period close", lambda s, _user: journal.close_period(s, through=day),
                 actor=actor, roles=APPROVE, seq_of=lambda seq: seq)
    console.print(f"seq {seq}: buku ditutup sampai / closed through {day}")


@period_app.command("reopen")
def period_reopen(alasan: str = typer.Option(..., help="Alasan / reason"),
                  through: dt.datetime | None = typer.Option(
                      None, formats=["%Y-%m-%d"],
                      help="Tetap ditutup sampai / still closed through (default: none)"),
                  actor: str | None = ActorOption) -> None:
    """Minta buka kembali (pengurus atau pengawas); pihak lain menyetujui."""
    day = dates.check_range(through.date()) if through else None

    def ask(session: Session, user: StaffUser) -> int:
        return journal.request_reopen(session, through=day, reason=alasan,
                                      actor=user.username, role=user.role.value).id

    request_id = _write("period reopen", ask, actor=actor, roles=BOARDS, seq_of=lambda _: None)
    console.print(f"Permintaan no. {request_id} menunggu persetujuan / awaits approval.")


@period_app.command("approve")
def period_approve(request_id: int, actor: str | None = ActorOption) -> None:
    """Setujui permintaan buka kembali (peran yang lain, orang yang lain)."""
    def approve(session: Session, user: StaffUser) -> int:
        return journal.approve_reopen(session, request_id=request_id, actor=user.username,
                                      role=user.role.value)

    seq = _write("period approve", approve, actor=actor, roles=BOARDS, seq_of=lambda seq: seq)
    console.print(f"seq {seq}: periode dibuka kembali / reopened.")


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
