"""Rantai & audit: the chain's status, the latest anchors, the outbox backlog and its last
errors; reconciliation (ledger against chain) on request, and "Anchor sekarang", which
runs the anchor job's own code (`AnchorJob.repair`, then `anchor_now`, as `ksp anchor now`
does). The page itself reads the database and the cached chain probe only, so it renders
quickly whatever the chain does."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksp.anchoring.job import AnchorJob
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import Outcome, is_chain_down, reason
from ksp.anchoring.service import deployed_registry
from ksp.auth.models import Role
from ksp.auth.service import Principal
from ksp.chain.deploy import read_deployment
from ksp.chain.outbox import OPEN_STATUSES, OutboxItem, OutboxStatus
from ksp.chain.probe import ChainStatus, probe_of
from ksp.console import session as web
from ksp.console.common import (
    Form,
    check_post,
    factory,
    new_key,
    page,
    refused,
    settings_of,
    to_login,
    writer_for,
)
from ksp.core import clock
from ksp.core.idempotency import IdempotencyRecord
from ksp.core.settings import Settings
from ksp.savings.reconcile import Reconciliation, reconcile

logger = logging.getLogger("ksp.console")
router = APIRouter()

# Who may press "Anchor sekarang": the board and the super admin (not admin, not pengawas).
ANCHOR_ROLES = (Role.PENGURUS, Role.SUPER_ADMIN)
TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
SHOWN_ANCHORS = 10
SHOWN_ERRORS = 10
RECEIPT_TIMEOUT_S = 30  # a person is waiting for the page
# What the audit row records for each outcome of "Anchor sekarang".
AUDIT_STATUS = {Outcome.DELAYED.value: 503, Outcome.REJECTED.value: 502, "no_registry": 503}
UNREACHABLE = ("Rantai tidak terjangkau.", "Chain unreachable.")


def tx_link(settings: Settings, tx_hash: str | None) -> str | None:
    """The explorer page of a transaction, only when an explorer is configured."""
    if settings.explorer_url and tx_hash and TX_HASH.fullmatch(tx_hash):
        return f"{settings.explorer_url}/tx/{tx_hash}"
    return None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)  # SQLite: UTC


def local_time(value: dt.datetime) -> str:
    """A stored time as the cooperative reads it (its own time zone)."""
    return _aware(value).astimezone(clock.zone()).strftime("%d-%m-%Y %H:%M")


def age_text(seconds: int | None) -> tuple[str, str]:
    if seconds is None:
        return "—", "—"
    if seconds < 60:
        return f"{seconds} detik", f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} menit", f"{seconds // 60} min"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} jam {minutes} menit", f"{hours} h {minutes} min"


@dataclass
class Backlog:
    counts: dict[str, int]  # every outbox status, zero included
    waiting: int  # not yet confirmed on chain
    oldest_age_s: int | None  # of the oldest row not yet confirmed
    errors: list[OutboxItem] = field(default_factory=list)


def outbox_backlog(session: Session) -> Backlog:
    counts = {status.value: 0 for status in OutboxStatus}
    oldest: dt.datetime | None = None
    for status, count, first in session.execute(
            select(OutboxItem.status, func.count(OutboxItem.id), func.min(OutboxItem.created_at))
            .group_by(OutboxItem.status)):
        counts[OutboxStatus(status).value] = int(count)
        if status in OPEN_STATUSES and first is not None:
            oldest = _aware(first) if oldest is None else min(oldest, _aware(first))
    waiting = sum(counts[status.value] for status in OPEN_STATUSES)
    age = None if oldest is None else max(0, int((clock.now() - oldest).total_seconds()))
    errors = list(session.scalars(select(OutboxItem).where(OutboxItem.last_error.is_not(None))
                                  .order_by(OutboxItem.id.desc()).limit(SHOWN_ERRORS)))
    return Backlog(counts, waiting, age, errors)


def latest_anchors(session: Session) -> list[AnchorRecord]:
    return list(session.scalars(select(AnchorRecord).order_by(
        AnchorRecord.tree_size.desc(), AnchorRecord.id.desc()).limit(SHOWN_ANCHORS)))


def _chain(request: Request) -> ChainStatus:
    # The cached probe (as /health): a hung chain cannot hang the page.
    return probe_of(request.app.state).status(wait=0.6)


def _rantai_page(request: Request, who: Principal, status: int = 200,
                 **context: Any) -> Response:
    settings = settings_of(request)
    with factory(request)() as session:
        anchors = latest_anchors(session)
        backlog = outbox_backlog(session)
    return page(request, "rantai.html", who, status, chain=_chain(request), anchors=anchors,
                backlog=backlog, age_text=age_text, local_time=local_time,
                link=lambda h: tx_link(settings, h), can_anchor=who.role in ANCHOR_ROLES,
                key=new_key(), **context)


@router.get("/rantai")
def chain_status(request: Request) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    return _rantai_page(request, who)


# --- reconciliation (on request: it asks the chain once per member) ------------------


@dataclass
class ReconcileView:
    result: Reconciliation | None = None
    problem: tuple[str, str] | None = None  # why there is no result


def run_reconcile(request: Request) -> ReconcileView:
    """`ksp chain reconcile`'s own function; an unreachable chain is an answer, not an
    error."""
    settings = settings_of(request)
    probe = probe_of(request.app.state)
    status = probe.status(wait=0.6)
    if not status.reachable:
        return ReconcileView(problem=UNREACHABLE)
    deployment = read_deployment(settings.deployments_dir, status.chain_id or settings.chain_id)
    if not {"SavingsToken", "CoopMembers"} <= set(deployment.get("contracts", {})):
        return ReconcileView(problem=("Kontrak simpanan belum dipasang di rantai ini.",
                                      "The savings contracts are not deployed on this chain."))
    try:
        # The probe's read-only connection, with its short timeout.
        return ReconcileView(result=reconcile(factory(request), probe.w3, deployment))
    except Exception as exc:  # e.g. no contract at the recorded address: shown, never a 500
        if is_chain_down(exc):
            logger.warning("reconcile: chain unreachable: %s", reason(exc))
            return ReconcileView(problem=UNREACHABLE)
        logger.exception("reconcile failed")
        return ReconcileView(problem=(f"Rekonsiliasi gagal: {type(exc).__name__}.",
                                      f"Reconciliation failed: {type(exc).__name__}."))


@router.get("/rantai/rekonsiliasi")
def chain_reconcile(request: Request) -> Response:
    who = web.principal(request)
    if who is None:
        return to_login()
    view = run_reconcile(request)
    if request.headers.get("hx-request") == "true":  # htmx: the result block only
        return page(request, "_rekonsiliasi.html", who, rekon=view)
    return _rantai_page(request, who, rekon=view)


# --- anchor now ----------------------------------------------------------------------


def run_anchor(request: Request) -> dict[str, Any]:
    """One anchor through the anchor job (repair, then anchor now), as plain data."""
    settings = settings_of(request)
    found = deployed_registry(settings)  # the deployments file only, no chain call
    if found is None:
        return {"outcome": "no_registry",
                "message_id": "Rantai belum dikonfigurasi: kontrak AnchorRegistry belum "
                              "dipasang, jadi tidak ada yang dapat di-anchor.",
                "message_en": "No chain configured: AnchorRegistry is not deployed, so "
                              "nothing can be anchored."}
    if not _chain(request).reachable:
        return {"outcome": Outcome.DELAYED.value,
                "message_id": "Rantai tidak terjangkau; anchor ditunda.",
                "message_en": "Chain unreachable; anchor delayed."}
    try:
        job = AnchorJob(factory(request), request.app.state.chain.connect(), found[0],
                        settings, from_block=found[1], receipt_timeout=RECEIPT_TIMEOUT_S)
        report = job.repair()
        outcome = job.anchor_now()
    except Exception as exc:  # as the anchor worker: a failure is shown, never a 500
        logger.exception("anchor now failed")
        return {"outcome": Outcome.REJECTED.value,
                "message_id": f"Anchor gagal: {type(exc).__name__}.",
                "message_en": f"Anchor failed: {type(exc).__name__}."}
    result: dict[str, Any] = {
        "outcome": outcome.outcome.value, "message_id": outcome.message_id,
        "message_en": outcome.message_en, "tree_size": outcome.tree_size,
        "tx_hash": outcome.tx_hash, "block": outcome.block, "mismatches": report.mismatches}
    return result


def _stored(request: Request, who: Principal, key: str) -> dict[str, Any] | None:
    """The answer already given to this form (a resubmission runs nothing again)."""
    with factory(request)() as session:
        record = session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == f"{who.role.value}:{who.subject}",
            IdempotencyRecord.key == key)).first()
    body = json.loads(record.body) if record is not None else None
    return body if isinstance(body, dict) and "outcome" in body else None


@router.post("/rantai/anchor")
def anchor_now(request: Request, form: Form) -> Response:
    checked = check_post(request, form, write=True)
    if not isinstance(checked, Principal):
        return checked
    who = checked
    if who.role not in ANCHOR_ROLES:
        return refused(request, who, "Hanya pengurus atau super admin yang dapat meng-anchor.",
                       "Only the pengurus or a super admin may anchor.")
    key = form.get("kunci", "")
    writer = writer_for(request, who, key)
    if writer is None:
        return refused(request, who, "Formulir tidak lengkap; muat ulang halaman.",
                       "The form is incomplete; reload the page.", 422)
    result = _stored(request, who, key)
    if result is None:
        # The job keeps its own transactions (and SQLite has one writer), so it runs
        # first; the idempotency record and the audit row follow, together.
        ran = run_anchor(request)
        status = AUDIT_STATUS.get(ran["outcome"], 200)
        result = writer.run({"anchor": "now"}, lambda _session: (status, ran, None))
    return _rantai_page(request, who, anchored=result)
