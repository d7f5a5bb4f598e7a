"""A cooperative of 30 members with wallets (joined 10 January 2026), the clock frozen on
1 November 2026, and a RatVoting domain without a chain: the backend checks signatures
against it exactly as the contract will."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import Base, transaction
from ksp.core.settings import Settings, get_settings
from ksp.rat import service
from ksp.rat.models import ItemKind, MeetingKind, Office
from ksp.rat.signing import RatDomain, ballot_message, sign
from ksp.shu import calc
from tests.support.factories import join

TODAY = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
JOINED = dt.date(2026, 1, 10)
VOTING_START = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)  # 08.00 WIB
HELD_AT = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 09.00 WIB
VOTING_END = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
DOMAIN = RatDomain(31337, Account.from_key("0x" + "42" * 32).address)
# The shape of an SHU proposal's figures (ksp.shu.calc.figures): Rp 120.000.000 split
# 40/35/5/5/5/5/5, jasa usaha 70% of jasa anggota, credited to sukarela.
SHU_FIGURES = calc.figures(
    fiscal_year=2025, settlement=calc.Settlement.SUKARELA,
    pools=calc.pools_of(120_000_000, {"cadangan": 4000, "jasa_anggota": 3500,
                                      "pengurus": 500, "karyawan": 500, "pendidikan": 500,
                                      "sosial": 500, "pembangunan_daerah": 500}, 7000))


@dataclass
class Coop:
    factory: sessionmaker[Session]
    keys: dict[int, Any] = field(default_factory=dict)  # member number -> eth account
    domain: RatDomain = DOMAIN

    def run(self, action: Any) -> Any:
        with transaction(self.factory) as session:
            return action(session)

    def ballot(self, meeting: int, item: Any, voter: int, choice: int,
               principal: int | None = None, content_hash: str | None = None) -> Any:
        primary, message = ballot_message(meeting, item.position, content_hash or
                                          item.content_hash, choice, principal)
        signature = sign(self.domain, primary, message, self.keys[voter].key)
        return self.run(lambda s: service.cast_ballot(
            s, self.domain, meeting, position=item.position, voter=voter, choice=choice,
            content_hash_hex=content_hash or item.content_hash, signature=signature,
            principal=principal))

    def appoint(self, meeting: Any, principal: int, proxy: int) -> Any:
        signature = sign(self.domain, "Proxy", {
            "meetingId": meeting.id, "principalNumber": principal,
            "proxy": self.keys[proxy].address,
            "agendaHash": bytes.fromhex(meeting.agenda_hash[2:])}, self.keys[principal].key)
        return self.run(lambda s: service.appoint_proxy(
            s, self.domain, meeting.id, principal=principal, proxy=proxy, signature=signature))

    def accept(self, meeting: Any, principal: int, proxy: int) -> Any:
        signature = sign(self.domain, "ProxyAcceptance", {
            "meetingId": meeting.id, "principalNumber": principal,
            "proxy": self.keys[proxy].address}, self.keys[proxy].key)
        return self.run(lambda s: service.accept_proxy(
            s, self.domain, meeting.id, principal=principal, proxy=proxy, signature=signature))

    def revoke(self, meeting: Any, principal: int) -> Any:
        signature = sign(self.domain, "ProxyRevocation", {
            "meetingId": meeting.id, "principalNumber": principal}, self.keys[principal].key)
        return self.run(lambda s: service.revoke_proxy(
            s, self.domain, meeting.id, principal=principal, signature=signature))

    def rows(self) -> dict[str, int]:
        with self.factory() as session:
            return {t.name: session.scalar(select(func.count()).select_from(t)) or 0
                    for t in Base.metadata.sorted_tables}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.freeze(TODAY)
    get_settings.cache_clear()
    yield
    clock.freeze(None)
    get_settings.cache_clear()


def make_coop(settings: Settings, size: int = 30, joined: dt.date = JOINED) -> Coop:
    _engine, factory = open_database(settings)
    cipher = PiiCipher(settings.pii_key_bytes())
    coop = Coop(factory)
    with transaction(factory) as session:
        for serial in range(1, size + 1):
            account = Account.create()
            member = join(session, cipher, serial, on=joined, wallet_address=account.address)
            coop.keys[member.number] = account
    return coop


@pytest.fixture
def coop(db_settings: Settings) -> Coop:
    """30 members, on SQLite and on PostgreSQL."""
    return make_coop(db_settings)


def draft(**over: Any) -> service.MeetingDraft:
    values: dict[str, Any] = {
        "kind": MeetingKind.ANNUAL, "title": "RAT Tahun Buku 2025", "held_at": HELD_AT,
        "record_date": TODAY.date(), "voting_start": VOTING_START, "voting_end": VOTING_END,
        "place": "Aula KSP, Jl. Danau Toba 1", "online_link": "https://ksp.example/rat"}
    values.update(over)
    return service.MeetingDraft(**values)


LPJ = service.ItemDraft(ItemKind.LPJ, "Pengesahan LPJ 2025",
                        "Laporan pertanggungjawaban pengurus dan laporan keuangan 2025.")
SHU = service.ItemDraft(ItemKind.SHU, "Pembagian SHU 2025",
                        "Pembagian SHU Rp 120.000.000 menurut usulan pengurus.",
                        figures=SHU_FIGURES)
ELECTION = service.ItemDraft(ItemKind.ELECTION, "Pemilihan pengurus 2026-2031",
                             "Tiga kursi pengurus dari lima calon.", office=Office.PENGURUS,
                             seats=3, candidates=[1, 2, 3, 4, 5])


def announced_meeting(coop: Coop, **schedule: Any) -> tuple[Any, list[Any]]:
    meeting = coop.run(lambda s: service.create_meeting(s, draft(**schedule), actor="ketua"))
    items = [coop.run(lambda s, d=d: service.add_item(s, meeting.id, d))
             for d in (LPJ, SHU, ELECTION)]
    coop.run(lambda s: service.announce(s, meeting.id, actor="ketua"))
    meeting = coop.run(lambda s: service.get_meeting(s, meeting.id))
    return meeting, items
