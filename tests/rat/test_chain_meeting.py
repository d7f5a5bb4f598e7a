"""The worked RAT on a real Anvil (its own, since the test moves the chain's clock): members
admitted on chain, the meeting and its items created from the outbox, proxies appointed,
accepted and one revoked on chain, ballots relayed in batches (the replaced key's old
signature never reaches the chain; the new key's ballots count), finalize, and the results
recorded from the chain's tallies, equal to the hand-worked figures."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import rfc8785

from ksp.anchoring.export import stream_export
from ksp.anchoring.job import AnchorJob
from ksp.anchoring.merkle import leaf_hash
from ksp.anchoring.verify import EXIT_MISMATCH, EXIT_OK, verify
from ksp.anchoring.verify.lines import Scan
from ksp.anchoring.verify.rat import chain_reader
from ksp.anchoring.verify.result import AuditResult, Finding
from ksp.auth.models import Role
from ksp.chain.rat_reads import counted_ballots, finalized_tallies, has_voted, rat_voting
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxWorker
from ksp.core import clock
from ksp.core.settings import Settings
from ksp.rat import service
from ksp.rat.signing import RatDomain
from tests.rat import story
from tests.rat.conftest import Coop, make_coop
from tests.support.client import KspClient


def drain(worker: OutboxWorker) -> None:
    report = worker.run_once()
    assert report.failed == 0 and not report.errors, report.errors


def move_chain_to(runtime: ChainRuntime, instant: dt.datetime) -> None:
    w3 = runtime.connect()
    w3.provider.make_request("evm_setNextBlockTimestamp", [int(instant.timestamp())])
    w3.provider.make_request("evm_mine", [])
    clock.freeze(instant)


def test_the_worked_meeting_on_anvil(settings: Settings, own_anvil: Any,
                                     tmp_path: Any) -> None:
    chain_settings = settings.model_copy(update={"rpc_url": own_anvil.url})
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    w3 = runtime.connect()
    now = dt.datetime.fromtimestamp(int(w3.eth.get_block("latest")["timestamp"]), dt.UTC)
    clock.freeze(now)
    coop: Coop = make_coop(chain_settings, joined=clock.today() - dt.timedelta(days=30))
    voting = rat_voting(w3, runtime.deployment)
    coop.domain = RatDomain(int(w3.eth.chain_id), voting.address)
    worker = OutboxWorker(coop.factory, w3, runtime.deployment,
                          chain_settings.operator_private_key())
    drain(worker)  # the 30 members are on the roll

    start = (now + dt.timedelta(days=16)).replace(minute=0, second=0, microsecond=0)
    meeting, items = story.announced_meeting(
        coop, record_date=clock.today(), voting_start=start,
        held_at=start + dt.timedelta(hours=1), voting_end=start + dt.timedelta(hours=8))
    drain(worker)
    stored = voting.functions.meeting(meeting.id).call()
    assert stored[5] == 3  # proposalCount
    for item in items:
        _kind, _seats, _count, content = voting.functions.proposal(meeting.id,
                                                                   item.position).call()
        assert "0x" + bytes(content).hex() == item.content_hash

    story.appoint_proxies(coop, meeting)
    drain(worker)
    assert [int(voting.functions.proxyOf(meeting.id, p).call()[1]) for p in (19, 20, 21, 22)] \
        == [2, 2, 2, 3]  # accepted, accepted, accepted, revoked

    move_chain_to(runtime, start + dt.timedelta(hours=1))
    story.vote_online(coop, meeting, items, between=lambda: drain(worker))
    story.attend(coop, meeting)
    drain(worker)
    assert has_voted(voting, meeting.id, 1, 17)  # the new key's ballot counted
    # The events carry every counted ballot's member number and choice: the stored ballots.
    with coop.factory() as session:
        for item in items:
            stored = {b.ballot.member_number: b.ballot.choice for b in (
                v for n in range(1, 23) for v in service.ballots_of(session, meeting.id, n))
                if b.position == item.position}
            on_chain = counted_ballots(voting, meeting.id, item.position)
            assert len(on_chain) == 22 and dict(on_chain) == stored

    move_chain_to(runtime, start + dt.timedelta(hours=8, minutes=5))
    coop.run(lambda s: service.request_finalize(s, meeting.id, actor="ketua"))
    story.count_paper(coop, meeting)
    drain(worker)
    online = finalized_tallies(voting, meeting.id, [0, 1, 2])
    assert online == {0: [3, 17, 2], 1: [13, 9, 0], 2: [15, 12, 9, 12, 6, 1]}
    # The pengurus records the results over HTTP: the route reads the chain itself.
    client = KspClient(chain_settings)
    reply = client.post(f"/api/v1/rat/meetings/{meeting.id}/results", {},
                        client.staff(Role.PENGURUS))
    assert reply.status_code == 200, reply.text
    assert [o["member"] for o in reply.json()["officers"]] == [1, 2, 3]
    story.assert_worked_results(story.results(coop, meeting))
    audit_the_export(coop, w3, voting.address)
    registry = runtime.deployment["contracts"]["AnchorRegistry"]
    anchored = AnchorJob(coop.factory, w3, registry["address"], chain_settings,
                         from_block=registry["block"]).anchor_now()
    assert anchored.block is not None, anchored.message
    ksp_audit_verify(coop, own_anvil.url, registry["address"], voting.address, tmp_path)


def ksp_audit_verify(coop: Coop, rpc: str, registry: str, rat_voting_address: str,
                     tmp_path: Any) -> None:
    """The whole `ksp audit verify --rat-voting` on the anchored export: exit 0; with a
    changed count in a result (leaf rehashed, as a careful tamperer does), exit 1 naming
    the meeting and the item."""
    lines = list(stream_export(coop.factory))
    clean, tampered = tmp_path / "log.jsonl", tmp_path / "tampered.jsonl"
    clean.write_text("".join(lines), encoding="utf-8")

    def fewer_against(data: dict[str, Any]) -> None:
        data["online"][0] -= 1
        data["total"][0] -= 1

    tampered.write_text("".join(_tampered(lines, "rat.hasil", 0, fewer_against)),
                        encoding="utf-8")
    result = verify(clean, rpc, registry, rat_voting=rat_voting_address)
    assert result.exit_code == EXIT_OK, [f.to_json() for f in result.findings]
    result = verify(tampered, rpc, registry, rat_voting=rat_voting_address)
    assert result.exit_code == EXIT_MISMATCH
    [found] = [f for f in result.findings if f.code == "rat_online_mismatch"]
    assert found.message_en.startswith("RAT 1 item no. 1 (position 0)")


def _rat_findings(lines: list[str], w3: Any, address: str) -> list[Finding]:
    """What `ksp audit verify --rat-voting` finds on the export's lines (its line scan)."""
    result = AuditResult()
    for _leaf in Scan(result, None, chain_reader(w3, address)).leaves(
            line.encode() for line in lines):
        pass
    return result.findings


