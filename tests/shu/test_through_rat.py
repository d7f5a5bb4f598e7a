"""The worked year (tests/shu/year.py) through a real RAT meeting of the service, without a
chain (online tallies given directly, as the chain would report them; tests/rat/story.py):
the SHU item is built from the proposal, so its content hash binds the proposal's figures;
the members' decision in `rat.hasil` is what the distribution follows, once anchored."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.errors import KspError
from ksp.ledger import chart
from ksp.ledger.models import LogEntry
from ksp.ledger.reports import member_balances
from ksp.rat import service as rat
from ksp.rat.content import content_hash
from ksp.rat.models import AttendanceHow, ItemKind, MeetingKind
from ksp.shu import calc
from tests.shu.year import SHU, SPLIT, TODAY, anchor_log, build_year
from tests.support.client import KspClient
from tests.support.rows import counts

VOTING_START = dt.datetime(2026, 3, 5, 1, 0, tzinfo=dt.UTC)  # 08.00 WIB, 17 days' notice
HELD_AT = dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)
VOTING_END = dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)
AFTER = VOTING_END + dt.timedelta(minutes=5)
LPJ = rat.ItemDraft(ItemKind.LPJ, "Pengesahan LPJ 2025", "Laporan pertanggungjawaban 2025.")
FOR_ALL, AGAINST_MOST = [0, 3, 0], [2, 1, 0]  # paper counts: [tidak setuju, setuju, abstain]
NOBODY_ONLINE = [0, 0, 0]


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(TODAY)
    yield
    clock.freeze(None)


@pytest.fixture
def client(db_settings):
    return KspClient(db_settings)


def _run(client: KspClient, action: Any) -> Any:
    with transaction(client.app.state.sessionmaker) as session:
        return action(session)


def _proposed_year(client: KspClient) -> tuple[dict[str, int], dict[str, Any]]:
    """The worked year closed and proposed by ketua: the members and the proposal."""
    numbers = build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    assert client.post("/api/v1/shu/2025/close", {}, ketua).status_code == 200
    proposed = client.post("/api/v1/shu/2025/proposal", {"settlement": "sukarela"}, ketua)
    assert proposed.status_code == 201, proposed.text
    return numbers, proposed.json()


def _meeting(client: KspClient) -> int:
    draft = rat.MeetingDraft(MeetingKind.ANNUAL, "RAT Tahun Buku 2025", HELD_AT, TODAY.date(),
                             VOTING_START, VOTING_END, "Aula KSP")
    meeting = _run(client, lambda s: rat.create_meeting(s, draft, actor="ketua"))
    _run(client, lambda s: rat.add_item(s, meeting.id, LPJ))
    return int(meeting.id)


def _hold(client: KspClient, meeting: int, members: list[int],
          paper: dict[int, list[int]]) -> dict[int, dict[str, Any]]:
    """Announce, the members present, voting closed, the paper counts co-signed, nobody
    online; the results by position."""
    _run(client, lambda s: rat.announce(s, meeting, actor="ketua"))
    clock.freeze(HELD_AT)
    for number in members:
        _run(client, lambda s, n=number: rat.record_attendance(
            s, meeting, member=n, how=AttendanceHow.IN_PERSON, actor="sekretaris"))
    clock.freeze(AFTER)
    _run(client, lambda s: rat.request_finalize(s, meeting, actor="ketua"))
    for position, votes in paper.items():
        _run(client, lambda s, p=position, v=votes: rat.record_counts(
            s, meeting, position=p, ballots=sum(v), counts=v, overridden=[], chair="ketua"))
        _run(client, lambda s, p=position: rat.cosign_counts(s, meeting, position=p,
                                                             pengawas="pengawas1"))
    _run(client, lambda s: rat.record_results(
        s, meeting, online=dict.fromkeys(paper, NOBODY_ONLINE), actor="ketua"))
    with client.app.state.sessionmaker() as session:
        return {item.position: {**json.loads(result.data), "seq": result.seq}
                for item, result in rat.results_of(session, meeting)}


def test_the_worked_year_through_the_rat_to_the_members_sukarela(client):
    numbers, proposal = _proposed_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    meeting = _meeting(client)

    # The SHU item through the API: figures cannot be typed, only the year named.
    typed = client.post(f"/api/v1/rat/meetings/{meeting}/items", {
        "kind": "shu", "title": "Pembagian SHU 2025", "text": "Usulan pengurus.",
        "figures": proposal["figures"]}, ketua)
    assert typed.status_code == 422
    added = client.post(f"/api/v1/rat/meetings/{meeting}/items", {
        "kind": "shu", "title": "Pembagian SHU 2025", "text": "Usulan pengurus.",
        "fiscal_year": 2025}, ketua)
    assert added.status_code == 201, added.text
    item = added.json()
    assert item["position"] == 1 and item["figures"] == proposal["figures"]
    assert item["figures"]["split"] == SPLIT and item["figures"]["shu"] == SHU
    with client.app.state.sessionmaker() as session:
        stored = rat.get_item(session, meeting, 1)
        # The hash the members sign binds the figures: other figures, another hash.
        other = {**proposal["figures"], "settlement": "tunai"}
        content = rat.item_content(stored)
    assert content_hash(content) == item["content_hash"]
    assert content_hash(dataclasses.replace(content, figures=other)) != item["content_hash"]

    results = _hold(client, meeting, list(numbers.values()), {0: FOR_ALL, 1: FOR_ALL})
    shu = results[1]
    assert (shu["kind"], shu["decision"], shu["total"]) == ("shu", "diterima", [0, 3, 0])
    assert (shu["participants"], shu["eligible"], shu["quorum_reached"]) == (3, 3, True)
    assert shu["fiscal_year"] == 2025 and shu["figures"] == proposal["figures"]
    assert shu["figures_hash"] == proposal["figures_hash"]
    assert shu["content_hash"] == item["content_hash"]
    bendahara = client.staff(Role.PENGURUS, "bendahara")  # signs in on the day (clock moved)

    # Decided but not anchored yet: refused, nothing written.
    before = counts(client)
    early = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert early.status_code == 409 and early.json()["code"] == "shu_approval_not_anchored"
    assert early.json()["details"]["seq"] == shu["seq"]
    assert counts(client) == before

    _run(client, anchor_log)  # the anchor job's final anchor over the RAT's results
    done = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert done.status_code == 201, done.text
    assert done.json()["rat_seq"] == shu["seq"]
    assert (done.json()["members_total"], done.json()["remainder"]) == (437_500, 0)
    with client.app.state.sessionmaker() as session:
        sukarela = {who: member_balances(session, member=number).get(chart.SIMPANAN_SUKARELA)
                    for who, number in numbers.items()}
        allocation = json.loads(session.scalar(select(LogEntry.payload).where(
            LogEntry.seq == done.json()["seq"])))["data"]
    assert sukarela == {"A": 337_602, "B": 23_214, "C": 76_684}
    assert allocation["rat_seq"] == shu["seq"] and allocation["pools"]["split"] == SPLIT
    line = client.get(f"/api/v1/members/{numbers['A']}/shu?year=2025",
                      client.staff(Role.ADMIN, "admin-maret")).json()
    assert line["amount"] == 337_602 and line["inputs"]["rat_seq"] == shu["seq"]


def test_a_rat_that_rejects_the_shu_item_leaves_it_undistributed(client):
    numbers, _proposal = _proposed_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    again = client.post("/api/v1/shu/2025/proposal", {"settlement": "tunai"}, ketua)
    assert again.status_code == 409 and again.json()["code"] == "shu_already_proposed"
    meeting = _meeting(client)
    _run(client, lambda s: rat.add_shu_item(s, meeting, fiscal_year=2025))
    results = _hold(client, meeting, list(numbers.values()), {0: FOR_ALL, 1: AGAINST_MOST})
    assert (results[0]["decision"], results[1]["decision"]) == ("diterima", "ditolak")
    _run(client, anchor_log)
    bendahara = client.staff(Role.PENGURUS, "bendahara")

    before = counts(client)
    refused = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert refused.status_code == 409 and refused.json()["code"] == "shu_not_approved"
    assert counts(client) == before

    # Turned down: the pengurus may now bring new figures to the next meeting.
    ketua = client.staff(Role.PENGURUS, "ketua-2")
    renewed = client.post("/api/v1/shu/2025/proposal", {"settlement": "tunai"}, ketua)
    assert renewed.status_code == 201, renewed.text
    assert renewed.json()["figures"]["settlement"] == "tunai"


def test_an_item_whose_figures_are_not_the_proposal_is_refused(client):
    numbers, proposal = _proposed_year(client)
    meeting = _meeting(client)
    # Well-formed figures, but the RAT's own split instead of the pengurus's proposal.
    split = {**SPLIT, "cadangan": 3500, "jasa_anggota": 4000}
    other = calc.figures(fiscal_year=2025, pools=calc.pools_of(SHU, split, 7000),
                         settlement=calc.Settlement.SUKARELA)
    _run(client, lambda s: rat.add_item(s, meeting, rat.ItemDraft(
        ItemKind.SHU, "Pembagian SHU 2025", "Usulan rapat.", figures=other)))
    results = _hold(client, meeting, list(numbers.values()), {0: FOR_ALL, 1: FOR_ALL})
    assert results[1]["decision"] == "diterima"
    assert results[1]["figures_hash"] == calc.figures_hash(other) != proposal["figures_hash"]
    _run(client, anchor_log)
    bendahara = client.staff(Role.PENGURUS, "bendahara")

    before = counts(client)
    refused = client.post("/api/v1/shu/2025/distribution", {}, bendahara)
    assert refused.status_code == 409 and refused.json()["code"] == "shu_approval_mismatch"
    assert "figures hash differs" in refused.json()["message_en"]
    assert counts(client) == before


def test_an_shu_item_needs_a_proposal_and_well_formed_figures(client):
    build_year(client)
    ketua = client.staff(Role.PENGURUS, "ketua")
    assert client.post("/api/v1/shu/2025/close", {}, ketua).status_code == 200
    meeting = _meeting(client)
    path = f"/api/v1/rat/meetings/{meeting}/items"
    body = {"kind": "shu", "title": "Pembagian SHU", "text": "Usulan."}
    before = counts(client)
    unproposed = client.post(path, {**body, "fiscal_year": 2025}, ketua)
    assert unproposed.status_code == 409 and unproposed.json()["code"] == "shu_not_proposed"
    unclosed = client.post(path, {**body, "fiscal_year": 2024}, ketua)
    assert unclosed.status_code == 409 and unclosed.json()["code"] == "year_not_closed"
    motion = client.post(path, {**body, "kind": "motion", "fiscal_year": 2025}, ketua)
    assert motion.status_code == 422 and motion.json()["code"] == "rat_invalid_item"
    assert counts(client) == before

    figures = calc.figures(fiscal_year=2025, pools=calc.pools_of(SHU, SPLIT, 7000),
                           settlement=calc.Settlement.SUKARELA)
    for bad in ({**figures, "shu": 1.5}, {**figures, "amounts": {**figures["amounts"],
                                                                  "cadangan": 1}},
                {k: v for k, v in figures.items() if k != "settlement"}):
        with pytest.raises(KspError) as caught:
            _run(client, lambda s, f=bad: rat.add_item(s, meeting, rat.ItemDraft(
                ItemKind.SHU, "Pembagian SHU", "Usulan.", figures=f)))
        assert caught.value.code == "rat_invalid_item"
    assert counts(client) == before
