"""The reviewer's queue: list, look, claim, release, resolve, audit; and the aliases learned from resolutions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi import APIRouter, Depends, Path, Query, Request

from o2c.api.auth import require
from o2c.api.schemas import MAX_ID, ErrorBody, Outcome, Page, ResolveRequest, Responses
from o2c.core.db import unit_of_work
from o2c.erp.records import encode_cursor, exception_to_dict
from o2c.pipeline.resolutions import resolve_exception
from o2c.review import learning
from o2c.review import service as review

router = APIRouter(tags=["exceptions"])
EXCEPTION_ID = Path(..., ge=1, le=MAX_ID, description="The exception's id", examples=[1])
ERRORS: Responses = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}
ONE: Responses = {**ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}}


@router.get("/exceptions", response_model=Page, responses=ERRORS, summary="List, filter and sort exceptions")
def list_exceptions(
    request: Request,
    status: str = Query(
        "open",
        pattern="^(open|claimed|resolved|dismissed|all)$",
        description="open (incl. claimed), claimed, resolved, dismissed, or all",
    ),
    reason: str | None = Query(None, max_length=64, examples=["price_mismatch"]),
    customer_id: str | None = Query(None, max_length=64, examples=["C-1001"]),
    min_amount: Decimal | None = Query(
        None, ge=0, max_digits=19, decimal_places=4, description="Only items with at least this much at risk"
    ),
    older_than_minutes: int | None = Query(None, ge=0, le=10_000_000),
    sort: str = Query(
        "priority",
        pattern="^(priority|amount|age|due|id)$",
        description="priority (amount at risk and reason, then oldest), amount, age (oldest first), due (SLA), id",
    ),
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(100, ge=1, le=500),
    caller: str = Depends(require("reviewer", "erp")),
) -> dict:
    """Exceptions with their reasons, evidence, priority, claim and SLA; page with offset."""
    older = timedelta(minutes=older_than_minutes) if older_than_minutes is not None else None
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        items = review.list_exceptions(
            session,
            status=None if status == "all" else status,
            reason=reason,
            customer_id=customer_id,
            min_amount=min_amount,
            older_than=older,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        rows = [exception_to_dict(i) for i in items]
    last = max((r["id"] for r in rows), default=None)
    return {"items": rows, "next_cursor": encode_cursor("exceptions", last) if last else None}


@router.get("/exceptions/{exception_id}", responses=ONE, summary="One exception with its evidence")
def get_exception(
    request: Request, exception_id: int = EXCEPTION_ID, caller: str = Depends(require("reviewer"))
) -> dict:
    """Everything a reviewer needs: reasons, the fields read, where, and what they were compared with."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return exception_to_dict(review.get_exception(session, exception_id))


@router.post("/exceptions/{exception_id}/claim", responses=ONE, summary="Claim an exception for 30 minutes")
def claim_exception(
    request: Request, exception_id: int = EXCEPTION_ID, caller: str = Depends(require("reviewer"))
) -> dict:
    """One reviewer at a time; someone else's live claim is a 409. Claiming again extends your claim."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return exception_to_dict(review.claim_exception(session, exception_id, reviewer=caller))


@router.post("/exceptions/{exception_id}/release", responses=ONE, summary="Give a claim back")
def release_exception(
    request: Request, exception_id: int = EXCEPTION_ID, caller: str = Depends(require("reviewer"))
) -> dict:
    """Only the holder may release a live claim."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return exception_to_dict(review.release_exception(session, exception_id, reviewer=caller))


@router.post(
    "/exceptions/{exception_id}/resolve",
    response_model=Outcome,
    responses=ONE,
    summary="Resolve an exception (the document re-enters the pipeline)",
)
def resolve(
    body: ResolveRequest, request: Request, exception_id: int = EXCEPTION_ID, caller: str = Depends(require("reviewer"))
) -> dict:
    """Record the decision and re-run the document through the same rules as automation; a choice is learned.
    A resolution that breaks a ledger rule (over-application, currency...) is a 409 naming the rule."""
    applications = [a.model_dump(mode="json") for a in body.applications] if body.applications else None
    resolution = review.Resolution(
        action=body.action,
        changes=body.changes,
        customer_id=body.customer_id,
        line=body.line,
        sku=body.sku,
        item=body.item,
        invoice_number=body.invoice_number,
        applications=applications,
        note=body.note,
    )
    return resolve_exception(request.app.state.ctx, exception_id, resolution, reviewer=caller)


@router.get("/exceptions/{exception_id}/audit", responses=ONE, summary="The audit trail of an exception")
def audit(request: Request, exception_id: int = EXCEPTION_ID, caller: str = Depends(require("reviewer"))) -> dict:
    """Who did what, when, what changed and why, oldest first."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        events = review.audit_trail(session, exception_id)
        return {
            "exception_id": exception_id,
            "events": [
                {"id": e.id, "at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "payload": e.payload}
                for e in events
            ],
        }


KIND = Path(
    ...,
    pattern="^(customers|part-numbers|references)$",
    description="customers (name -> customer), part-numbers (part number -> SKU), references (-> invoice)",
)


@router.get("/aliases/{kind}", responses=ERRORS, summary="Aliases learned from resolutions")
def list_aliases(
    request: Request,
    kind: str = KIND,
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(100, ge=1, le=500),
    caller: str = Depends(require("reviewer")),
) -> dict:
    """Newest first, with provenance (which reviewer, which exception) and whether each is active."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return {"items": learning.list_aliases(session, kind, limit=limit, offset=offset)}


@router.delete(
    "/aliases/{kind}/{alias_id}", responses={**ERRORS, 404: {"model": ErrorBody}}, summary="Retire a learned alias"
)
def retire_alias(
    request: Request,
    alias_id: int = Path(..., ge=1, le=MAX_ID),
    kind: str = KIND,
    caller: str = Depends(require("reviewer")),
) -> dict:
    """Deactivate an alias (a part number is removed); the next document goes to review again. Audited."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return learning.retire_alias(session, kind, alias_id, actor=caller)