def _tampered(lines: list[str], kind: str, position: int, change: Any) -> list[str]:
    """The export with one entry's data changed, kept canonical and its leaf rehashed."""
    out = []
    for line in lines:
        record = json.loads(line)
        payload = json.loads(record["payload"])
        if record["kind"] == kind and payload["data"]["position"] == position:
            change(payload["data"])
            record["payload"] = rfc8785.dumps(payload).decode()
            record["leaf_hash"] = "0x" + leaf_hash(record["payload"].encode()).hex()
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        out.append(line)
    return out


def audit_the_export(coop: Coop, w3: Any, address: str) -> None:
    lines = list(stream_export(coop.factory))
    assert _rat_findings(lines, w3, address) == []

    def more_for(data: dict[str, Any]) -> None:
        data["online"][1] += 1
        data["total"][1] += 1

    [found] = _rat_findings(_tampered(lines, "rat.hasil", 1, more_for), w3, address)
    assert found.code == "rat_online_mismatch"
    assert found.message_id.startswith("RAT 1 acara no. 2 (posisi 1)")
    assert "[13, 10, 0]" in found.message_id and "[13, 9, 0]" in found.message_id

    def one_more_paper_ballot(data: dict[str, Any]) -> None:
        data["ballots"] += 1  # 7 paper ballots, 6 present, none of them voted online
        data["counts"][0] += 1

    codes = {(f.code, f.message_id.split(":")[0]) for f in _rat_findings(
        _tampered(lines, "rat.suara_langsung", 0, one_more_paper_ballot), w3, address)}
    assert codes == {("rat_paper_exceeds_attendance", "RAT 1 acara no. 1 (posisi 0)"),
                     ("rat_paper_mismatch", "RAT 1 acara no. 1 (posisi 0)")}
