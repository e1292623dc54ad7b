"""ERP feeds: every posted record in a stable order behind an opaque cursor, for pulls and exports."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import InvalidInput
from core.money import decimal_str
from ledger.models import CashApplication, Invoice, Order, Payment
from ledger.views import application_to_dict, invoice_to_dict, order_to_dict, payment_to_dict
from review.models import ReviewItem

FEEDS = ("orders", "invoices", "payments", "applications", "exceptions")


def exception_to_dict(item: ReviewItem) -> dict[str, Any]:
    """An exception as the reviewer and ERP see it."""
    return {
        "id": item.id, "document_id": item.document_id, "extraction_id": item.extraction_id,
        "document_type": item.document_type, "status": item.status, "reasons": item.reasons,
        "evidence": item.evidence, "customer_id": item.customer_id,
        "amount_at_risk": decimal_str(item.amount_at_risk), "currency": item.currency,
        "claimed_by": item.claimed_by, "resolved_by": item.resolved_by, "resolution": item.resolution,
        "created_at": item.created_at.isoformat() if item.created_at else None,
    }


_MODELS: dict[str, tuple[type, Callable[[Any], dict[str, Any]]]] = {
    "orders": (Order, order_to_dict),
    "invoices": (Invoice, invoice_to_dict),
    "payments": (Payment, payment_to_dict),
    "applications": (CashApplication, application_to_dict),
    "exceptions": (ReviewItem, exception_to_dict),
}


def encode_cursor(feed: str, last_id: int) -> str:
    """An opaque cursor naming the feed and the last id delivered."""
    return base64.urlsafe_b64encode(json.dumps({"f": feed, "id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(feed: str, cursor: str | None) -> int:
    """The last id delivered according to a cursor (0 for none); a cursor of another feed is refused."""
    if not cursor:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if raw["f"] != feed:
            raise ValueError("cursor belongs to another feed")
        return int(raw["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"invalid cursor: {exc}") from exc


def read_feed(session: Session, feed: str, *, cursor: str | None = None, limit: int = 100) -> dict[str, Any]:
    """One page of a feed: {"items": [...], "next_cursor": str | None}. Ids are the stable order."""
    if feed not in _MODELS:
        raise InvalidInput(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}")
    model, to_dict = _MODELS[feed]
    after = decode_cursor(feed, cursor)
    query = select(model).where(model.id > after).order_by(model.id).limit(max(1, min(limit, 1000)))
    if model is Order:
        query = query.options(selectinload(Order.lines))
    if model is Payment:
        query = query.options(selectinload(Payment.items))
    rows = list(session.scalars(query))
    if model is CashApplication:  # the ERP needs the invoice number, not our row id
        numbers = dict(session.execute(select(Invoice.id, Invoice.invoice_number).where(
            Invoice.id.in_({row.invoice_id for row in rows}))).all()) if rows else {}
        items = [application_to_dict(row, numbers.get(row.invoice_id)) for row in rows]
    else:
        items = [to_dict(row) for row in rows]
    last = rows[-1].id if rows else after
    return {"items": items, "next_cursor": encode_cursor(feed, last) if rows else cursor}
