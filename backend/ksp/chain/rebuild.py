"""A lost or reset chain is noticed and rebuilt from the ledger, which is authoritative.

What counts as "the chain we wrote to" is recorded with the deployment
(`deployments/<chainId>.json`, key `chain`): the chain id, the genesis hash and the hash
of the block the AnchorRegistry was deployed in. A local Anvil's genesis is the same on
every fresh start, so the deploy block's hash is what tells a new chain from ours.

`ChainGuard.check` finds a reset when, for a database that has written to the chain:

* a recorded contract has no code at its address (or, on a local chain, the record of
  the contracts is gone);
* the chain id, the genesis hash or the deploy block's hash differ from the record;
* the registry's `latest()` is behind a final anchor deeper than any rollback reaches
  (a shallow rollback is healed by the outbox and the anchor job, not here).

`ChainGuard.rebuild` then, in this order, so a power cut at any point ends in one reset:

1. redeploys the contracts (`ChainRuntime.deploy`);
2. in one database transaction: a `chain.reset` log entry with the old and new chain
   facts; every old anchor marked `lost` (kept, never deleted); every outbox row set back
   to pending (each carries its ref, so the fresh contracts replay admits, mirrors and
   exits exactly once); and, for state the outbox never held (wallets linked before the
   outbox existed), new rows computed from the ledger;
3. records the new chain facts (from then on the chain is "ours" again);
4. anchors the log at its current size.

Before step 1 the reset is marked in the deployment file (`reset_pending`, with an id): a
start that dies anywhere before step 3 finds the mark and finishes the rebuild, and step 2
is skipped when the newest `chain.reset` entry already carries that id. (A redeployed
local chain can be block for block the one we lost, so the mark is what tells.)
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from ksp.chain.deploy import deployment_path, read_deployment
from ksp.chain.finality import LOCAL_CHAIN_IDS, RECHECK_MARGIN
from ksp.chain.outbox import OutboxItem, OutboxKind, OutboxStatus, enqueue
from ksp.core.db import transaction
from ksp.core.settings import Settings

log = logging.getLogger("ksp.chain.rebuild")
Say = Callable[[str], None]

RESET_KIND = "chain.reset"  # the log entry of a reset
REFILL_KIND = "chain.reset.mirror"  # a member's state the outbox never held, re-sent
LOST = "lost"  # AnchorRecord.status of an anchor that was on the chain that was lost


@dataclass(frozen=True)
class ChainFacts:
    chain_id: int
    genesis_hash: str
    deploy_block: int | None = None
    deploy_block_hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "genesis_hash": self.genesis_hash,
                "deploy_block": self.deploy_block, "deploy_block_hash": self.deploy_block_hash}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ChainFacts | None:
        if not data:
            return None
        return cls(int(data["chain_id"]), str(data["genesis_hash"]),
                   data.get("deploy_block"), data.get("deploy_block_hash"))


@dataclass(frozen=True)
class ResetFound:
    code: str  # contracts_missing | deployment_missing | chain_id_changed | genesis_changed
    #            | deploy_block_changed | registry_behind
    message_id: str
    message_en: str


def _hex(value: Any) -> str:
    return "0x" + bytes(HexBytes(value)).hex()


def _block_hash(w3: Web3, number: int) -> str | None:
    try:
        return _hex(w3.eth.get_block(number)["hash"])
    except Exception:  # noqa: BLE001 - no such block on this chain
        return None


def read_facts(w3: Web3, deployment: dict[str, Any]) -> ChainFacts:
    """The facts of the chain `w3` talks to, for the contracts in `deployment`."""
    registry = deployment.get("contracts", {}).get("AnchorRegistry")
    block = int(registry["block"]) if registry and "block" in registry else None
    genesis = _block_hash(w3, 0)
    assert genesis is not None
    return ChainFacts(int(w3.eth.chain_id), genesis, block,
                      _block_hash(w3, block) if block is not None else None)


def _set_key(deployments_dir: Path, chain_id: int, key: str, value: Any) -> None:
    """Sets (or, with None, removes) one key of the deployment file: temporary file, then
    rename, so a power cut leaves the old file or the new one."""
    record = read_deployment(deployments_dir, chain_id)
    if value is None:
        if key not in record:
            return
        record.pop(key)
    else:
        record[key] = value
    path = deployment_path(deployments_dir, chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(temporary, path)


def write_facts(deployments_dir: Path, chain_id: int, facts: ChainFacts) -> None:
    """Records the facts of the chain we write to with its deployment."""
    _set_key(deployments_dir, chain_id, "chain", facts.to_json())


def last_reset(session: Session) -> dict[str, Any] | None:
    """The newest `chain.reset` entry: its seq, time and data; None if there was none."""
    from ksp.ledger.models import LogEntry

    entry = session.scalars(select(LogEntry).where(LogEntry.kind == RESET_KIND)
                            .order_by(LogEntry.seq.desc()).limit(1)).first()
    if entry is None:
        return None
    payload: dict[str, Any] = json.loads(entry.payload)
    return {"seq": entry.seq, "at": payload["at"], **payload["data"]}


def _has_chain_history(session: Session) -> bool:
    """The database has written to a chain (otherwise a new chain loses nothing)."""
    from ksp.anchoring.models import AnchorRecord

    return bool(session.scalar(select(func.count(OutboxItem.id)))
                or session.scalar(select(func.count(AnchorRecord.id))))


def _final_anchor(session: Session, chain_id: int) -> tuple[int, int] | None:
    """(tree size, block) of the largest final anchor we recorded on this chain."""
    from ksp.anchoring.models import AnchorRecord

    row = session.execute(
        select(AnchorRecord.tree_size, AnchorRecord.block_number)
        .where(AnchorRecord.chain_id == chain_id, AnchorRecord.status == "confirmed",
               AnchorRecord.block_number.is_not(None))
        .order_by(AnchorRecord.tree_size.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), int(row[1] or 0))


class ChainGuard:
    """Notices a lost or reset chain and rebuilds it from the ledger (see module doc)."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], w3: Web3) -> None:
        self.settings = settings
        self.factory = factory
        self.w3 = w3

    def _deployment(self) -> dict[str, Any]:
        return read_deployment(self.settings.deployments_dir, self.settings.chain_id)

    # --- detection ---------------------------------------------------------------------
    def check(self) -> ResetFound | None:
        """A reset of the chain this database wrote to, or None. Raises if the chain does
        not answer (an outage is not a reset)."""
        deployment = self._deployment()
        contracts: dict[str, Any] = deployment.get("contracts", {})
        if not contracts:
            # On a local chain the record of our contracts is lost with the var dir; on a
            # public chain a missing file needs the pengurus, not a new deployment.
            if self.settings.chain_id in LOCAL_CHAIN_IDS:
                with self.factory() as session:
                    if _has_chain_history(session):
                        path = deployment_path(self.settings.deployments_dir,
                                               self.settings.chain_id)
                        return ResetFound(
                            "deployment_missing",
                            f"catatan kontrak {path.name} hilang, padahal buku besar sudah "
                            "menulis ke rantai",
                            f"the contracts' record {path.name} is gone, though the ledger "
                            "has written to the chain")
            return None
        pending = deployment.get("reset_pending")
        if pending:  # a rebuild that a crash cut short: finish it
            return ResetFound(str(pending["code"]), str(pending["message_id"]),
                              str(pending["message_en"]))
        with self.factory() as session:
            if not _has_chain_history(session):
                return None
            final = _final_anchor(session, self.settings.chain_id)
        for name, info in sorted(contracts.items()):
            code = self.w3.eth.get_code(Web3.to_checksum_address(info["address"]))
            if len(code) == 0:
                return ResetFound(
                    "contracts_missing",
                    f"kontrak {name} tidak ada lagi di {info['address']}",
                    f"contract {name} is no longer at {info['address']}")
        recorded = ChainFacts.from_json(deployment.get("chain"))
        if recorded is not None:
            now = read_facts(self.w3, deployment)
            if now.chain_id != recorded.chain_id:
                return ResetFound("chain_id_changed",
                                  f"id rantai {recorded.chain_id} menjadi {now.chain_id}",
                                  f"chain id {recorded.chain_id} became {now.chain_id}")
            if now.genesis_hash != recorded.genesis_hash:
                return ResetFound("genesis_changed", "blok genesis rantai berubah",
                                  "the chain's genesis block changed")
            if (recorded.deploy_block == now.deploy_block
                    and now.deploy_block_hash != recorded.deploy_block_hash):
                return ResetFound(
                    "deploy_block_changed",
                    f"blok {recorded.deploy_block} tempat kontrak dipasang sudah lain",
                    f"block {recorded.deploy_block}, where the contracts were deployed, "
                    "is a different block now")
        registry = contracts.get("AnchorRegistry")
        if final is not None and registry:
            from ksp.chain import anchor_registry

            size, block = final
            head = int(self.w3.eth.block_number)
            latest = anchor_registry.latest(self.w3, registry["address"])
            if latest.tree_size < size and block < head - RECHECK_MARGIN:
                return ResetFound(
                    "registry_behind",
                    f"latest() registri berukuran {latest.tree_size}, padahal anchor final "
                    f"ukuran {size} tercatat di blok {block}",
                    f"the registry's latest() has size {latest.tree_size}, but a final "
                    f"anchor of size {size} was recorded in block {block}")
        return None

    # --- rebuilding ----------------------------------------------------------------------
    def ensure(self, deploy: Callable[[], dict[str, Any]], say: Say = lambda _m: None,
               *, only_to_rebuild: bool = False) -> ResetFound | None:
        """At start (before any worker): checks, rebuilds if the chain was reset, and
        records the chain's facts. `deploy` deploys what the chain lacks; with
        `only_to_rebuild` (`ksp worker`, which never deploys otherwise) it is called only
        for a rebuild. Returns the reset it healed, or None."""
        found = self.check()
        old = self._deployment()
        if found is None:
            deployment = old if only_to_rebuild else deploy()
            if not deployment.get("contracts"):
                return None
            write_facts(self.settings.deployments_dir, self.settings.chain_id,
                        read_facts(self.w3, deployment))
            return None
        say(f"RANTAI DIRESET / CHAIN RESET: {found.message_id} / {found.message_en}; "
            "membangun ulang dari buku besar / rebuilding from the ledger")
        log.error("chain reset detected (%s): %s", found.code, found.message_en)
        # Marked before the redeploy: a start that dies from here on finds the mark, since
        # a redeployed local chain can look exactly like the one we lost.
        pending = old.get("reset_pending") or {
            "id": os.urandom(8).hex(), "code": found.code, "message_id": found.message_id,
            "message_en": found.message_en}
        _set_key(self.settings.deployments_dir, self.settings.chain_id, "reset_pending",
                 pending)
        deployment = deploy()
        facts = read_facts(self.w3, deployment)
        self._rebuild_books(found, old, deployment, facts, str(pending["id"]))
        write_facts(self.settings.deployments_dir, self.settings.chain_id, facts)
        _set_key(self.settings.deployments_dir, self.settings.chain_id, "reset_pending", None)
        self._anchor_now(deployment)
        return found

    def _anchor_now(self, deployment: dict[str, Any]) -> None:
        registry = deployment.get("contracts", {}).get("AnchorRegistry")
        if not registry:
            return
        from ksp.anchoring.job import AnchorJob

        job = AnchorJob(self.factory, self.w3, registry["address"], self.settings,
                        from_block=int(registry.get("block", 0)), receipt_timeout=30)
        try:
            outcome = job.anchor_now()
            log.warning("anchor after the chain reset: %s", outcome.message_en)
        except Exception as exc:  # noqa: BLE001 - the anchor job anchors later
            log.warning("anchor after the chain reset failed, the anchor job retries: %s", exc)

    def _rebuild_books(self, found: ResetFound, old: dict[str, Any],
                       deployment: dict[str, Any], facts: ChainFacts, reset_id: str) -> None:
        from ksp.anchoring.models import AnchorRecord
        from ksp.ledger import log as ledger_log

        with transaction(self.factory) as session:
            done = last_reset(session)
            if done is not None and done.get("reset_id") == reset_id:
                return  # the database step of this reset already ran
            lost = list(session.scalars(select(AnchorRecord).where(
                AnchorRecord.chain_id == self.settings.chain_id,
                AnchorRecord.status.in_(("sent", "included", "confirmed", "mismatch")))))
            last_size = max((a.tree_size for a in lost if a.status == "confirmed"), default=0)
            replayed = session.scalar(select(func.count(OutboxItem.id))) or 0
            old_facts = ChainFacts.from_json(old.get("chain"))
            appended = ledger_log.append(session, RESET_KIND, {
                "reason": found.code,
                "reset_id": reset_id,
                "old": old_facts.to_json() if old_facts else None,
                "new": facts.to_json(),
                "contracts": {name: info["address"]
                              for name, info in sorted(deployment["contracts"].items())},
                "anchors_lost": len(lost),
                "last_anchored_size": last_size,
                "outbox_replayed": int(replayed),
            })
            for anchor in lost:
                anchor.status = LOST
                anchor.anchor_index = None
            session.flush()
            session.execute(update(OutboxItem).values(
                status=OutboxStatus.PENDING, tx_hash=None, block_number=None, block_hash=None,
                attempts=0, next_attempt_at=None, last_error=None))
            _enqueue_what_the_outbox_never_held(session, appended.seq)
        log.error("chain rebuilt from the ledger: %d outbox rows to replay, %d anchors lost "
                  "(last anchored size %d)", replayed, len(lost), last_size)


