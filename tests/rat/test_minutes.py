"""The minutes (risalah) of the worked RAT: attendance, quorum, each item's counts and
decision, the officers, the transactions, and the log seq and anchored root of each result;
refused before the results are recorded."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
from sqlalchemy import select

from ksp.anchoring.models import AnchorRecord
from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.errors import KspError
from ksp.core.settings import Settings
from ksp.printing.render import html_to_pdf
from ksp.rat import minutes, service
from ksp.rat.models import ItemResult
from tests.rat import story
from tests.rat.conftest import HELD_AT, VOTING_END, Coop, announced_meeting
from tests.support.client import KspClient

ROOT = "0x" + "ab" * 32
TX = "0x" + "cd" * 32


def _decided(coop: Coop) -> int:
    meeting, items = announced_meeting(coop)
    story.appoint_proxies(coop, meeting)
    clock.freeze(HELD_AT)
    story.vote_online(coop, meeting, items)
    story.attend(coop, meeting)
    clock.freeze(VOTING_END + dt.timedelta(minutes=5))
    coop.run(lambda s: service.request_finalize(s, meeting.id, actor="ketua"))
    story.count_paper(coop, meeting)
    with pytest.raises(KspError) as caught:  # not decided yet: no minutes
        coop.run(lambda s: minutes.minutes_data(s, meeting.id))
    assert caught.value.code == "rat_wrong_state"
    coop.run(lambda s: service.record_results(s, meeting.id, actor="ketua"))
    return int(meeting.id)


def _anchor_over(coop: Coop, seq: int) -> None:
    coop.run(lambda s: s.add(AnchorRecord(
        tree_size=seq, root=bytes.fromhex(ROOT[2:]), chain_id=31337,
        registry_address="0x" + "11" * 20, anchor_index=0, tx_hash=TX, block_number=9,
        status="confirmed", created_at=clock.now())))


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", "".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(pdf)).pages))


def test_the_minutes_of_the_worked_meeting(coop: Coop) -> None:
    meeting_id = _decided(coop)
    with coop.factory() as session:
        seqs = list(session.scalars(select(ItemResult.seq).order_by(ItemResult.seq)))
    _anchor_over(coop, seqs[1])  # the first two results are anchored, the third not yet
    with coop.factory() as session:
        data = minutes.minutes_data(session, meeting_id)
        text = _text(html_to_pdf(minutes.minutes_html(session, meeting_id, "KSP Uji",
                                                      "0x" + "42" * 20)))
    assert [a["member"] for a in data["attendance"]] == list(range(23, 29))
    assert data["quorum"] == {"eligible": 30, "participants": 28, "quorum_bps": 5000,
                              "quorum_reached": True, "quorum_text": "50%"}
    lpj, shu, election = data["items"]
    assert [(r["online"], r["in_person"], r["total"]) for r in lpj["rows"]] == [
        (3, 1, 4), (17, 4, 21), (2, 1, 3)]
    assert [r["total"] for r in election["rows"]] == [15, 13, 13, 12, 10, 3]
    assert [i["anchor"] is not None for i in data["items"]] == [True, True, False]
    assert [i["seq"] for i in data["items"]] == seqs
    assert "Risalah" in text and "Hadir di tempat rapat" in text
    assert "Kuorum 50%: TERCAPAI" in text
    assert "DITERIMA / passed" in text and "DITOLAK / rejected" in text
    assert "TERPILIH / elected" in text
    assert f"Hasil di log seq {seqs[0]}" in text and f"ukuran pohon / tree size {seqs[1]}" in text
    assert ROOT in text.replace(" ", "") and "belum dijangkarkan" in text
    assert ("0x" + "42" * 20) in text.replace(" ", "")
    assert "cast_ballot" in text and "create_meeting" in text
    assert "Sekretaris rapat" in text and "Pimpinan rapat" in text


def test_the_minutes_pdf_over_http(coop: Coop, db_settings: Settings) -> None:
    meeting_id = _decided(coop)
    client = KspClient(db_settings)
    reply = client.get(f"/api/v1/rat/meetings/{meeting_id}/risalah.pdf",
                       client.staff(Role.PENGURUS))
    assert reply.status_code == 200 and reply.content.startswith(b"%PDF")
    assert "DITERIMA" in _text(reply.content)


def test_every_member_reads_the_results_but_not_others_attendance(
        coop: Coop, db_settings: Settings) -> None:
    meeting_id = _decided(coop)
    with coop.factory() as session:
        result_seq = session.scalars(select(ItemResult.seq).order_by(ItemResult.seq)).first()
        present_seq = service.attendance_of(session, meeting_id)[0].seq  # member 23
    client = KspClient(db_settings)
    token = client.member_login(coop.keys[5])  # member 5 was not in the hall
    reply = client.get(f"/api/v1/log/entries/{result_seq}", token)
    assert reply.status_code == 200 and '"kind":"rat.hasil"' in reply.json()["payload"]
    assert client.get(f"/api/v1/log/entries/{present_seq}", token).status_code == 403
    proof = client.get(f"/api/v1/log/entries/{result_seq}/proof", token)
    assert proof.status_code == 409 and proof.json()["code"] == "not_anchored_yet"
