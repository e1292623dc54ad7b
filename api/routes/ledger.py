"""`GET /ledger/check` (admin): the ledger's invariants, per currency, as data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from o2c.api.auth import require
from o2c.api.schemas import ErrorBody, Responses
from o2c.core.db import unit_of_work
from o2c.ledger.check import check_ledger

router = APIRouter(tags=["ledger"])
ERRORS: Responses = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}}


@router.get("/ledger/check", responses=ERRORS, summary="Prove the books reconcile")
def ledger_check(request: Request, caller: str = Depends(require("admin"))) -> dict:
    """`ok` and the violations ({rule, currency, rows}); the same rules as `o2c ledger check`."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        violations = [v.to_dict() for v in check_ledger(session)]
    return {"ok": not violations, "violations": violations}
