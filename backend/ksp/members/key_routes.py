"""Routes of a lost key's replacement (maker-checker); the rules live in ksp.members.keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from ksp.api.deps import (
    MemberNumber,
    SessionDep,
    SettingsDep,
    Writer,
    require_roles,
    writer_for,
)
from ksp.api.openapi import error_responses
from ksp.api.types import HumanText
from ksp.auth.service import APPROVE, READ_ALL, WRITE
from ksp.members import keys, wallet
from ksp.members.errors import (
    KeyReplacementDecided,
    KeyReplacementNeedsSecondPengurus,
    KeyReplacementNotFound,
    KeyReplacementStale,
    MemberHasNoWallet,
    MemberNotActive,
    UnknownMember,
    WalletProofInvalid,
    WalletProofOtherMember,
    WalletTaken,
)
from ksp.members.models import KeyReplacement
from ksp.members.routes import WalletProof

router = APIRouter(prefix="/api/v1", tags=["anggota"])
ProposeWriter = Annotated[Writer, Depends(writer_for(*WRITE))]
ApproveWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]
ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Nomor usulan")]


class KeyReplacementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wallet: WalletProof = Field(description="Tanda tangan `link` dari dompet BARU anggota")
    alasan: HumanText = Field(min_length=1, max_length=200,
                              description="Alasan, mis. HP hilang; identitas sudah diperiksa")


class KeyReplacementOut(BaseModel):
    id: int
    member: int
    old_wallet: str
    new_wallet: str
    alasan: str
    proposed_by: str
    approved_by: str | None
    seq: int | None = Field(description="Entri log `anggota.kunci_diganti`, bila disetujui")
    status: str = Field(description="menunggu | disetujui")


class KeyReplacementList(BaseModel):
    proposals: list[KeyReplacementOut]


def _out(p: KeyReplacement) -> dict[str, Any]:
    return {"id": p.id, "member": p.member_number, "old_wallet": p.old_address,
            "new_wallet": p.new_address, "alasan": p.reason, "proposed_by": p.proposed_by,
            "approved_by": p.approved_by, "seq": p.seq,
            "status": "disetujui" if p.seq is not None else "menunggu"}


@router.post("/members/{number}/key-replacements", status_code=201,
             response_model=KeyReplacementOut,
             responses=error_responses(UnknownMember, MemberNotActive, MemberHasNoWallet,
                                       WalletProofInvalid, WalletProofOtherMember,
                                       WalletTaken))
def propose(number: MemberNumber, body: KeyReplacementIn, writer: ProposeWriter,
            settings: SettingsDep) -> Any:
    """Ganti kunci (HP hilang), step 1: staff propose the member's new wallet, proven by a
    `link` signature from it, after checking the member's identity in person."""
    def act(session: Any) -> tuple[int, Any, None]:
        address = wallet.consume_challenge(session, message=body.wallet.message,
                                           signature=body.wallet.signature, purpose="link",
                                           settings=settings, member=number)
        principal = writer.principal
        proposal = keys.propose(session, member_number=number, new_address=address,
                                reason=body.alasan, actor=principal.actor,
                                role=principal.role.value)
        return 201, _out(proposal), None

    return writer.run(body.model_dump() | {"member": number}, act)


@router.post("/key-replacements/{proposal_id}/approve", response_model=KeyReplacementOut,
             responses=error_responses(KeyReplacementNotFound, KeyReplacementDecided,
                                       KeyReplacementNeedsSecondPengurus, KeyReplacementStale,
                                       WalletTaken))
def approve(proposal_id: ProposalId, writer: ApproveWriter) -> Any:
    """Step 2: another pengurus approves; the wallet changes, the log records it and the
    chain follows through the outbox."""
    def act(session: Any) -> tuple[int, Any, int]:
        principal = writer.principal
        seq = keys.approve(session, proposal_id=proposal_id, actor=principal.actor,
                           role=principal.role.value)
        return 200, _out(session.get(KeyReplacement, proposal_id)), seq

    return writer.run({"proposal": proposal_id}, act)


@router.get("/members/{number}/key-replacements", response_model=KeyReplacementList,
            responses=error_responses(UnknownMember))
def list_proposals(number: MemberNumber, session: SessionDep,
                   _p: Annotated[Any, Depends(require_roles(*READ_ALL))]) -> Any:
    return {"proposals": [_out(p) for p in keys.proposals(session, number)]}
