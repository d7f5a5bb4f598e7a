"""The auditor's verifier and the inclusion proofs, under their former module name.

The verifier lives in `ksp.anchoring.verify` (no database import); proofs from the
database in `ksp.anchoring.proofs`. This module only re-exports both, for existing
callers (benchmarks); it imports the database side.
"""

from __future__ import annotations

from ksp.anchoring.proofs import AnchorDisagrees, AnchorNotOnChain, NotAnchoredYet, prove
from ksp.anchoring.verify import (
    EXIT_ERROR,
    EXIT_MISMATCH,
    EXIT_OK,
    AnchorCheck,
    AuditResult,
    ChainView,
    Finding,
    check_proof,
    is_canonical,
    read_chain,
    report_lines,
    verify,
    verify_against,
)
from ksp.anchoring.verify.lines import parse_payload as _parse_payload

__all__ = [
    "EXIT_ERROR", "EXIT_MISMATCH", "EXIT_OK", "AnchorCheck", "AnchorDisagrees",
    "AnchorNotOnChain", "AuditResult", "ChainView", "Finding", "NotAnchoredYet",
    "_parse_payload", "check_proof", "is_canonical", "prove", "read_chain", "report_lines",
    "verify", "verify_against",
]
