"""A cooperative to lend in, driven through the HTTP API as its people do: a loan officer
(admin "petugas"), two pengurus, a pengawas, members with wallets. The clock is pinned and
moved by `at(day)`; staff sign in again after each move (a staff token lives 8 hours)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import select

from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus
from ksp.core import clock
from ksp.core.db import transaction
from ksp.loans import routes as loan_routes
from ksp.loans.service import ChainDomain
from tests.support.client import PASSWORD, KspClient, new_wallet
from tests.support.factories import anggota, deposit

DOMAIN = ChainDomain(chain_id=31337, contract="0x" + "ab" * 20)
STAFF = {"petugas": Role.ADMIN, "ketua": Role.PENGURUS, "bendahara": Role.PENGURUS,
         "pengawas": Role.PENGAWAS}


class World:
    def __init__(self, client: KspClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}
        with transaction(client.app.state.sessionmaker) as session:
            for name, role in STAFF.items():
                create_staff(session, username=name, password=PASSWORD, role=role)
        self.wallets: dict[int, Any] = {}

    def at(self, day: str) -> None:
        """Moves the clock to 10:00 WIB on `day`; everyone signs in again."""
        clock.freeze(dt.datetime.fromisoformat(day).replace(hour=3, tzinfo=dt.UTC))
        self.tokens.clear()

    def token(self, name: str) -> str:
        if name not in self.tokens:
            if name.startswith("anggota:"):
                self.tokens[name] = self.client.member_login(self.wallets[int(name[8:])])
            else:
                reply = self.client.http.post("/api/v1/auth/login",
                                              json={"username": name, "password": PASSWORD})
                assert reply.status_code == 200, reply.text
                self.tokens[name] = reply.json()["token"]
        return self.tokens[name]

    def member(self, serial: int, *, wajib: int = 650_000, sukarela: int = 2_000_000,
               **over: Any) -> int:
        """A member since 2025-01-10 with a wallet, wajib paid through January 2026 and some
        sukarela (as of 2026-01-14)."""
        wallet = new_wallet()
        petugas = self.token("petugas")
        number = anggota(self.client, petugas, serial, wallet=wallet, tanggal="2025-01-10",
                         **over)
        if wajib:
            deposit(self.client, petugas, number, "wajib", wajib, "2026-01-14")
        if sukarela:
            deposit(self.client, petugas, number, "sukarela", sukarela, "2026-01-14")
        self.wallets[number] = wallet
        return number

    def post(self, path: str, body: Any, who: str) -> Any:
        return self.client.post(path, body, self.token(who))

    def put(self, path: str, body: Any, who: str) -> Any:
        headers = self.client.headers(self.token(who))
        return self.client.http.put(path, json=body, headers=headers)

    def get(self, path: str, who: str) -> Any:
        return self.client.get(path, self.token(who))

    def ok(self, reply: Any, status: int = 200) -> Any:
        assert reply.status_code == status, reply.text
        return reply.json()

    def apply(self, number: int, *, who: str | None = None, **over: Any) -> int:
        body = {"member": number, "product": "umum", "principal": 10_000_000,
                "tenor_months": 12, "rate_bps": 1800, "purpose": "Modal usaha tenun ulos",
                "declared_income": 5_000_000, **over}
        return int(self.ok(self.post("/api/v1/loans", body, who or f"anggota:{number}"),
                           201)["id"])

    def approved(self, number: int, **over: Any) -> int:
        """Applied, proposed by the loan officer, approved by a pengurus."""
        loan = self.apply(number, **over)
        self.ok(self.post(f"/api/v1/loans/{loan}/propose", {}, "petugas"))
        assert self.ok(self.post(f"/api/v1/loans/{loan}/approve", {}, "ketua"))["final"]
        return loan

    def sign(self, loan: int, number: int, *, deadline: int | None = None,
             key: Any = None) -> dict[str, Any]:
        """The member's wallet (or `key`) signs the acceptance the API hands out."""
        until = deadline or int(clock.now().timestamp()) + 7 * 86_400
        typed = self.ok(self.get(f"/api/v1/loans/{loan}/acceptance?deadline={until}",
                                 f"anggota:{number}"))["typed_data"]
        signer = key or self.wallets[number]
        signed = Account.sign_message(encode_typed_data(full_message=typed), signer.key)
        return {"deadline": until, "signature": "0x" + signed.signature.hex().removeprefix("0x")}

    def accepted(self, loan: int, number: int) -> None:
        """The member signs and the backend relays; then the ACCEPT_LOAN row is marked
        INCLUDED, standing for the chain worker having sent it (no chain in these tests)."""
        self.ok(self.post(f"/api/v1/loans/{loan}/acceptance", self.sign(loan, number),
                          f"anggota:{number}"))
        self.mark_included(loan)

    def mark_included(self, loan: int) -> None:
        with transaction(self.client.app.state.sessionmaker) as session:
            row = session.scalars(select(OutboxItem).where(
                OutboxItem.kind == OutboxKind.ACCEPT_LOAN,
                OutboxItem.ref == f"loan:{loan}:accept")).one()
            row.status = OutboxStatus.INCLUDED

    def outbox(self, kind: OutboxKind) -> list[tuple[str, int | None, dict[str, Any]]]:
        with self.client.app.state.sessionmaker() as session:
            return [(r.ref, r.seq, r.data()) for r in session.scalars(
                select(OutboxItem).where(OutboxItem.kind == kind).order_by(OutboxItem.id))]


def make_world(settings: Any, monkeypatch: Any) -> World:
    """The loan's chain domain is fixed (no chain runs here); the clock starts 2026-01-14."""
    monkeypatch.setattr(loan_routes, "loan_domain", lambda _chain: DOMAIN)
    world = World(KspClient(settings))
    world.at("2026-01-14")
    return world
