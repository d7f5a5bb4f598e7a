"""The member's phone files a signed link proof and gets a short code and a QR to show at
the counter; the teller confirms in the console (ksp.console.dompet). Public, like the
challenge endpoint: the proof itself is the credential, and each client IP may file only
so many a minute."""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ksp.api.deps import FactoryDep, MemberNumber, SessionDep, SettingsDep, Writer, writer_for
from ksp.api.openapi import error_responses
from ksp.auth import throttle
from ksp.auth.errors import TooManyChallenges
from ksp.auth.service import WRITE
from ksp.core.db import transaction
from ksp.members import link_requests, service
from ksp.members.errors import (
    LinkCodeUnknown,
    MemberNotActive,
    UnknownMember,
    WalletAlreadyLinked,
    WalletProofInvalid,
    WalletProofOtherMember,
    WalletTaken,
)
from ksp.members.routes import MemberSummary, WalletProof, summary

router = APIRouter(prefix="/api/v1", tags=["anggota"])
TellerWriter = Annotated[Writer, Depends(writer_for(*WRITE))]

CodePath = Annotated[str, Path(min_length=8, max_length=9,
                               pattern="^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$",
                               description="Kode XXXX-XXXX (tanda hubung boleh tidak ada)")]
AddressQuery = Annotated[str, Query(min_length=42, max_length=42,
                                    pattern="^0x[0-9a-fA-F]{40}$")]


class LinkRequestOut(BaseModel):
    code: str = Field(description="Kode XXXX-XXXX untuk teller / short code for the teller")
    member: int
    expires_at: str = Field(description="ISO 8601")
    qr_text: str = Field(description="Isi QR / the QR's text: KSP-LINK:1:<member>:<CODE>")


class LinkCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20,
                      description="Kode dari HP anggota, huruf besar/kecil, tanda hubung boleh")


class LinkStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    linked: bool
    member: int | None


def _out(request: Any) -> dict[str, Any]:
    return {"code": link_requests.shown(request.code), "member": request.member_number,
            "expires_at": throttle.aware(request.expires_at).isoformat(),
            "qr_text": link_requests.qr_text(request)}


@router.post("/wallet/link-requests", status_code=201, response_model=LinkRequestOut,
             responses=error_responses(WalletProofInvalid, UnknownMember, MemberNotActive,
                                       WalletTaken, TooManyChallenges))
def file_link_request(body: WalletProof, request: Request, factory: FactoryDep,
                      settings: SettingsDep) -> Any:
    """Files a signed `link` challenge naming a member (POST /wallet/challenges with
    `member`); the proof is checked now but used only when the teller confirms."""
    ip = request.client.host if request.client else None
    if ip is not None:  # its own transaction: a refused proof still counts
        with transaction(factory) as session:
            throttle.take(session, f"link-request-ip:{ip}",
                          limit=settings.wallet_challenge_ip_max,
                          window_seconds=settings.wallet_challenge_ip_window_seconds,
                          error=TooManyChallenges)
    with transaction(factory) as session:
        filed = link_requests.create(session, message=body.message, signature=body.signature,
                                     settings=settings)
        return _out(filed)


@router.get("/wallet/link-requests/{code}.svg", response_class=Response,
            responses={200: {"description": "QR: KSP-LINK:1:<member>:<CODE>",
                             "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                       **error_responses(LinkCodeUnknown)})
def link_request_qr(code: CodePath, session: SessionDep) -> Response:
    """The code as a QR for the teller's scanner; its text is also the SVG's title."""
    with session.begin():
        filed = link_requests.open_request(session, code)
        text = link_requests.qr_text(filed)
    svg = io.BytesIO()
    segno.make(text, error="m", micro=False).save(svg, kind="svg", scale=6, border=4,
                                                  xmldecl=False, title=text)
    return Response(svg.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


@router.get("/wallet/link-status", response_model=LinkStatus)
def link_status(address: AddressQuery, session: SessionDep) -> Any:
    """Whether this wallet is linked to an active member yet (the phone polls it while
    the teller confirms): yes/no and the member number, nothing else."""
    with session.begin():
        number = link_requests.link_status(session, address)
    return {"linked": number is not None, "member": number}


@router.post("/members/{number}/wallet/code", status_code=200, response_model=MemberSummary,
             responses=error_responses(LinkCodeUnknown, UnknownMember, WalletAlreadyLinked,
                                       WalletProofInvalid, WalletProofOtherMember, WalletTaken))
def link_by_code(number: MemberNumber, body: LinkCodeIn, writer: TellerWriter,
                 settings: SettingsDep) -> Any:
    """The teller, after checking the member's KTP, links the wallet filed under the code
    the member shows (a code made for another member number is refused)."""
    def act(session: Any) -> tuple[int, Any, int]:
        seq = link_requests.complete(session, typed=body.code, member=number,
                                     settings=settings)
        return 200, summary(service.get_member(session, number)), seq

    typed = link_requests.normalise(body.code) or body.code
    return writer.run({"member": number, "code": typed}, act)
