"""`ksp anchor …`, `ksp export …` and `ksp audit …`.

`ksp audit verify` and `ksp audit check-proof` are the auditor's tools: they read an
export (or a proof) and the chain only, and need no settings, database or server.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ksp.chain.runtime import ChainRuntime

anchor_app = typer.Typer(no_args_is_help=True, help="Anchor akar log ke rantai / anchoring")
export_app = typer.Typer(no_args_is_help=True, help="Ekspor log untuk auditor / log export")
audit_app = typer.Typer(no_args_is_help=True, help="Audit log terhadap anchor / audit")
console = Console()


def _database() -> sessionmaker[Session]:
    from ksp.core.db import make_engine, make_sessionmaker
    from ksp.core.settings import get_settings

    return make_sessionmaker(make_engine(get_settings().database_url))


def _registry(runtime: ChainRuntime, exit_code: int = 1) -> tuple[str, int]:
    """Address and deploy block of this chain's AnchorRegistry (deployments/<chainId>.json)."""
    info = runtime.read_deployment().get("contracts", {}).get("AnchorRegistry")
    if not info:
        console.print("AnchorRegistry belum di-deploy di rantai ini / not deployed on this "
                      "chain: run `ksp deploy`")
        raise typer.Exit(exit_code)
    return str(info["address"]), int(info.get("block", 0))


def _connect(exit_code: int = 1) -> tuple[ChainRuntime, str, int]:
    from ksp.chain.runtime import ChainRuntime
    from ksp.core.settings import get_settings

    runtime = ChainRuntime(get_settings())
    try:
        runtime.connect()
        address, block = _registry(runtime, exit_code)
    except typer.Exit:
        raise
    except Exception as exc:
        console.print(f"Rantai tidak dapat dihubungi / chain unreachable "
                      f"({runtime.settings.effective_rpc_url}): {type(exc).__name__}")
        raise typer.Exit(exit_code) from exc
    return runtime, address, block


@anchor_app.command("now")
def anchor_now_command(
    receipt_timeout: Annotated[float, typer.Option(help="Seconds to wait for the receipt")] = 120,
) -> None:
    """Anchor the log's current root now (if there are new entries)."""
    from ksp.anchoring.job import AnchorJob
    from ksp.anchoring.outcomes import Outcome
    from ksp.core.settings import get_settings

    factory = _database()
    runtime, address, block = _connect()
    assert runtime.w3 is not None
    job = AnchorJob(factory, runtime.w3, address, get_settings(), from_block=block,
                    receipt_timeout=receipt_timeout)
    report = job.repair()
    if report.recovered or report.confirmed or report.resent or report.superseded:
        console.print(f"Perbaikan / repair: {report}")
    if report.replaced:
        console.print(f"[yellow]Anchor hilang dari rantai, di-anchor ulang / anchors gone "
                      f"from the chain, anchored again: sizes {report.replaced}[/yellow]")
    if report.mismatches:
        console.print(f"[red]Akar on-chain tidak cocok / on-chain root mismatch at sizes "
                      f"{report.mismatches}[/red]")
    outcome = job.anchor_now()
    console.print(outcome.message_id)
    console.print(outcome.message_en)
    ok = {Outcome.ANCHORED, Outcome.NOTHING_NEW, Outcome.SENT}
    raise typer.Exit(0 if outcome.outcome in ok and not report.mismatches else 1)


@anchor_app.command("list")
def anchor_list_command() -> None:
    """The anchors the database has recorded (size, root, tx, block, status)."""
    from sqlalchemy import select

    from ksp.anchoring.models import AnchorRecord
    from ksp.core.db import transaction

    with transaction(_database()) as session:
        for record in session.scalars(select(AnchorRecord).order_by(AnchorRecord.tree_size)):
            console.print(f"#{record.anchor_index} size {record.tree_size} "
                          f"root 0x{record.root.hex()} tx {record.tx_hash} "
                          f"block {record.block_number} {record.status} "
                          f"({record.registry_address} on chain {record.chain_id})")


