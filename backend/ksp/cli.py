"""The `ksp` command: run the system, manage the chain, and (for the pengurus) the cooperative."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from ksp.anchoring.cli import anchor_app, audit_app, export_app
from ksp.chain.runtime import ChainRuntime
from ksp.core.errors import KspError
from ksp.core.settings import get_settings
from ksp.loans.cli import loans_app
from ksp.notifications.cli import notify_app
from ksp.payroll.cli import import_app
from ksp.pengurus_cli import (
    demo_app,
    member_app,
    period_app,
    report_app,
    savings_app,
    staff_app,
)


class KspGroup(TyperGroup):
    """Every user error of every command (a KspError) becomes a bilingual message on
    stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KspError as exc:
            errors = Console(stderr=True)
            errors.print(f"[red]{escape(exc.render_id())}[/red]")
            errors.print(f"[dim]{escape(exc.render_en())}[/dim]")
            raise typer.Exit(2) from exc


app = typer.Typer(cls=KspGroup, no_args_is_help=True, help="KSP: koperasi simpan pinjam")
chain_app = typer.Typer(no_args_is_help=True, help="Rantai (chain) lokal dan kontrak")
app.add_typer(chain_app, name="chain")
app.add_typer(anchor_app, name="anchor")
app.add_typer(audit_app, name="audit")
app.add_typer(export_app, name="export")
app.add_typer(member_app, name="member")
app.add_typer(savings_app, name="savings")
app.add_typer(report_app, name="report")
app.add_typer(staff_app, name="staff")
app.add_typer(demo_app, name="demo")
app.add_typer(period_app, name="period")
app.add_typer(import_app, name="import")
app.add_typer(loans_app, name="loans")
app.add_typer(notify_app, name="notify")
console = Console()


@chain_app.command("up")
def chain_up() -> None:
    """Start the local Anvil (state under var/) and keep it running until Ctrl-C."""
    settings = get_settings()
    if not settings.local_chain:
        console.print(f"KSP_RPC_URL is set ({settings.rpc_url}); no local chain to start.")
        raise typer.Exit(1)
    runtime = ChainRuntime(settings)
    runtime.start_local_chain()
    url, chain_id = settings.effective_rpc_url, settings.chain_id
    console.print(f"Anvil siap / ready: {url} (chain id {chain_id})")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        console.print("Anvil berhenti / stopped; state saved.")


@chain_app.command("reconcile")
def chain_reconcile() -> None:
    """Compare on-chain savings tokens and membership with the ledger; exit 1 on drift.
    What the outbox has not sent yet is listed as pending, not as drift."""
    from ksp.bootstrap import open_database
    from ksp.savings.reconcile import reconcile

    settings = get_settings()
    runtime = ChainRuntime(settings)
    _engine, factory = open_database(settings)
    result = reconcile(factory, runtime.connect(), runtime.read_deployment())
    for p in result.pending:
        console.print(f"[yellow]anggota {p.member} {p.what}: menunggu antrean / pending in "
                      f"the outbox: buku {p.ledger}, chain {p.chain}[/yellow]")
    for d in result.drifts:
        console.print(f"[red]anggota {d.member} {d.what}: buku {d.ledger} ≠ chain {d.chain}[/red]")
    if result.drifts:
        raise typer.Exit(1)
    console.print(f"Tidak ada selisih / no drift ({len(result.pending)} menunggu / pending).")


@chain_app.command("sync")
def chain_sync() -> None:
    """Send every pending chain write now (the worker of `ksp run` does this every few s)."""
    from ksp.bootstrap import open_database
    from ksp.chain.worker import OutboxWorker

    settings = get_settings()
    runtime = ChainRuntime(settings)
    _engine, factory = open_database(settings)
    worker = OutboxWorker(factory, runtime.connect(), runtime.read_deployment(),
                          settings.operator_private_key(),
                          confirmation_depth=settings.confirmation_depth,
                          batch_gas=settings.outbox_batch_gas)
    report = worker.run_once()
    console.print(f"confirmed {report.confirmed}, repaired {report.repaired}, "
                  f"finalized {report.finalized}, re-queued {report.reverted}, "
                  f"failed {report.failed}")
    if report.errors:
        console.print(f"[yellow]{report.errors[0]}[/yellow]")


