"""Deductions (short pays, unearned discounts): list them and settle each with a reason code."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from o2c.api.auth import require
from o2c.api.schemas import MAX_ID, ErrorBody, Responses
from o2c.core.db import unit_of_work
from o2c.ledger import deductions as deduction_ledger
from o2c.pipeline.resolutions import deduction_trail, settle_deduction

router = APIRouter(tags=["exceptions"])
ERRORS: Responses = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}
ONE: Responses = {**ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}}
STATUS_PATTERN = "^(open|disputed|written_off|rebilled|credit_memo|resolved|all)$"
DEDUCTION_ID = Path(..., ge=1, le=MAX_ID, description="The deduction's id", examples=[1])


class SettleDeductionRequest(BaseModel):
    """How a reviewer settles a deduction, and why."""

    outcome: Literal["write_off", "credit_memo", "rebill", "dispute"] = Field(
        description="write_off: expense it (DEDUCTIONS) and close it on the invoice; credit_memo: reduce the sale "
        "(REVENUE); rebill: move it to a new invoice to the customer; dispute: keep it open, disputed"
    )
    reason_code: str = Field(
        min_length=1,
        max_length=32,
        examples=["pricing"],
        description="short_payment, unearned_discount, pricing, damaged, shortage, promotion, other",
    )
    note: str | None = Field(default=None, max_length=500, examples=["agreed with the customer's AP"])


@router.get("/deductions", responses=ERRORS, summary="Deductions waiting for follow-up (or all)")
def list_deductions(
    request: Request,
    status: str = Query(
        "open", pattern=STATUS_PATTERN, description="open (incl. disputed), one settled status, or all"
    ),
    customer_id: str | None = Query(None, max_length=64),
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(100, ge=1, le=500),
    caller: str = Depends(require("reviewer", "erp")),
) -> dict:
    """Oldest first, with the invoice each was taken on."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return {
            "items": deduction_ledger.list_deductions(
                session, status=None if status == "all" else status, customer_id=customer_id, limit=limit, offset=offset
            )
        }


@router.post("/deductions/{deduction_id}/resolve", responses=ONE, summary="Settle a deduction")
def resolve_deduction(
    body: SettleDeductionRequest,
    request: Request,
    deduction_id: int = DEDUCTION_ID,
    caller: str = Depends(require("reviewer")),
) -> dict:
    """Write it off, credit it, re-bill it or mark it disputed; the journal and the invoice move together."""
    return settle_deduction(
        request.app.state.ctx,
        deduction_id,
        outcome=body.outcome,
        reason_code=body.reason_code,
        note=body.note,
        reviewer=caller,
    )


@router.get("/deductions/{deduction_id}/audit", responses=ONE, summary="The audit trail of a deduction")
def audit(request: Request, deduction_id: int = DEDUCTION_ID, caller: str = Depends(require("reviewer"))) -> dict:
    """Who settled it, when, how and why."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return {"deduction_id": deduction_id, "events": deduction_trail(session, deduction_id)}