@export_app.command("log")
def export_log_command(
    out: Annotated[Path, typer.Option("--out", help="Target file (JSON Lines)")],
) -> None:
    """Export the whole log as JSON Lines for an auditor."""
    from ksp.anchoring.export import stream_export

    partial = out.with_name(out.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8", newline="\n") as target:
        for line in stream_export(_database()):
            target.write(line)
            count += 1
    os.replace(partial, out)  # a reader never sees a half-written export
    console.print(f"{count} entri diekspor ke / entries exported to {out}")


@audit_app.command("verify")
def verify_command(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain")],
    registry: Annotated[str, typer.Option("--registry", help="AnchorRegistry address")],
    log: Annotated[Path, typer.Option("--log", help="Exported log (JSON Lines)")],
    from_block: Annotated[int, typer.Option("--from-block", help="Registry deploy block")] = 0,
    chain_id: Annotated[int | None, typer.Option(
        "--chain-id", help="The chain the registry is on (e.g. 137); refuse any other")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Progress bar (default: when on a terminal)")] = None,
    loans: Annotated[str | None, typer.Option(
        "--loans", help="LoanAgreements address: also pair each loan's repayments on chain "
                        "with the log's, by seq")] = None,
    rat_voting: Annotated[str | None, typer.Option(
        "--rat-voting", help="RatVoting address: check each meeting's tallies on chain")] = None,
) -> None:
    """Verify an exported log against the on-chain anchors (with --loans, also the loans'
    repayments on chain against the log's; with --rat-voting, every finalized RAT's on-chain
    tallies against its results in the log). Exit 0 only if all holds; 1 on any mismatch;
    2 if the audit cannot run. No database, no server."""
    from ksp.anchoring.verify import report_lines, verify

    show = sys.stderr.isatty() if progress is None else progress
    result = verify(log, rpc, registry, from_block=from_block, expected_chain_id=chain_id,
                    progress=show, loans_address=loans, rat_voting=rat_voting)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=1, ensure_ascii=False))
    else:
        for line in report_lines(result):
            typer.echo(line)
    raise typer.Exit(result.exit_code)


@audit_app.command("prove")
def prove_command(
    seq: Annotated[int, typer.Argument(help="Log seq of the entry")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the proof here")] = None,
) -> None:
    """Inclusion proof of entry SEQ against the latest final anchor that is on chain.
    Exit 1 if the entry has no proof yet; 2 if the chain cannot be read."""
    from ksp.anchoring.proofs import AnchorNotOnChain, prove
    from ksp.core.db import transaction
    from ksp.core.errors import KspError

    factory = _database()
    runtime, address, _block = _connect(exit_code=2)
    try:
        with transaction(factory) as session:
            proof: dict[str, Any] = prove(session, seq, w3=runtime.w3, registry_address=address)
    except KspError as exc:
        console.print(exc.render_id())
        console.print(exc.render_en())
        chain_side = isinstance(exc, AnchorNotOnChain) or exc.status >= 500
        raise typer.Exit(2 if chain_side else 1) from exc
    except Exception as exc:  # whatever the node says, a sentence and exit 2, no traceback
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        console.print(f"Rantai tidak dapat dibaca / cannot read the chain: "
                      f"{type(exc).__name__}: {first}")
        raise typer.Exit(2) from exc
    text = json.dumps(proof, indent=2, ensure_ascii=False)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    typer.echo(text)


@audit_app.command("check-proof")
def check_proof_command(
    proof_file: Annotated[Path, typer.Argument(help="Proof JSON from `ksp audit prove`")],
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain")],
    registry: Annotated[str, typer.Option("--registry", help="AnchorRegistry address")],
    from_block: Annotated[int, typer.Option("--from-block")] = 0,
) -> None:
    """Check an inclusion proof against the chain (no database, no server)."""
    from ksp.anchoring.verify import check_proof
    from ksp.chain.client import make_web3

    proof = json.loads(proof_file.read_text(encoding="utf-8"))
    try:
        ok, message = check_proof(proof, make_web3(rpc), registry, from_block)
    except Exception as exc:
        typer.echo(f"Rantai tidak dapat dibaca / cannot read the chain: {type(exc).__name__}")
        raise typer.Exit(2) from exc
    typer.echo(message)
    raise typer.Exit(0 if ok else 1)
