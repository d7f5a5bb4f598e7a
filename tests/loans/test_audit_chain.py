"""`ksp audit verify --loans` against a real Anvil: a loan registered, signed, paid out and
repaid twice, the worker mirroring each repayment by seq and the log anchored. The export
verifies (exit 0); the same export with one repayment's amount changed (its leaf hash
recomputed) fails, and the finding names the loan and the seq."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ksp.anchoring import merkle
from ksp.anchoring.export import export_log
from ksp.anchoring.job import AnchorJob
from ksp.anchoring.outcomes import Outcome
from ksp.cli import app
from ksp.core import clock
from ksp.core.db import transaction
from ksp.loans import service
from tests.loans.on_chain import disbursed_loan

pytestmark = pytest.mark.chain



@pytest.fixture
def audited(chain_settings, tmp_path):
    """(export path, rpc, registry, LoanAgreements address, loan id, repayment seqs)."""
    world = disbursed_loan(chain_settings)
    factory, loan_id, w3, today = world.factory, world.loan_id, world.w3, clock.today()
    loans_address = world.contracts["LoanAgreements"]["address"]
    seqs = []
    for amount in (1_000_000, 2_500_000):
        with transaction(factory) as session:
            seqs.append(service.repay(session, loan_id, amount=amount, on=today,
                                      channel="teller").seq)
    world.drain()
    registry = world.contracts["AnchorRegistry"]
    job = AnchorJob(factory, w3, registry["address"], chain_settings,
                    from_block=registry["block"])
    assert job.anchor_now().outcome is Outcome.ANCHORED
    export = tmp_path / "log.jsonl"
    with transaction(factory) as session, export.open("w", encoding="utf-8") as out:
        export_log(session, out)
    yield export, chain_settings.rpc_url, registry["address"], loans_address, loan_id, seqs
    world.engine.dispose()


def _verify(path, rpc, registry, loans):
    reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", rpc, "--registry", registry,
                                     "--log", str(path), "--loans", loans, "--no-progress",
                                     "--json"])
    return reply.exit_code, json.loads(reply.stdout)


def test_the_repayments_on_chain_match_the_log_and_a_tampered_amount_names_the_loan(audited):
    export, rpc, registry, loans, loan_id, (first, second) = audited
    code, result = _verify(export, rpc, registry, loans)
    assert (code, result["ok"], result["warnings"]) == (0, True, []), result

    lines = export.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record["seq"] == second:
            # A prepayment, all pokok: the cash line and the piutang line both change, so
            # the entry still balances and stays canonical.
            assert record["payload"].count('"amount":2500000') == 2
            record["payload"] = record["payload"].replace('"amount":2500000',
                                                          '"amount":250000')
            leaf = merkle.leaf_hash(record["payload"].encode("utf-8"))
            record["leaf_hash"] = "0x" + leaf.hex()
            lines[i] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    tampered = export.with_name("tampered.jsonl")
    tampered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, result = _verify(tampered, rpc, registry, loans)
    assert code == 1 and not result["ok"]
    [finding] = [f for f in result["findings"] if f["code"] == "loan_repayment_mismatch"]
    assert finding["seq"] == second
    assert finding["message"].startswith(f"pinjaman {loan_id}: angsuran seq {second}")
    assert "is Rp 2.500.000 on chain" in finding["message_en"]
    assert "Rp 250.000 in the log" in finding["message_en"]
    assert first != second
