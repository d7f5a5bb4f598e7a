import datetime as dt
import re
from pathlib import Path

from ksp.anchoring.merkle import leaf_hash
from ksp.ledger.log import encode_payload

DOC = Path(__file__).resolve().parents[2] / "docs" / "LEDGER.md"


def test_ledger_doc_example_is_what_the_ledger_writes():
    text = DOC.read_text()
    payload = re.search(r"^payload = (.+)$", text, re.M).group(1)
    hex_bytes = re.search(r"^bytes   = 0x([0-9a-f]+)$", text, re.M).group(1)
    leaf = re.search(r"^leaf    = 0x([0-9a-f]{64})$", text, re.M).group(1)

    written = encode_payload(
        7, "journal.simpanan.sukarela.setor", dt.datetime(2026, 1, 5, 2, 30, tzinfo=dt.UTC),
        {"date": "2026-01-05", "memo": "Setoran simpanan sukarela", "lines": [
            {"account": "1101", "side": "D", "amount": 250000, "member": None},
            {"account": "2101", "side": "C", "amount": 250000, "member": 12}]})

    assert written.decode() == payload
    assert written.hex() == hex_bytes
    assert leaf_hash(written).hex() == leaf


def test_payload_is_canonical_whatever_the_key_order():
    at = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    a = encode_payload(1, "k", at, {"b": 1, "a": {"y": 2, "x": 3}})
    b = encode_payload(1, "k", at, {"a": {"x": 3, "y": 2}, "b": 1})
    assert a == b
    assert b" " not in a
