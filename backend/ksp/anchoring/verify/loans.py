"""Loan repayments: the log's against the chain's, by seq.

Each repayment the ledger posts is a log entry of kind `journal.pinjaman.angsur` whose data
names its loan (`loan_id`) and whose credit lines add up to the amount paid (denda + jasa +
pokok); the backend mirrors it to LoanAgreements.recordRepayment(loanId, seq, amount), which
emits RepaymentRecorded(loanId, seq, amount, totalRepaid). The audit pairs them by seq:

- a repayment on chain whose seq is in the export with another loan or amount, or is no
  repayment there at all: a finding on that line, naming the loan (exit 1);
- a repayment on chain with a seq beyond the export: a chain-side problem (exit 1);
- a repayment in the log not (yet) on chain: a warning (the mirror sends after the commit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ksp.anchoring.verify.result import MAX_FINDINGS, AuditResult, Finding
from ksp.core.money import format_rupiah

if TYPE_CHECKING:
    from web3 import Web3

REPAYMENT_KIND = "journal.pinjaman.angsur"
REPAYMENT_EVENT = "RepaymentRecorded(uint64,uint64,uint128,uint128)"
MAX_PENDING_NAMED = 10
LOG_CHUNK_BLOCKS = 10_000


@dataclass(frozen=True)
class LoggedRepayment:
    """A repayment as the export has it."""

    seq: int
    line: int
    loan_id: int | None  # None: the entry names no loan
    amount: int


@dataclass(frozen=True)
class ChainRepayment:
    """One RepaymentRecorded event."""

    loan_id: int
    seq: int
    amount: int
    block: int


def logged_repayment(value: Mapping[str, Any], seq: int, line: int) -> LoggedRepayment:
    """The loan and amount of a `journal.pinjaman.angsur` payload (already parsed)."""
    data = value.get("data")
    data = data if isinstance(data, Mapping) else {}
    loan = data.get("loan_id")
    lines = data.get("lines")
    amount = 0
    if isinstance(lines, list):
        for leg in lines:
            credit = isinstance(leg, Mapping) and leg.get("side") == "C"
            if credit and isinstance(leg.get("amount"), int):
                amount += int(leg["amount"])
    return LoggedRepayment(seq, line, loan if isinstance(loan, int) else None, amount)


def _finding(result: AuditResult, finding: Finding) -> None:
    result.findings_total += 1
    if len(result.findings) < MAX_FINDINGS:
        result.findings.append(finding)


def check_repayments(result: AuditResult, logged: Mapping[int, LoggedRepayment],
                     on_chain: Sequence[ChainRepayment], *, exported: int) -> None:
    """Pairs the chain's repayments with the log's by seq (see module doc)."""
    seen: set[int] = set()
    for event in sorted(on_chain, key=lambda e: e.seq):
        seen.add(event.seq)
        entry = logged.get(event.seq)
        if event.seq > exported:
            result.problems.append((
                f"pinjaman {event.loan_id}: angsuran seq {event.seq} di rantai (blok "
                f"{event.block}) di luar ekspor ({exported} entri)",
                f"loan {event.loan_id}: repayment seq {event.seq} on chain (block "
                f"{event.block}) is beyond the export ({exported} entries)"))
        elif entry is None:
            chain_paid = format_rupiah(event.amount)
            _finding(result, Finding(
                "loan_repayment_not_in_log", event.seq, 0,
                f"pinjaman {event.loan_id}: rantai mencatat angsuran {chain_paid} dengan seq "
                f"{event.seq}, tetapi entri seq {event.seq} di log bukan angsuran",
                f"loan {event.loan_id}: the chain records a repayment of {chain_paid} at seq "
                f"{event.seq}, but log entry seq {event.seq} is no repayment"))
        elif (entry.loan_id, entry.amount) != (event.loan_id, event.amount):
            chain_paid, logged_paid = format_rupiah(event.amount), format_rupiah(entry.amount)
            _finding(result, Finding(
                "loan_repayment_mismatch", event.seq, entry.line,
                f"pinjaman {event.loan_id}: angsuran seq {event.seq} di rantai {chain_paid}, "
                f"di log pinjaman {entry.loan_id} {logged_paid}",
                f"loan {event.loan_id}: repayment seq {event.seq} is {chain_paid} on chain, "
                f"but loan {entry.loan_id} {logged_paid} in the log"))
    pending = sorted(seq for seq in logged if seq not in seen)
    if pending:
        named = ", ".join(f"{seq} (pinjaman {logged[seq].loan_id})"
                          for seq in pending[:MAX_PENDING_NAMED])
        more = f" +{len(pending) - MAX_PENDING_NAMED}" if len(pending) > MAX_PENDING_NAMED else ""
        result.warnings.append((
            f"{len(pending)} angsuran di log belum tercatat di rantai: seq {named}{more}",
            f"{len(pending)} repayments in the log are not on chain yet: seq "
            f"{named.replace('pinjaman', 'loan')}{more}"))


def read_repayments(w3: Web3, address: str, from_block: int, to_block: int
                    ) -> list[ChainRepayment]:
    """Every RepaymentRecorded event of the LoanAgreements at `address` (raw logs, decoded
    here: topics loanId and seq, data amount and totalRepaid)."""
    from web3 import Web3 as _Web3

    topic = _Web3.keccak(text=REPAYMENT_EVENT)
    checksum = _Web3.to_checksum_address(address)
    found: list[ChainRepayment] = []
    start = from_block
    while start <= to_block:
        stop = min(start + LOG_CHUNK_BLOCKS - 1, to_block)
        for entry in w3.eth.get_logs({"address": checksum, "topics": [topic],
                                      "fromBlock": start, "toBlock": stop}):
            topics, data = entry["topics"], bytes(entry["data"])
            found.append(ChainRepayment(loan_id=int.from_bytes(bytes(topics[1]), "big"),
                                        seq=int.from_bytes(bytes(topics[2]), "big"),
                                        amount=int.from_bytes(data[:32], "big"),
                                        block=int(entry["blockNumber"])))
        start = stop + 1
    return found
