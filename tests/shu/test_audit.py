"""`ksp audit verify` checks the SHU lines: the worked year distributed, anchored on a real
Anvil and exported; each tamper test edits a copy of the EXPORTED FILE and the audit must
fail naming the member and the year."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from typer.testing import CliRunner

from ksp.anchoring.export import export_log
from ksp.anchoring.job import AnchorJob
from ksp.anchoring.merkle import leaf_hash
from ksp.anchoring.outcomes import Outcome
from ksp.auth.models import Role
from ksp.chain.runtime import ChainRuntime
from ksp.cli import app
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import Environment, Settings
from tests.shu.year import TODAY, build_year, rat_approves
from tests.support.client import KspClient


@dataclass
class World:
    settings: Settings
    address: str
    export: Path
    tmp: Path
    members: dict[str, int]

    def lines(self) -> list[str]:
        return self.export.read_text(encoding="utf-8").splitlines()

    def verify(self, lines: list[str], name: str) -> tuple[int, dict[str, Any]]:
        path = self.tmp / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        reply = CliRunner().invoke(app, ["audit", "verify", "--rpc", self.settings.rpc_url or "",
                                         "--registry", self.address, "--log", str(path),
                                         "--no-progress", "--json"])
        return reply.exit_code, json.loads(reply.stdout)


@pytest.fixture(scope="module")
def world(anvil, tmp_path_factory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("shu-audit")
    settings = Settings(env=Environment.TEST, var_dir=tmp / "var",
                        deployments_dir=tmp / "deployments",
                        database_url=f"sqlite:///{tmp / 'ksp.sqlite3'}", rpc_url=anvil.url)
    runtime = ChainRuntime(settings)
    info = runtime.deploy()["contracts"]["AnchorRegistry"]
    clock.freeze(TODAY)
    try:
        client = KspClient(settings)
        members = build_year(client)
        ketua = client.staff(Role.PENGURUS, "ketua")
        bendahara = client.staff(Role.PENGURUS, "bendahara")
        assert client.post("/api/v1/shu/2025/close", {}, ketua).status_code == 200
        proposed = client.post("/api/v1/shu/2025/proposal", {}, ketua).json()
        rat_approves(client, proposed["figures"], proposed["figures_hash"], anchor=False)
        factory = client.app.state.sessionmaker
        assert runtime.w3 is not None
        job = AnchorJob(factory, runtime.w3, info["address"], settings,
                        from_block=info["block"])
        assert job.anchor_now().outcome is Outcome.ANCHORED  # the RAT's result on chain
        done = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
        assert done.status_code == 201, done.text
        assert job.anchor_now().outcome is Outcome.ANCHORED  # and the SHU lines
    finally:
        clock.freeze(None)
    export = tmp / "log.jsonl"
    with transaction(factory) as session, export.open("w", encoding="utf-8") as out:
        export_log(session, out)
    yield World(settings, info["address"], export, tmp, members)


def _shu_line(lines: list[str], member: int) -> int:
    """The index of `member`'s SHU line in the export."""
    return next(i for i, line in enumerate(lines)
                if json.loads(line)["kind"] == "journal.shu.anggota"
                and json.loads(json.loads(line)["payload"])["data"]["shu"]["member"] == member)


def _edit(line: str, change: Any) -> str:
    """Changes the payload, keeps it canonical and rewrites the leaf hash (a careful
    tamperer), so only the anchors and the SHU check can tell."""
    record = json.loads(line)
    payload = json.loads(record["payload"])
    change(payload["data"])
    record["payload"] = rfc8785.dumps(payload).decode()
    record["leaf_hash"] = "0x" + leaf_hash(record["payload"].encode()).hex()
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def test_the_untouched_export_verifies(world):
    code, result = world.verify(world.lines(), "untouched.jsonl")
    assert code == 0 and result["ok"], result["message_en"]


def test_a_share_raised_in_line_and_journal_fails_naming_member_and_year(world):
    lines = world.lines()
    a = world.members["A"]
    index = _shu_line(lines, a)

    def richer(data: dict[str, Any]) -> None:
        data["shu"]["amount"] += 100_000
        for leg in data["lines"]:
            leg["amount"] += 100_000

    lines[index] = _edit(lines[index], richer)
    code, result = world.verify(lines, "richer.jsonl")

    assert code == 1 and not result["ok"]
    assert result["first_bad_seq"] == json.loads(lines[index])["seq"]
    named = [f for f in result["findings"] if f["code"] == "shu_line_mismatch"]
    assert named and f"anggota {a} tahun 2025" in named[0]["message"]
    assert f"member {a} for 2025" in named[0]["message_en"]
    assert "Rp 437602 does not follow the formula" in named[0]["message_en"]
    sums = [f for f in result["findings"] if f["code"] == "shu_sum_mismatch"]
    assert sums and "add up to 537500, not the members' part 437500" in sums[0]["message_en"]


def test_an_input_changed_to_justify_a_share_fails_against_the_allocation(world):
    lines = world.lines()
    b = world.members["B"]
    index = _shu_line(lines, b)

    def bigger_pool(data: dict[str, Any]) -> None:
        data["shu"]["jasa_modal"] *= 2

    lines[index] = _edit(lines[index], bigger_pool)
    code, result = world.verify(lines, "pool.jsonl")

    assert code == 1
    messages = [f["message_en"] for f in result["findings"] if f["code"] == "shu_line_mismatch"]
    assert any(f"member {b} for 2025" in m and "jasa_modal differ" in m for m in messages)


def test_an_allocation_following_a_rejected_rat_result_fails_naming_the_year(world):
    lines = world.lines()
    index = next(i for i, line in enumerate(lines) if json.loads(line)["kind"] == "rat.hasil")

    def rejected(data: dict[str, Any]) -> None:
        data["decision"] = "ditolak"

    lines[index] = _edit(lines[index], rejected)
    code, result = world.verify(lines, "rejected.jsonl")

    assert code == 1 and not result["ok"]
    named = [f for f in result["findings"] if f["code"] == "shu_not_approved"]
    assert named and "SHU allocation of 2025" in named[0]["message_en"]
    assert "did not approve it (decision: ditolak)" in named[0]["message_en"]
