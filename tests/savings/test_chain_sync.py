"""The member's savings API says how far the chain mirror is behind (issue 9 item 11), and
the statement is ordered by posting date, then seq."""

from __future__ import annotations

from eth_account import Account
from sqlalchemy import update

from ksp.auth.models import Role
from ksp.chain.outbox import OutboxItem, OutboxStatus
from ksp.core.db import transaction
from tests.support.client import KspClient
from tests.support.factories import anggota, deposit


def land(client: KspClient, status: OutboxStatus) -> None:
    """What the outbox worker records once a row's transaction is in a block."""
    with transaction(client.app.state.sessionmaker) as session:
        session.execute(update(OutboxItem).values(status=status))


def test_savings_say_which_entries_the_chain_still_lacks(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    account = Account.create()
    number = anggota(client, admin, 1, wallet=account)
    member = client.member_login(account)

    before = client.get(f"/api/v1/members/{number}/savings", member).json()
    pokok_seq = client.get(f"/api/v1/members/{number}/statement", member).json()["lines"][0]["seq"]
    assert before["chain_synced_through_seq"] is None
    assert before["pending_on_chain"] == 1
    assert before["pending_on_chain_amounts"] == {"pokok": 100_000, "wajib": 0, "sukarela": 0}

    land(client, OutboxStatus.INCLUDED)  # balanceOf at the latest block counts it
    synced = client.get(f"/api/v1/members/{number}/savings", member).json()
    assert synced["chain_synced_through_seq"] == pokok_seq
    assert synced["pending_on_chain"] == 0
    assert synced["pending_on_chain_amounts"] == {"pokok": 0, "wajib": 0, "sukarela": 0}

    first = deposit(client, admin, number, "sukarela", 50_000)["seq"]
    second = deposit(client, admin, number, "sukarela", 25_000)["seq"]
    with transaction(client.app.state.sessionmaker) as session:  # the first is sent, no receipt
        session.execute(update(OutboxItem).where(OutboxItem.seq == first)
                        .values(status=OutboxStatus.SENT))
    behind = client.get(f"/api/v1/members/{number}/savings", member).json()
    assert behind["balances"]["sukarela"] == 75_000
    assert behind["chain_synced_through_seq"] == pokok_seq
    assert behind["pending_on_chain"] == 2
    assert behind["pending_on_chain_amounts"] == {"pokok": 0, "wajib": 0, "sukarela": 75_000}

    land(client, OutboxStatus.CONFIRMED)
    after = client.get(f"/api/v1/members/{number}/savings", member).json()
    assert after["chain_synced_through_seq"] == second
    assert after["pending_on_chain"] == 0


def test_another_members_entries_do_not_count(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    mine, theirs = Account.create(), Account.create()
    number = anggota(client, admin, 1, wallet=mine)
    land(client, OutboxStatus.CONFIRMED)
    other = anggota(client, admin, 2, wallet=theirs)
    deposit(client, admin, other, "sukarela", 40_000)
    reply = client.get(f"/api/v1/members/{number}/savings", client.member_login(mine)).json()
    assert reply["pending_on_chain"] == 0
    assert reply["pending_on_chain_amounts"]["sukarela"] == 0


def test_statement_is_ordered_by_posting_date_then_seq(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    number = anggota(client, admin, 1)  # pokok on 2025-01-10
    march = deposit(client, admin, number, "sukarela", 100_000, "2025-03-01")["seq"]
    today = deposit(client, admin, number, "sukarela", 30_000)["seq"]
    # Typed last, dated in February: it belongs between the pokok and the March deposit.
    february = deposit(client, admin, number, "sukarela", 50_000, "2025-02-01")["seq"]
    also_march = deposit(client, admin, number, "wajib", 50_000, "2025-03-01")["seq"]
    assert february > today > march

    lines = client.get(f"/api/v1/members/{number}/statement", admin).json()["lines"]
    assert [(x["tanggal"], x["seq"], x["jenis"], x["setor"], x["saldo"]) for x in lines[:4]] == [
        ("2025-01-10", lines[0]["seq"], "pokok", 100_000, 100_000),
        ("2025-02-01", february, "sukarela", 50_000, 50_000),
        ("2025-03-01", march, "sukarela", 100_000, 150_000),
        ("2025-03-01", also_march, "wajib", 50_000, 50_000),
    ]
    assert (lines[4]["seq"], lines[4]["saldo"]) == (today, 180_000)
    assert len(lines) == 5


def test_a_linked_wallets_mint_and_a_lost_keys_move_are_waits_not_mismatches(db_settings):
    """Savings booked before the wallet existed are minted under the link's own log entry,
    and a replaced key's savings move under the replacement's: both are on their way, so the
    page says "waiting" with the amount, never "does not match"."""
    from tests.members.test_lost_key import approve, propose

    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    number = anggota(client, admin, 1)  # pokok paid before any wallet
    deposit(client, admin, number, "sukarela", 250_000)
    first = Account.create()
    linked = client.post(f"/api/v1/members/{number}/wallet", client.wallet_proof(first), admin)
    assert linked.status_code == 200, linked.text
    minting = client.get(f"/api/v1/members/{number}/savings", client.member_login(first)).json()
    assert minting["pending_on_chain"] == 1  # the anggota.dompet entry carries both mints
    assert minting["pending_on_chain_amounts"] == {"pokok": 100_000, "wajib": 0,
                                                   "sukarela": 250_000}
    land(client, OutboxStatus.CONFIRMED)

    second = Account.create()
    proposal = propose(client, client.staff(Role.PENGURUS, "pengurus-satu"), number, second)
    assert proposal.status_code == 201, proposal.text
    approved = approve(client, client.staff(Role.PENGURUS, "pengurus-dua"),
                       proposal.json()["id"])
    assert approved.status_code == 200, approved.text
    moving = client.get(f"/api/v1/members/{number}/savings", client.member_login(second)).json()
    assert moving["pending_on_chain"] == 1
    assert moving["pending_on_chain_amounts"] == {"pokok": 100_000, "wajib": 0,
                                                  "sukarela": 250_000}
    land(client, OutboxStatus.INCLUDED)
    moved = client.get(f"/api/v1/members/{number}/savings", client.member_login(second)).json()
    assert moved["pending_on_chain"] == 0
    assert moved["pending_on_chain_amounts"] == {"pokok": 0, "wajib": 0, "sukarela": 0}
