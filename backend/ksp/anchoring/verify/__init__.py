"""The auditor's verifier: an exported log (JSONL) against the anchors on chain.

No database, no settings, no server: `verify` needs only the export, an RPC URL and the
registry address (a test holds this package to importing neither SQLAlchemy nor
ksp.core.db). It

1. checks the chain side: the RPC answers (and serves `expected_chain_id`, if given),
   the address holds an AnchorRegistry; then reads every `Anchored` event and `latest()`
   at one pinned block (`chain`);
2. reads the export line by line and checks each entry in itself (`lines`);
3. builds the tree from the recomputed leaves (merkle.MerkleLog) and checks each
   anchor's root at its size, a consistency proof between successive anchors, and that
   `latest()` is the last event; then names the earliest evidence (`report`);
4. given the LoanAgreements address, pairs the loans' repayments on chain with those in
   the log by seq (`loans`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ksp.anchoring import merkle
from ksp.anchoring.verify.chain import (
    AuditSetupError,
    ChainView,
    check_proof,
    check_registry,
    is_unreachable,
    read_chain,
    unreachable,
)
from ksp.anchoring.verify.lines import Scan, is_canonical, parse_payload
from ksp.anchoring.verify.loans import check_repayments
from ksp.anchoring.verify.rat import RatChain, chain_reader
from ksp.anchoring.verify.report import check_anchors, headline, locate, report_lines
from ksp.anchoring.verify.result import (
    EXIT_ERROR,
    EXIT_MISMATCH,
    EXIT_OK,
    MAX_FINDINGS,
    AnchorCheck,
    AuditResult,
    Finding,
)

__all__ = [
    "EXIT_ERROR", "EXIT_MISMATCH", "EXIT_OK", "MAX_FINDINGS", "AnchorCheck", "AuditResult",
    "AuditSetupError", "ChainView", "Finding", "check_proof", "check_registry",
    "is_canonical", "parse_payload", "read_chain", "report_lines", "verify",
    "verify_against",
]


def verify(
    log_path: Path | str,
    rpc_url: str,
    registry_address: str,
    *,
    from_block: int = 0,
    expected_chain_id: int | None = None,
    progress: bool = False,
    loans_address: str | None = None,
    rat_voting: str | None = None,
) -> AuditResult:
    """Verifies an exported log against the registry's anchors (see module doc); with
    `loans_address` (LoanAgreements) also the loans' repayments on chain by seq, with
    `rat_voting` (RatVoting's address) each finalized meeting's tallies (`rat`)."""
    from ksp.chain.client import make_web3

    result = AuditResult()
    path = Path(log_path)
    if not path.is_file():
        result.fail("file_not_found", f"berkas tidak ditemukan: {path}",
                    f"file not found: {path}")
        headline(result)
        return result
    try:
        w3 = make_web3(rpc_url, timeout=30)
        chain = read_chain(w3, registry_address, from_block,
                           expected_chain_id=expected_chain_id, loans_address=loans_address)
        rat_chain = chain_reader(w3, rat_voting, from_block) if rat_voting else None
    except AuditSetupError as exc:
        result.fail(exc.code, exc.message_id, exc.message_en)
    except Exception as exc:
        if is_unreachable(exc):
            setup = unreachable(rpc_url, exc)
            result.fail(setup.code, setup.message_id, setup.message_en)
        else:
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            result.fail("chain_error", f"rantai di {rpc_url} tidak dapat dibaca "
                        f"({type(exc).__name__}: {first})",
                        f"cannot read the chain at {rpc_url} ({type(exc).__name__}: {first})")
    if result.error is not None:
        headline(result)
        return result
    return verify_against(path, chain, from_block=from_block, progress=progress,
                          result=result, rat_chain=rat_chain)


def verify_against(
    path: Path,
    chain: ChainView,
    *,
    from_block: int = 0,
    progress: bool = False,
    result: AuditResult | None = None,
    rat_chain: RatChain | None = None,
) -> AuditResult:
    """`verify` with the chain already read (the export is the only input read here)."""
    result = result or AuditResult()
    with path.open("rb") as source:
        if progress:
            tree, scan = _build_with_progress(source, path, result, rat_chain)
        else:
            scan = Scan(result, None, rat_chain)
            tree = merkle.MerkleLog.from_leaf_hashes(scan.leaves(source))
    check_anchors(result, tree, chain, from_block)
    if chain.repayments is not None:
        check_repayments(result, scan.repayments, chain.repayments, exported=result.entries)
    locate(result)
    headline(result)
    return result


def _build_with_progress(source: Any, path: Path, result: AuditResult,
                         rat_chain: RatChain | None) -> tuple[merkle.MerkleLog, Scan]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("Memeriksa / checking"), BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task("scan", total=os.path.getsize(path))
        scan = Scan(result, lambda n: bar.advance(task, n), rat_chain)
        return merkle.MerkleLog.from_leaf_hashes(scan.leaves(source)), scan
