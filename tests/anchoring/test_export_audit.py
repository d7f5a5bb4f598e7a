"""Export and audit, end to end: a real database, a real Anvil, the real `ksp` CLI.

One log of 320 realistic journal entries is built per module, anchored by the anchor
job every 100 entries (anchors #0, #1, #2 at sizes 100, 200, 300; entries 301..320 not
anchored yet) and exported. Each tamper test edits a copy of the EXPORTED FILE (the
database is append-only and is never touched) and runs `ksp audit verify`, which must
fail with exit code 1 and name the first bad seq.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner
from web3 import Web3

from ksp.anchoring import audit
from ksp.anchoring.export import export_log, stream_export
from ksp.anchoring.job import AnchorJob
from ksp.anchoring.merkle import leaf_hash, verify_inclusion
from ksp.anchoring.outcomes import Outcome
from ksp.auth.models import Role
from ksp.auth.service import Principal, issue_token
from ksp.bootstrap import open_database
from ksp.chain import anchor_registry as registry
from ksp.chain.runtime import ChainRuntime
from ksp.cli import app
from ksp.core.db import transaction
from ksp.core.settings import Environment, Settings, get_settings
from ksp.ledger.models import LogEntry
from tests.anchoring.test_store import post_entries

ENTRIES = 320
BAD = 142  # the entry the tamper tests change; anchored by #1 (size 200)


@dataclass
class World:
    settings: Settings
    factory: sessionmaker[Session]
    w3: Web3
    address: str
    block: int
    export: Path
    tmp: Path
    contracts: dict[str, Any]

    def lines(self) -> list[str]:
        return self.export.read_text(encoding="utf-8").splitlines()

    def write(self, name: str, lines: list[str]) -> Path:
        path = self.tmp / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    def verify(self, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
        """`ksp audit verify --json`: exit code and the structured result."""
        reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", self.settings.rpc_url or "",
                                         "--registry", self.address, "--log", str(path),
                                         "--no-progress", "--json", *extra])
        return reply.exit_code, json.loads(reply.stdout)

    def verify_text(self, path: Path) -> tuple[int, str]:
        reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", self.settings.rpc_url or "",
                                         "--registry", self.address, "--log", str(path),
                                         "--no-progress"])
        return reply.exit_code, reply.stdout


@pytest.fixture(scope="module")
def world(anvil, tmp_path_factory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("audit")
    settings = Settings(
        env=Environment.TEST, var_dir=tmp / "var", deployments_dir=tmp / "deployments",
        database_url=f"sqlite:///{tmp / 'ksp.sqlite3'}", rpc_url=anvil.url,
        anchor_every_entries=100, anchor_every_minutes=10_000,
    )
    runtime = ChainRuntime(settings)
    contracts = runtime.deploy()["contracts"]
    info = contracts["AnchorRegistry"]
    engine, factory = open_database(settings)
    assert runtime.w3 is not None
    job = AnchorJob(factory, runtime.w3, info["address"], settings, from_block=info["block"])
    anchored = []
    for seed in range(ENTRIES // 10):  # the job runs between bursts of ten entries
        with transaction(factory) as session:
            post_entries(session, 10, seed=seed)
        outcome = job.anchor_if_due()
        if outcome.outcome is Outcome.ANCHORED:
            anchored.append(outcome.tree_size)
    assert anchored == [100, 200, 300]
    export = tmp / "log.jsonl"
    with transaction(factory) as session, export.open("w", encoding="utf-8") as out:
        assert export_log(session, out) == ENTRIES
    yield World(settings, factory, runtime.w3, info["address"], info["block"], export, tmp,
                contracts)
    engine.dispose()


def _record(line: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(line)
    return loaded


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _rehash(record: dict[str, Any]) -> dict[str, Any]:
    """What a careful tamperer does: recompute the leaf_hash of the changed payload."""
    return {**record, "leaf_hash": "0x" + leaf_hash(record["payload"].encode()).hex()}


def _change_amount(record: dict[str, Any]) -> dict[str, Any]:
    """Adds Rp 1,000,000 to the first journal line of the entry, kept canonical."""
    import rfc8785

    payload = json.loads(record["payload"])
    payload["data"]["lines"][0]["amount"] += 1_000_000
    return {**record, "payload": rfc8785.dumps(payload).decode()}


def _codes(result: dict[str, Any]) -> set[str]:
    return {f["code"] for f in result["findings"] if f["seq"] == result["first_bad_seq"]}


# --- the export ----------------------------------------------------------------------


def test_export_is_one_canonical_line_per_entry_in_seq_order(world):
    lines = world.lines()
    assert len(lines) == ENTRIES
    with transaction(world.factory) as session:
        for seq, line in enumerate(lines, start=1):
            record = _record(line)
            assert list(record) == ["seq", "kind", "payload", "leaf_hash"]
            entry = session.get(LogEntry, seq)
            assert entry is not None
            assert record["seq"] == seq and record["kind"] == entry.kind
            assert record["payload"] == entry.payload  # the exact string, not re-serialised
            assert record["leaf_hash"] == "0x" + bytes(entry.leaf_hash).hex()
            assert record["leaf_hash"] == "0x" + leaf_hash(record["payload"].encode()).hex()


def test_batched_stream_export_equals_export_log(world):
    assert "".join(stream_export(world.factory, batch=7)) == world.export.read_text("utf-8")


def test_export_cli_writes_the_same_file(world, cli_settings):
    target = world.tmp / "cli-export.jsonl"
    reply = CliRunner().invoke(app, ["export", "log", "--out", str(target)])
    assert reply.exit_code == 0, reply.stdout
    assert target.read_bytes() == world.export.read_bytes()


def test_export_on_each_database_recomputes_to_the_stored_root(settings, db_url, tmp_path):
    from ksp.anchoring import store
    from ksp.anchoring.merkle import MerkleLog

    engine, factory = open_database(settings.model_copy(update={"database_url": db_url}))
    try:
        with transaction(factory) as session:
            post_entries(session, 37)
        target = tmp_path / "db.jsonl"
        with transaction(factory) as session, target.open("w", encoding="utf-8") as out:
            assert export_log(session, out) == 37
        records = [_record(line) for line in target.read_text("utf-8").splitlines()]
        tree = MerkleLog.from_leaf_hashes(leaf_hash(r["payload"].encode()) for r in records)
        with transaction(factory) as session:
            assert tree.root() == store.root_at(session, 37)
        assert [r["seq"] for r in records] == list(range(1, 38))
    finally:
        engine.dispose()


def test_the_documented_example_line_hashes_as_stated():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ANCHORING.md").read_text("utf-8")
    block = doc.split("A real line", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    record = _record(block.strip())
    assert record["leaf_hash"] == "0x" + leaf_hash(record["payload"].encode()).hex()
    assert json.loads(record["payload"])["seq"] == record["seq"]


def test_the_documented_hand_verifier_agrees(world):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ANCHORING.md").read_text("utf-8")
    code = doc.split("### Verifying by hand", 1)[1].split("```python\n", 1)[1].split("```")[0]
    script = world.tmp / "by_hand.py"
    script.write_text(code, encoding="utf-8")

    done = subprocess.run([sys.executable, str(script), world.settings.rpc_url or "",
                           world.address, str(world.export)],
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"anchor #{i} size {size}: cocok / matches" for i, size in enumerate((100, 200, 300))]


# --- the untouched log ---------------------------------------------------------------


def test_untouched_export_verifies_with_exit_0(world):
    code, result = world.verify(world.export)

    assert code == 0 and result["ok"]
    assert result["entries"] == ENTRIES and result["first_bad_seq"] is None
    assert [(a["index"], a["tree_size"], a["status"]) for a in result["anchors"]] == [
        (0, 100, "ok"), (1, 200, "ok"), (2, 300, "ok")]
    assert [a["consistent_with_previous"] for a in result["anchors"]] == [None, True, True]
    assert result["latest"]["tree_size"] == 300 and result["latest"]["anchor_count"] == 3
    assert "20 entri terakhir belum di-anchor" in result["message"]


def test_untouched_export_in_plain_words(world):
    code, text = world.verify_text(world.export)
    assert code == 0
    assert text.startswith("Cocok: 320 entri, 3 anchor")
    assert "OK: 320 entries, 3 anchors" in text


def test_the_installed_ksp_command_verifies_too(world):
    ksp = Path(sys.executable).with_name("ksp")
    done = subprocess.run(
        [str(ksp), "audit", "verify", "--rpc", world.settings.rpc_url or "", "--registry",
         world.address, "--log", str(world.export), "--no-progress"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Cocok: 320 entri" in done.stdout


def test_verify_with_a_progress_bar_gives_the_same_result(world):
    result = audit.verify(world.export, world.settings.rpc_url or "", world.address,
                          progress=True)
    assert result.ok and result.entries == ENTRIES


def test_verify_from_the_deploy_block_sees_the_same_anchors(world):
    code, result = world.verify(world.export, "--from-block", str(world.block))
    assert code == 0 and len(result["anchors"]) == 3


# --- tampering (acceptance list) -----------------------------------------------------


def test_a_changed_amount_names_the_exact_seq(world):
    lines = world.lines()
    lines[BAD - 1] = _line(_change_amount(_record(lines[BAD - 1])))

    code, result = world.verify(world.write("amount.jsonl", lines))

    assert code == 1 and not result["ok"]
    assert result["first_bad_seq"] == BAD
    assert _codes(result) == {"leaf_mismatch"}
    assert result["message"].startswith(
        f"Entri seq {BAD} tidak cocok dengan anchor #1 (ukuran 200)")
    assert result["message_en"].startswith(f"Entry seq {BAD} does not match anchor #1")
    assert [a["status"] for a in result["anchors"]] == ["ok", "mismatch", "mismatch"]


def test_a_changed_amount_with_a_rewritten_leaf_hash_names_the_anchored_range(world):
    lines = world.lines()
    lines[BAD - 1] = _line(_rehash(_change_amount(_record(lines[BAD - 1]))))

    code, result = world.verify(world.write("amount-rehashed.jsonl", lines))

    # Every line is self-consistent, so only the anchors can tell: #0 (100) still matches,
    # #1 (200) does not. The first bad seq lies in 101..200, and that is what is named.
    assert code == 1
    assert result["first_bad_seq"] is None and result["findings"] == []
    assert result["first_bad_range"] == [101, 200]
    assert "antara seq 101 dan seq 200" in result["message"]
    assert "between seq 101 and seq 200" in result["message_en"]
    assert [a["status"] for a in result["anchors"]] == ["ok", "mismatch", "mismatch"]
    assert result["anchors"][1]["consistent_with_previous"] is False


def test_a_deleted_entry_names_its_seq(world):
    lines = world.lines()
    del lines[BAD - 1]

    code, result = world.verify(world.write("deleted.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert _codes(result) == {"seq_gap"}
    assert f"entri seq {BAD} tidak ada" in result["message"]
    assert result["findings_total"] == 1  # one deletion, one finding


def test_two_swapped_entries_name_the_first_of_them(world):
    lines = world.lines()
    lines[BAD - 1], lines[BAD + 7] = lines[BAD + 7], lines[BAD - 1]

    code, result = world.verify(world.write("swapped.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert result["message"].startswith(f"Entri seq {BAD} tidak cocok dengan anchor #1")


def test_an_inserted_entry_names_the_seq_it_claims(world):
    lines = world.lines()
    forged = _rehash(_change_amount(_record(lines[BAD - 1])))  # a well-formed fake of 142
    lines.insert(BAD - 1, _line(forged))

    code, result = world.verify(world.write("inserted.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert _codes(result) == {"seq_duplicate"}
    assert f"seq {BAD} muncul dua kali" in result["message"]


def test_one_added_space_names_the_seq_and_breaks_canonical_form(world):
    lines = world.lines()
    record = _record(lines[BAD - 1])
    record["payload"] = record["payload"].replace(",", ", ", 1)  # one byte of whitespace
    lines[BAD - 1] = _line(record)

    code, result = world.verify(world.write("space.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert _codes(result) == {"leaf_mismatch", "not_canonical"}


def test_an_added_space_with_a_rewritten_leaf_hash_is_still_named_exactly(world):
    lines = world.lines()
    record = _record(lines[BAD - 1])
    record["payload"] = record["payload"].replace(",", ", ", 1)
    lines[BAD - 1] = _line(_rehash(record))

    code, result = world.verify(world.write("space-rehashed.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert _codes(result) == {"not_canonical"}


# --- other damage --------------------------------------------------------------------


def test_a_changed_leaf_hash_alone_is_named_though_every_anchor_matches(world):
    lines = world.lines()
    record = _record(lines[BAD - 1])
    lines[BAD - 1] = _line({**record, "leaf_hash": "0x" + "00" * 32})

    code, result = world.verify(world.write("leaf.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert all(a["status"] == "ok" for a in result["anchors"])
    assert "anchor #1 ukuran 200 tetap cocok" in result["message"]


def test_a_payload_whose_own_seq_differs_from_the_line_is_named(world):
    lines = world.lines()
    record = _record(lines[BAD - 1])
    other = _record(lines[BAD])  # the line says 142, the payload inside says 143
    lines[BAD - 1] = _line(_rehash({**record, "payload": other["payload"]}))

    code, result = world.verify(world.write("inner-seq.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert "payload_mismatch" in _codes(result)


def test_an_export_cut_short_of_an_anchor_names_the_first_missing_seq(world):
    lines = world.lines()[:199]

    code, result = world.verify(world.write("short.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == 200
    assert [a["status"] for a in result["anchors"]] == ["ok", "beyond_export", "beyond_export"]


def test_a_change_after_the_last_anchor_is_named_as_not_anchored_yet(world):
    lines = world.lines()
    lines[309] = _line(_change_amount(_record(lines[309])))

    code, result = world.verify(world.write("tail.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == 310
    assert "(belum di-anchor)" in result["message"]
    assert all(a["status"] == "ok" for a in result["anchors"])


def test_a_garbled_line_is_named(world):
    lines = world.lines()
    lines[BAD - 1] = lines[BAD - 1][:40]

    code, result = world.verify(world.write("garbled.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert _codes(result) == {"unreadable"}


def test_an_unreachable_chain_is_exit_2(world):
    reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", "http://127.0.0.1:9",
                                     "--registry", world.address, "--log", str(world.export),
                                     "--no-progress"])
    assert reply.exit_code == 2
    assert "tidak dapat" in reply.stdout


def test_an_address_without_the_registry_is_exit_2(world):
    code, result = world.verify(world.export.with_name("missing.jsonl"))
    assert code == 2 and "not found" in result["error"]
    reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", world.settings.rpc_url or "",
                                     "--registry", "0x" + "11" * 20, "--log",
                                     str(world.export), "--no-progress"])
    assert reply.exit_code == 2 and "no contract" in reply.stdout


# --- the earliest evidence first ------------------------------------------------------


def test_a_failing_anchored_range_before_a_later_bad_line_heads_the_report(world):
    lines = world.lines()
    lines[BAD - 1] = _line(_rehash(_change_amount(_record(lines[BAD - 1]))))  # in 101..200
    lines[309] = _line(_change_amount(_record(lines[309])))  # seq 310, louder but later

    code, result = world.verify(world.write("range-then-line.jsonl", lines))
    _code, text = world.verify_text(world.write("range-then-line.jsonl", lines))

    assert code == 1 and result["first_bad_range"] == [101, 200]
    assert result["first_bad_seq"] == 310  # the line-level finding is still reported
    first, second = text.splitlines()[:2]
    assert first.startswith("Entri pertama yang berbeda ada di antara seq 101 dan seq 200")
    assert second.startswith("The first differing entry is between seq 101 and seq 200")
    assert "seq 310" in first  # named after the range, not instead of it
    assert result["message"] == first


def test_a_bad_line_inside_the_failing_range_is_named_with_the_range(world):
    lines = world.lines()
    lines[119] = _line(_rehash(_change_amount(_record(lines[119]))))  # seq 120, silent
    lines[BAD - 1] = _line(_change_amount(_record(lines[BAD - 1])))  # seq 142, loud

    code, result = world.verify(world.write("two-in-range.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert result["message"].startswith(f"Entri seq {BAD} tidak cocok dengan anchor #1")
    assert f"di seq {BAD} atau sebelumnya, dalam seq 101..200" in result["message"]
    assert f"at or before seq {BAD}, in 101..200" in result["message_en"]


# --- a byte order mark ---------------------------------------------------------------


def test_an_export_with_only_a_bom_added_verifies_with_a_warning(world):
    path = world.tmp / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + world.export.read_bytes())

    code, result = world.verify(path)

    assert code == 0 and result["ok"] and result["entries"] == ENTRIES
    assert [w["message_en"] for w in result["warnings"]] == [
        "line 1 starts with a UTF-8 BOM (EF BB BF), outside the entry; ignored"]
    assert "BOM" in result["message"] and "BOM" in result["message_en"]


def test_a_bom_inside_a_payload_is_named_as_a_bom(world):
    lines = world.lines()
    record = _record(lines[BAD - 1])
    lines[BAD - 1] = _line({**record, "payload": "\ufeff" + record["payload"]})

    code, result = world.verify(world.write("bom-inside.jsonl", lines))

    assert code == 1 and result["first_bad_seq"] == BAD
    assert "BOM" in result["message"] and "BOM" in result["message_en"]


# --- the chain side cannot be read: each reason in its own words, exit 2 --------------


def test_an_address_that_is_not_an_anchor_registry_is_named_so(world):
    other = next(info["address"] for name, info in world.contracts.items()
                 if name != "AnchorRegistry")
    reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", world.settings.rpc_url or "",
                                     "--registry", other, "--log", str(world.export),
                                     "--no-progress", "--json"])

    assert reply.exit_code == 2
    result = json.loads(reply.stdout)
    assert result["error_code"] == "not_a_registry"
    assert "bukan AnchorRegistry" in result["message"]
    assert "is not an AnchorRegistry" in result["message_en"]
    assert "execution reverted" not in reply.stdout


def test_a_wrong_chain_id_is_named_so(world):
    actual = world.w3.eth.chain_id

    code, result = world.verify(world.export, "--chain-id", str(actual + 1))
    right, _ = world.verify(world.export, "--chain-id", str(actual))

    assert code == 2 and result["error_code"] == "wrong_chain"
    assert f"RPC melayani rantai {actual}, bukan rantai {actual + 1}" in result["message"]
    assert f"the RPC serves chain {actual}, not the expected chain {actual + 1}" in (
        result["message_en"])
    assert right == 0


def test_an_unreachable_rpc_is_named_so(world):
    reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", "http://127.0.0.1:9",
                                     "--registry", world.address, "--log", str(world.export),
                                     "--no-progress", "--json"])

    assert reply.exit_code == 2
    result = json.loads(reply.stdout)
    assert result["error_code"] == "rpc_unreachable"
    assert "RPC http://127.0.0.1:9 tidak dapat dihubungi (connection refused)" in (
        result["message"])
    assert "the RPC at http://127.0.0.1:9 cannot be reached" in result["message_en"]


def test_canonical_check_agrees_with_rfc8785_beyond_the_fast_path():
    import rfc8785

    for value in ({"b": 1, "a": [1, 2]}, {"é": "ü", "a": "\u2028"}, {"x": 1.5},
                  {"big": 2**53 - 1}, {"\U0001f600": 1, "\ufb01": 2}, {"t": "tab\there"}):
        canonical = rfc8785.dumps(value).decode()
        parsed, fast = audit._parse_payload(canonical)
        assert audit.is_canonical(canonical, parsed, fast), canonical
    for text in ('{"a":1, "b":2}', '{"b":1,"a":2}', '{"x":1.50}', '{"x":1e2}',
                 '{"a":"\\u0041"}', '{"big":9007199254740993}', '{"a":1,"a":1}'):
        parsed, fast = audit._parse_payload(text)
        assert not audit.is_canonical(text, parsed, fast), text


# --- inclusion proofs ----------------------------------------------------------------


def test_prove_gives_a_proof_against_the_latest_anchor_that_verifies_on_chain(world):
    with transaction(world.factory) as session:
        proof = audit.prove(session, BAD, w3=world.w3, registry_address=world.address)
    latest_event = registry.read_anchors(world.w3, world.address, world.block)[-1]

    assert list(proof)[:6] == ["seq", "leaf_index", "tree_size", "leaf_hash", "path", "root"]
    assert proof["seq"] == BAD and proof["leaf_index"] == BAD - 1
    assert proof["tree_size"] == 300 == latest_event.tree_size
    assert proof["root"] == "0x" + latest_event.root.hex()
    assert proof["anchor"]["index"] == 2 and proof["anchor"]["block"] == latest_event.block
    assert proof["anchor"]["tx_hash"] == latest_event.tx_hash
    assert proof["leaf_hash"] == "0x" + leaf_hash(proof["payload"].encode()).hex()
    assert verify_inclusion(bytes.fromhex(proof["leaf_hash"][2:]), BAD - 1, 300,
                            [bytes.fromhex(p[2:]) for p in proof["path"]], latest_event.root)


def test_an_unanchored_entry_has_no_proof_yet(world):
    with transaction(world.factory) as session, pytest.raises(audit.NotAnchoredYet):
        audit.prove(session, 301)


def test_prove_and_check_proof_through_the_cli(world, cli_settings):
    target = world.tmp / "proof.json"
    reply = CliRunner().invoke(app, ["audit", "prove", str(BAD), "--out", str(target)])
    assert reply.exit_code == 0, reply.stdout
    assert json.loads(target.read_text())["seq"] == BAD

    check = ["audit", "check-proof", str(target), "--rpc", world.settings.rpc_url or "",
             "--registry", world.address]
    good = CliRunner().invoke(app, check)
    proof = json.loads(target.read_text())
    proof["path"][0] = "0x" + "ab" * 32
    target.write_text(json.dumps(proof))
    bad = CliRunner().invoke(app, check)

    assert good.exit_code == 0 and "Bukti sah" in good.stdout
    assert bad.exit_code == 1


@pytest.fixture
def cli_settings(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point `get_settings()` (what the CLI reads) at this module's database and chain."""
    s = world.settings
    for name, value in {"KSP_ENV": "test", "KSP_VAR_DIR": str(s.var_dir),
                        "KSP_DEPLOYMENTS_DIR": str(s.deployments_dir),
                        "KSP_DATABASE_URL": s.database_url, "KSP_RPC_URL": s.rpc_url}.items():
        monkeypatch.setenv(name, value or "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # later tests must not see this module's settings


# --- HTTP ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(world):
    from fastapi.testclient import TestClient

    from ksp.api.app import create_app

    client = TestClient(create_app(world.settings))
    secret = world.settings.secret_key_bytes()

    def token(role: Role, member: int | None = None) -> dict[str, str]:
        principal = Principal(subject=str(member or role.value), role=role, member_number=member)
        return {"Authorization": f"Bearer {issue_token(principal, secret)}"}

    return client, token


def _member_of(world: World, seq: int) -> int:
    payload = json.loads(_record(world.lines()[seq - 1])["payload"])
    return next(line["member"] for line in payload["data"]["lines"] if line["member"])


def test_api_proof_for_staff_and_for_the_member_it_concerns_only(world, http):
    client, token = http
    member = _member_of(world, BAD)
    path = f"/api/v1/log/entries/{BAD}/proof"

    as_pengawas = client.get(path, headers=token(Role.PENGAWAS))
    as_member = client.get(path, headers=token(Role.ANGGOTA, member))
    as_other = client.get(path, headers=token(Role.ANGGOTA, member + 1000))
    anonymous = client.get(path)

    assert as_pengawas.status_code == 200 and as_pengawas.json()["seq"] == BAD
    assert as_member.status_code == 200 and as_member.json() == as_pengawas.json()
    assert as_other.status_code == 403 and as_other.json()["code"] == "forbidden"
    assert anonymous.status_code == 401
    assert client.get("/api/v1/log/entries/999999/proof",
                      headers=token(Role.ADMIN)).status_code == 404
    assert client.get("/api/v1/log/entries/301/proof",
                      headers=token(Role.ADMIN)).json()["code"] == "not_anchored_yet"


def test_api_lists_anchors_and_streams_the_export_to_staff_only(world, http):
    client, token = http

    anchors = client.get("/api/v1/anchors", headers=token(Role.ANGGOTA, 1)).json()["anchors"]
    export = client.get("/api/v1/log/export", headers=token(Role.PENGAWAS))
    member_export = client.get("/api/v1/log/export", headers=token(Role.ANGGOTA, 1))

    assert [a["tree_size"] for a in anchors][-3:] == [300, 200, 100]
    assert all(a["status"] == "confirmed" for a in anchors)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert export.text == world.export.read_text("utf-8")
    assert member_export.status_code == 403


# Last in the file (pytest runs a module in definition order): it adds anchor #3, which
# the tests above do not expect.
def test_anchor_now_cli_anchors_the_tail_then_finds_nothing_new(world, cli_settings):
    reply = CliRunner().invoke(app, ["anchor", "now"])
    assert reply.exit_code == 0, reply.stdout
    assert "ukuran 320" in reply.stdout
    assert registry.latest(world.w3, world.address).tree_size == ENTRIES
    again = CliRunner().invoke(app, ["anchor", "now"])
    assert again.exit_code == 0 and "Tidak ada entri baru" in again.stdout
