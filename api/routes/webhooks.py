"""The webhook outbox: look at deliveries and trigger a delivery round (also `o2c webhooks deliver`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from o2c.api.auth import require
from o2c.api.schemas import ErrorBody, Responses
from o2c.core.db import unit_of_work
from o2c.core.errors import Conflict
from o2c.erp.outbox import WebhookPolicy, deliver_due, outbox_to_dict
from o2c.review.models import WebhookDelivery

router = APIRouter(tags=["webhooks"])
ERRORS: Responses = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}


class WebhooksNotConfigured(Conflict):
    """No webhook URL is configured (O2C_WEBHOOK_URL)."""

    code = "webhooks_not_configured"


@router.get("/webhooks/outbox", responses=ERRORS, summary="Webhook deliveries, newest first")
def outbox(
    request: Request,
    status: str | None = Query(None, pattern="^(pending|delivered|dead)$"),
    limit: int = Query(100, ge=1, le=500),
    caller: str = Depends(require("admin")),
) -> dict:
    """Each event to send with its idempotency key, attempts, next attempt and last error."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if status:
        query = query.where(WebhookDelivery.status == status)
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return {"items": [outbox_to_dict(row) for row in session.scalars(query)]}


@router.post("/webhooks/deliver", responses={**ERRORS, 409: {"model": ErrorBody}}, summary="Deliver due webhooks now")
def deliver(request: Request, caller: str = Depends(require("admin"))) -> dict:
    """Stage new events into the outbox and POST every due delivery once (what the CLI and the job do)."""
    policy = WebhookPolicy.from_settings(request.app.state.settings)
    if policy is None:
        raise WebhooksNotConfigured("set O2C_WEBHOOK_URL (and O2C_WEBHOOK_SECRET) to send webhooks")
    return deliver_due(request.app.state.ctx.session_factory, policy)
