from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, ValidationError

from ksp.api.deps import CurrentPrincipal, SessionDep, Writer, writer_for
from ksp.auth.service import APPROVE
from ksp.coop.service import adart_at, change_adart
from ksp.core import clock
from ksp.core.errors import InvalidInput
from ksp.ledger.dates import KspDate

router = APIRouter(prefix="/api/v1", tags=["AD/ART"])
BoardWriter = Annotated[Writer, Depends(writer_for(*APPROVE))]


class AdArtChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_date: KspDate
    changes: dict[str, Any]


@router.get("/adart")
def current(_p: CurrentPrincipal, session: SessionDep, date: KspDate | None = None) -> Any:
    return adart_at(session, date or clock.today()).model_dump(mode="json")


@router.post("/adart")
def change(body: AdArtChange, writer: BoardWriter) -> Any:
    """A new AD/ART version (pengurus), recorded in the log."""
    def act(session: Any) -> tuple[int, Any, int]:
        try:
            version = change_adart(session, effective_date=body.effective_date,
                                   changes=body.changes)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "changes"
            raise InvalidInput(field=field, reason_id="nilai AD/ART tidak valid",
                               reason_en=first["msg"]) from exc
        return 200, {"effective_date": version.effective_date.isoformat(),
                     "seq": version.seq}, version.seq

    return writer.run(body.model_dump(mode="json"), act)
