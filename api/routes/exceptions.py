"""The reviewer's queue: list, look, claim, resolve."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from api.auth import require
from api.schemas import ErrorBody, Outcome, Page, ResolveRequest
from core.db import unit_of_work
from feeds import encode_cursor, exception_to_dict
from resolutions import resolve_exception
from review import service as review

router = APIRouter(tags=["exceptions"])
ERRORS = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}}


@router.get("/exceptions", response_model=Page, responses=ERRORS, summary="List exceptions")
def list_exceptions(request: Request, status: str | None = Query("open", description="open (incl. claimed), "
                                                                   "claimed, resolved, dismissed, or all"),
                    reason: str | None = Query(None, examples=["price_mismatch"]),
                    customer_id: str | None = None, after: int = Query(0, ge=0, description="Last id seen"),
                    limit: int = Query(100, ge=1, le=500),
                    caller: str = Depends(require("reviewer", "erp"))) -> dict:
    """Exceptions in id order with their reasons and evidence."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        items = review.list_exceptions(session, status=None if status == "all" else status, reason=reason,
                                       customer_id=customer_id, limit=limit, after_id=after)
        rows = [exception_to_dict(i) for i in items]
    return {"items": rows, "next_cursor": encode_cursor("exceptions", rows[-1]["id"]) if rows else None}


@router.get("/exceptions/{exception_id}", responses={**ERRORS, 404: {"model": ErrorBody}},
            summary="One exception with its evidence")
def get_exception(exception_id: int, request: Request, caller: str = Depends(require("reviewer"))) -> dict:
    """Everything a reviewer needs: reasons, the fields read, where, and what they were compared with."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return exception_to_dict(review.get_exception(session, exception_id))


@router.post("/exceptions/{exception_id}/claim", responses={**ERRORS, 404: {"model": ErrorBody},
                                                            409: {"model": ErrorBody}},
             summary="Claim an exception for 30 minutes")
def claim_exception(exception_id: int, request: Request, caller: str = Depends(require("reviewer"))) -> dict:
    """One reviewer at a time; someone else's live claim is a 409."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return exception_to_dict(review.claim_exception(session, exception_id, reviewer=caller))


@router.post("/exceptions/{exception_id}/resolve", response_model=Outcome,
             responses={**ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
             summary="Resolve an exception")
def resolve(exception_id: int, body: ResolveRequest, request: Request,
            caller: str = Depends(require("reviewer"))) -> dict:
    """Record the decision; a correction re-runs the document through the same rules as automation."""
    return resolve_exception(request.app.state.ctx, exception_id,
                             review.Resolution(action=body.action, changes=body.changes, note=body.note),
                             reviewer=caller)
