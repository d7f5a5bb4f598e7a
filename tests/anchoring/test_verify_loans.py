"""`ksp audit verify --loans`: the loans' repayments on chain against those in the export,
by seq. The chain side is given as the events LoanAgreements would hold (the anchor is the
log's true root), so each test changes one thing and names what the audit must say."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from ksp.anchoring import merkle
from ksp.anchoring.export import export_log
from ksp.anchoring.verify import ChainView, verify_against
from ksp.anchoring.verify.loans import ChainRepayment
from ksp.bootstrap import open_database
from ksp.chain.anchor_registry import AnchorEvent, LatestAnchor
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.ledger import log
from tests.support.factories import JOINED, join
from tests.support.loan_rows import disbursed_loan, repay

TODAY = dt.date(2026, 4, 1)


@pytest.fixture
def exported(settings, tmp_path):
    """An export with one loan and two repayments; (path, loan id, {seq: amount}, root)."""
    clock.freeze(dt.datetime.combine(TODAY, dt.time(5, 0), tzinfo=dt.UTC))
    engine, factory = open_database(settings)
    with transaction(factory) as session:
        member = join(session, PiiCipher(settings.pii_key_bytes()), 1,
                      on=dt.date.fromisoformat(JOINED))
        loan = disbursed_loan(session, member=member.number, first_due=dt.date(2026, 2, 15),
                              disbursed_on=dt.date(2026, 1, 15))
        first = repay(session, loan, on=dt.date(2026, 2, 15), amount=916_800)
        second = repay(session, loan, on=dt.date(2026, 3, 15), amount=916_800)
        paid = {first.seq: first.amount, second.seq: second.amount}
        loan_id = loan.id
    with factory() as session:
        buffer = io.StringIO()
        export_log(session, buffer)
        size, root = log.current_root(session)
    path = tmp_path / "log.jsonl"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    engine.dispose()
    yield path, loan_id, paid, (size, root)
    clock.freeze(None)


def _chain(size, root, repayments):
    anchor = AnchorEvent(index=0, tree_size=size, root=root, tx_hash="0x" + "ab" * 32, block=5)
    return ChainView(block=9, events=[anchor], latest=LatestAnchor(size, root, 1),
                     repayments=repayments)


def _on_chain(loan_id, paid):
    return [ChainRepayment(loan_id, seq, amount, 7) for seq, amount in paid.items()]


def test_the_repayments_on_chain_equal_those_in_the_log(exported):
    path, loan_id, paid, (size, root) = exported
    result = verify_against(path, _chain(size, root, _on_chain(loan_id, paid)))
    assert result.ok, result.to_json()
    assert result.warnings == []


def test_the_log_entry_of_a_repayment_names_its_loan(exported):
    path, loan_id, paid, _root = exported
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["seq"] in paid:
            assert record["kind"] == "journal.pinjaman.angsur"
            assert json.loads(record["payload"])["data"]["loan_id"] == loan_id


def _tamper(path, seq, old, new):
    """Changes an amount in entry `seq` and recomputes its leaf, as a careful forger would."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record["seq"] == seq:
            assert f'"amount":{old}' in record["payload"]
            record["payload"] = record["payload"].replace(f'"amount":{old}', f'"amount":{new}')
            leaf = merkle.leaf_hash(record["payload"].encode("utf-8"))
            record["leaf_hash"] = "0x" + leaf.hex()
            lines[i] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_tampered_repayment_amount_in_the_export_fails_naming_the_loan(exported):
    path, loan_id, paid, (size, root) = exported
    seq = max(paid)
    _tamper(path, seq, 778_302, 78_302)  # the pokok line of the second instalment
    result = verify_against(path, _chain(size, root, _on_chain(loan_id, paid)))
    assert not result.ok and result.exit_code == 1
    [finding] = [f for f in result.findings if f.code == "loan_repayment_mismatch"]
    assert finding.seq == seq
    assert finding.message_id.startswith(f"pinjaman {loan_id}: angsuran seq {seq}")
    assert "is Rp 916.800 on chain" in finding.message_en
    assert f"loan {loan_id} Rp 216.800 in the log" in finding.message_en


def test_a_repayment_on_chain_at_a_seq_that_is_no_repayment_is_found(exported):
    path, loan_id, paid, (size, root) = exported
    chain = [*_on_chain(loan_id, paid), ChainRepayment(loan_id, 2, 500_000, 8)]
    result = verify_against(path, _chain(size, root, chain))
    assert not result.ok
    assert [f.code for f in result.findings] == ["loan_repayment_not_in_log"]
    assert f"pinjaman {loan_id}" in result.findings[0].message_id


def test_a_repayment_not_yet_on_chain_is_a_warning_not_a_failure(exported):
    path, loan_id, paid, (size, root) = exported
    first = min(paid)
    result = verify_against(path, _chain(size, root, _on_chain(loan_id, {first: paid[first]})))
    assert result.ok
    [warning] = result.warnings
    assert f"seq {max(paid)} (pinjaman {loan_id})" in warning[0]
    assert f"seq {max(paid)} (loan {loan_id})" in warning[1]