def _enqueue_what_the_outbox_never_held(session: Session, reset_seq: int) -> None:
    """Members whose wallet, admission, exit or savings never went through the outbox
    (linked before it existed): queued now from the ledger, after the replayed history."""
    from ksp.ledger import log as ledger_log
    from ksp.ledger.chart import SAVINGS_TOKEN_IDS
    from ksp.ledger.reports import member_balances
    from ksp.members.models import Member, MemberStatus

    admitted: set[int] = set()
    exited: set[int] = set()
    mirrored: dict[tuple[int, int], int] = {}
    for item in session.scalars(select(OutboxItem).order_by(OutboxItem.id)):
        data = item.data()
        owner = int(data.get("member", -1))
        if item.kind is OutboxKind.ADMIT_MEMBER:
            admitted.add(owner)
        elif item.kind is OutboxKind.EXIT_MEMBER:
            exited.add(owner)
        elif item.kind is OutboxKind.MIRROR_SAVINGS:
            key = (owner, int(data["token_id"]))
            mirrored[key] = mirrored.get(key, 0) + int(data["delta"])
    members = session.scalars(select(Member).where(Member.wallet_address.is_not(None))
                              .order_by(Member.number))
    for member in members:
        if member.status is MemberStatus.CALON:
            continue
        wallet = member.wallet_address
        number = member.number
        balances = member_balances(session, member=number)
        deltas = {token: balances.get(account, 0) - mirrored.get((number, token), 0)
                  for account, token in SAVINGS_TOKEN_IDS.items()}
        deltas = {token: delta for token, delta in deltas.items() if delta}
        needs_admit = number not in admitted
        needs_exit = member.status is MemberStatus.KELUAR and number not in exited
        if not (needs_admit or deltas or needs_exit):
            continue
        # One entry per member: the token contract refuses a second (seq, token) pair.
        entry = ledger_log.append(session, REFILL_KIND, {
            "member": number, "wallet": wallet, "reset_seq": reset_seq,
            "deltas": {str(t): d for t, d in sorted(deltas.items())},
            "admit": needs_admit, "exit": needs_exit})
        if needs_admit:
            enqueue(session, seq=entry.seq, kind=OutboxKind.ADMIT_MEMBER,
                    data={"member": number, "wallet": wallet})
        for token, delta in sorted(deltas.items()):
            enqueue(session, seq=entry.seq, kind=OutboxKind.MIRROR_SAVINGS,
                    data={"member": number, "wallet": wallet, "token_id": token,
                          "delta": delta})
        if needs_exit:
            enqueue(session, seq=entry.seq, kind=OutboxKind.EXIT_MEMBER,
                    data={"member": number})


class ChainWatch:
    """The worker loop's side of the guard: every `interval` s asks `guard.check`; on a
    reset, calls `on_reset` (which stops the chain workers, rebuilds, starts them again).
    A chain that does not answer is an outage, not a reset: it waits."""

    def __init__(self, guard: ChainGuard, on_reset: Callable[[ResetFound], None],
                 interval: float = 15) -> None:
        self.guard = guard
        self.on_reset = on_reset
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chain-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                found = self.guard.check()
            except Exception as exc:  # noqa: BLE001 - chain down: the outbox waits it out
                log.debug("chain check skipped: %s", exc)
                continue
            if found is not None:
                try:
                    self.on_reset(found)
                except Exception:  # the next pass tries again
                    log.exception("rebuilding the reset chain failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
