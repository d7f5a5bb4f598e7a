"""What an audit found: findings on lines, checks of anchors, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ksp.chain.anchor_registry import LatestAnchor
from ksp.core.hexes import to_hex as hex32

MAX_FINDINGS = 100  # after a deletion every later line would differ; keep the report short
EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class Finding:
    """A line of the export that is wrong in itself; `seq` is the first bad seq it names."""

    code: str
    seq: int
    line: int
    message_id: str
    message_en: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "seq": self.seq, "line": self.line,
                "message": self.message_id, "message_en": self.message_en}


@dataclass(frozen=True)
class AnchorCheck:
    index: int
    tree_size: int
    root: bytes  # on chain
    tx_hash: str
    block: int
    status: str  # ok | mismatch | beyond_export
    computed_root: bytes | None
    consistent: bool | None  # consistency proof from the previous anchor verified

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index, "tree_size": self.tree_size, "root": hex32(self.root),
            "tx_hash": self.tx_hash, "block": self.block, "status": self.status,
            "computed_root": hex32(self.computed_root) if self.computed_root else None,
            "consistent_with_previous": self.consistent,
        }


@dataclass
class AuditResult:
    entries: int = 0
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    anchors: list[AnchorCheck] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # chain-side, (id, en)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # harmless, (id, en)
    latest: LatestAnchor | None = None
    resets: list[tuple[int, str]] = field(default_factory=list)  # chain.reset entries (seq, at)
    first_bad_seq: int | None = None
    first_bad_range: tuple[int, int] | None = None
    headline_id: str = ""
    headline_en: str = ""
    error: str | None = None  # the audit could not run (file, RPC, contract): exit 2
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.findings_total and not self.problems and all(
            a.status == "ok" and a.consistent is not False for a in self.anchors
        )

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_ERROR
        return EXIT_OK if self.ok else EXIT_MISMATCH

    @property
    def anchored_size(self) -> int:
        return self.anchors[-1].tree_size if self.anchors else 0

    def fail(self, code: str, message_id: str, message_en: str) -> AuditResult:
        """Marks the audit as unable to run (exit 2)."""
        self.error_code = code
        self.error = f"{message_id} / {message_en}"
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_range": list(self.first_bad_range) if self.first_bad_range else None,
            "message": self.headline_id,
            "message_en": self.headline_en,
            "findings": [f.to_json() for f in self.findings],
            "findings_total": self.findings_total,
            "anchors": [a.to_json() for a in self.anchors],
            "chain_problems": [{"message": i, "message_en": e} for i, e in self.problems],
            "warnings": [{"message": i, "message_en": e} for i, e in self.warnings],
            "chain_resets": [{"seq": seq, "at": at} for seq, at in self.resets],
            "latest": None if self.latest is None else {
                "tree_size": self.latest.tree_size, "root": hex32(self.latest.root),
                "anchor_count": self.latest.anchor_count,
            },
            "error": self.error,
            "error_code": self.error_code,
        }
