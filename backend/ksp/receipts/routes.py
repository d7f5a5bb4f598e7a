"""Signed receipts over HTTP: JSON for the page, an SVG QR code for the printed receipt.

Access is the proof route's (ksp.anchoring.routes): a member (anggota) gets receipts of
entries that concern them and only for themselves; staff get any.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ksp.anchoring.routes import concerns_member
from ksp.api.deps import CurrentPrincipal, SessionDep
from ksp.api.openapi import error_responses
from ksp.api.types import INT64_MAX, Seq
from ksp.auth.models import Role
from ksp.auth.service import STAFF_ROLES, Principal
from ksp.core.errors import Forbidden, NotFound
from ksp.ledger.models import LogEntry
from ksp.receipts import service
from ksp.receipts.errors import (
    ReceiptMemberRequired,
    ReceiptNotAvailable,
    ReceiptSignerUnavailable,
)

router = APIRouter(prefix="/api/v1", tags=["receipts"])
MemberChoice = Annotated[int | None, Query(
    ge=1, le=INT64_MAX,
    description="Nomor anggota, bila entri menyangkut beberapa anggota / member number, "
                "when the entry concerns several members")]
ERRORS = (NotFound, Forbidden, ReceiptNotAvailable, ReceiptMemberRequired,
          ReceiptSignerUnavailable)


class ReceiptDomainOut(BaseModel):
    name: str
    version: str
    chainId: int  # noqa: N815 - the EIP-712 field name, as the page passes it on
    verifyingContract: str  # noqa: N815


class ReceiptOut(BaseModel):
    """docs/ANCHORING.md "Signed receipts": EIP-712 Receipt(seq, leafHash, member, amount)."""

    seq: int
    leaf_hash: str
    member: int
    amount: int = Field(description="Rupiah for this member: + setoran / deposit, "
                                    "- penarikan / withdrawal")
    signer: str = Field(description="Operator address; equals receipt_signer in "
                                    "/api/v1/chain/config")
    signature: str = Field(description="65-byte EIP-712 signature, 0x hex")
    domain: ReceiptDomainOut
    qr_text: str = Field(description="Compact text of the QR code (parse_qr_text)")


def _receipt(session: Session, request: Request, principal: Principal, seq: int,
             member: int | None) -> service.SignedReceipt:
    entry = session.get(LogEntry, seq)
    if entry is None:
        raise NotFound(what_id="Entri log", what_en="Log entry", key=seq)
    if principal.role is Role.ANGGOTA:
        own = principal.member_number
        if own is None or member not in (None, own) or not concerns_member(session, entry, own):
            raise Forbidden()
        member = own
    elif principal.role not in STAFF_ROLES:
        raise Forbidden()
    return service.signed_receipt(session, request.app.state.chain, seq, member)


@router.get("/log/entries/{seq}/receipt", response_model=ReceiptOut,
            responses=error_responses(*ERRORS))
def entry_receipt(seq: Seq, session: SessionDep, principal: CurrentPrincipal,
                  request: Request, member: MemberChoice = None) -> Any:
    """The server's signed promise about entry `seq` for one member (docs/ANCHORING.md)."""
    receipt = _receipt(session, request, principal, seq, member)
    claim, domain = receipt.claim, receipt.domain
    return {"seq": claim.seq, "leaf_hash": "0x" + claim.leaf_hash.hex(),
            "member": claim.member, "amount": claim.amount, "signer": receipt.signer,
            "signature": "0x" + receipt.signature.hex(), "domain": domain.as_eip712(),
            "qr_text": receipt.qr_text}


@router.get("/log/entries/{seq}/receipt.svg", response_class=Response,
            responses={200: {"description": "QR code of qr_text",
                             "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                       **error_responses(*ERRORS)})
def entry_receipt_qr(seq: Seq, session: SessionDep, principal: CurrentPrincipal,
                     request: Request, member: MemberChoice = None) -> Response:
    """The receipt's qr_text as an SVG QR code, for the printed receipt."""
    receipt = _receipt(session, request, principal, seq, member)
    return Response(qr_svg(receipt.qr_text), media_type="image/svg+xml")


def qr_svg(text: str) -> bytes:
    """The QR code of a receipt's text as SVG (also the staff console's printed receipt)."""
    svg = io.BytesIO()
    segno.make(text, error="m", micro=False).save(svg, kind="svg", scale=4, border=4,
                                                  xmldecl=False)
    return svg.getvalue()