def _admin_web3() -> tuple[Any, dict[str, Any]]:
    """A Web3 that signs with the pengurus admin key: KSP_ADMIN_KEY, or KSP_ADMIN_KEYSTORE
    (password asked here), or locally the operator key (which is also admin there)."""
    from ksp.chain.client import make_web3
    from ksp.core.settings import decrypt_keystore

    settings = get_settings()
    if settings.admin_key is not None:
        key = settings.admin_key.get_secret_value()
    elif settings.admin_keystore is not None:
        password = typer.prompt("Kata sandi keystore admin / admin keystore password",
                                hide_input=True)
        key = decrypt_keystore(settings.admin_keystore, password)
    else:
        key = settings.operator_private_key()
    runtime = ChainRuntime(settings)
    w3 = make_web3(settings.effective_rpc_url, key)
    runtime.w3 = w3
    return w3, runtime.read_deployment()


def _admin_action(action: Callable[[Any, dict[str, Any]], list[str]], done: str) -> None:
    """Runs one admin-key action; bad input (an address, a contract name) gets a clear
    message instead of a traceback."""
    w3, deployment = _admin_web3()
    try:
        changed = action(w3, deployment)
    except (ValueError, KeyError) as exc:
        console.print(f"[red]Tidak dapat dijalankan / cannot run: {exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"{done}: {len(changed)} kontrak / contracts")


@chain_app.command("grant-operator")
def grant_operator(address: str) -> None:
    """Give ADDRESS the operator role on every contract (a new backend hot key)."""
    from ksp.chain.admin import set_operator

    _admin_action(lambda w3, d: set_operator(w3, d, address, grant=True),
                  f"operator {address} diberikan / granted")


@chain_app.command("revoke-operator")
def revoke_operator(address: str) -> None:
    """Take the operator role away from ADDRESS (a retired or leaked hot key)."""
    from ksp.chain.admin import set_operator

    _admin_action(lambda w3, d: set_operator(w3, d, address, grant=False),
                  f"operator {address} dicabut / revoked")


@chain_app.command("pause")
def pause(contract: list[str] = typer.Option(None, help="default: every contract")) -> None:
    """Emergency stop: the contracts refuse writes until `ksp chain unpause`."""
    from ksp.chain.admin import MANAGED, set_paused

    _admin_action(lambda w3, d: set_paused(w3, d, paused=True, names=contract or MANAGED),
                  "dijeda / paused")


@chain_app.command("unpause")
def unpause(contract: list[str] = typer.Option(None, help="default: every contract")) -> None:
    """Resume after a pause."""
    from ksp.chain.admin import MANAGED, set_paused

    _admin_action(lambda w3, d: set_paused(w3, d, paused=False, names=contract or MANAGED),
                  "dilanjutkan / unpaused")


@app.command()
def deploy() -> None:
    """Deploy the contracts this chain lacks; addresses go to deployments/<chainId>.json."""
    settings = get_settings()
    runtime = ChainRuntime(settings)
    runtime.start_local_chain()
    try:
        record = runtime.deploy(log=console.print)
        console.print(f"chain {record['chain_id']}: {len(record['contracts'])} contracts")
    finally:
        runtime.stop()


@app.command()
def run() -> None:
    """The whole system on one machine: chain (local Anvil unless KSP_RPC_URL), contracts,
    demo data, API and pages, and the chain workers."""
    from ksp.system import run_all

    run_all(get_settings(), console.print)


@app.command()
def serve(workers: int = typer.Option(1, min=1, help="uvicorn worker processes")) -> None:
    """Only the API and pages, against KSP_DATABASE_URL and KSP_RPC_URL; run `ksp worker`
    beside it for the chain mirror and anchoring."""
    from ksp.system import serve_api

    serve_api(get_settings(), workers)


@app.command()
def worker() -> None:
    """The chain mirror (outbox) and the anchor job, until SIGTERM or Ctrl-C."""
    from ksp.system import NotDeployed, run_worker

    try:
        run_worker(get_settings(), console.print)
    except NotDeployed as exc:
        console.print(f"[red]Kontrak belum dipasang / {exc}[/red]")
        raise typer.Exit(2) from exc


if __name__ == "__main__":
    app()
