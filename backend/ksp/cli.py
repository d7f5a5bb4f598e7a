"""The `ksp` command: run the system, manage the chain, and (for the pengurus) the cooperative."""

from __future__ import annotations

import signal
import threading

import typer
from rich.console import Console

from ksp.chain.runtime import ChainRuntime
from ksp.core.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="KSP: koperasi simpan pinjam")
chain_app = typer.Typer(no_args_is_help=True, help="Rantai (chain) lokal dan kontrak")
app.add_typer(chain_app, name="chain")
console = Console()


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@chain_app.command("up")
def chain_up() -> None:
    """Start the local Anvil (state under var/) and keep it running until Ctrl-C."""
    settings = get_settings()
    if not settings.local_chain:
        console.print(f"KSP_RPC_URL is set ({settings.rpc_url}); no local chain to start.")
        raise typer.Exit(1)
    runtime = ChainRuntime(settings)
    runtime.start_local_chain()
    console.print(f"Anvil siap / ready: {settings.effective_rpc_url} (chain id {settings.chain_id})")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        console.print("Anvil berhenti / stopped; state saved.")


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
    """The whole system: chain (local Anvil unless KSP_RPC_URL), contracts, API and pages."""
    import uvicorn

    # uvicorn re-raises SIGTERM after its shutdown; make that an exit we can clean up after.
    signal.signal(signal.SIGTERM, _exit_on_signal)

    from ksp.api.app import create_app

    settings = get_settings()
    runtime = ChainRuntime(settings)
    runtime.start_local_chain()
    try:
        runtime.deploy(log=console.print)
        web = create_app(settings, runtime)
        console.print(f"KSP berjalan di / running at http://{settings.host}:{settings.port}")
        uvicorn.run(web, host=settings.host, port=settings.port, log_level="info")
    finally:
        runtime.stop()


if __name__ == "__main__":
    app()
