"""ERP feeds: every posted record in a stable order behind an opaque cursor, for pulls and exports."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session, selectinload

from o2c.core.db import utcnow
from o2c.core.errors import InvalidInput
from o2c.core.money import decimal_str
from o2c.ledger.models import CashApplication, Customer, Invoice, Order, Payment, Product
from o2c.ledger.views import application_to_dict, invoice_to_dict, order_to_dict, payment_to_dict
from o2c.review.models import OPEN_STATES, ExceptionItem, FeedAcknowledgement

FEEDS = ("orders", "invoices", "payments", "applications", "exceptions")
MASTER_DATA_FEED = "master-data"


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat() if moment else None


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite returns naive datetimes


def exception_to_dict(item: ExceptionItem, now: datetime | None = None) -> dict[str, Any]:
    """An exception as the reviewer and ERP see it: reasons, evidence, priority, claim and SLA."""
    now = now or utcnow()
    created = _aware(item.created_at) if item.created_at else now
    open_now = item.status in OPEN_STATES
    return {
        "id": item.id,
        "document_id": item.document_id,
        "extraction_id": item.extraction_id,
        "document_type": item.document_type,
        "status": item.status,
        "reasons": item.reasons,
        "evidence": item.evidence,
        "customer_id": item.customer_id,
        "amount_at_risk": decimal_str(item.amount_at_risk),
        "currency": item.currency,
        "priority": item.priority or 0,
        "age_seconds": int((now - created).total_seconds()),
        "due_at": _iso(item.due_at),
        "overdue": bool(open_now and item.due_at and _aware(item.due_at) < now),
        "claimed_by": item.claimed_by,
        "claimed_at": _iso(item.claimed_at),
        "claimed_until": _iso(item.claimed_until),
        "resolved_by": item.resolved_by,
        "resolved_at": _iso(item.resolved_at),
        "resolution": item.resolution,
        "note": item.note,
        "created_at": _iso(item.created_at),
    }


_MODELS: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]]]] = {
    "orders": (Order, order_to_dict),
    "invoices": (Invoice, invoice_to_dict),
    "payments": (Payment, payment_to_dict),
    "applications": (CashApplication, application_to_dict),
    "exceptions": (ExceptionItem, exception_to_dict),
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
        raise InvalidInput(f"invalid cursor: {exc}", field="cursor") from exc


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
        numbers = (
            dict(
                session.execute(
                    select(Invoice.id, Invoice.invoice_number).where(Invoice.id.in_({row.invoice_id for row in rows}))
                )
                .tuples()
                .all()
            )
            if rows
            else {}
        )
        items = [application_to_dict(row, numbers.get(row.invoice_id)) for row in rows]
    else:
        items = [to_dict(row) for row in rows]
    last = rows[-1].id if rows else after
    return {"items": items, "next_cursor": encode_cursor(feed, last) if rows else cursor}


# ---------------------------------------------------------------------------------------------- export / ack
def export_feed(session: Session, feed: str, *, limit: int = 100) -> dict[str, Any]:
    """The oldest records of a feed the ERP has not acknowledged; exported again until acknowledged."""
    if feed not in _MODELS:
        raise InvalidInput(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}", field="feed")
    model, _to_dict = _MODELS[feed]
    acked = select(FeedAcknowledgement.record_id).where(FeedAcknowledgement.feed == feed)
    ids = list(
        session.scalars(
            select(model.id).where(model.id.not_in(acked)).order_by(model.id).limit(max(1, min(limit, 1000)))
        )
    )
    if not ids:
        return {"feed": feed, "items": [], "ids": [], "cursor": None}
    page = read_feed(session, feed, cursor=encode_cursor(feed, ids[0] - 1), limit=ids[-1] - ids[0] + 1)
    items = [row for row in page["items"] if row["id"] in set(ids)]
    return {"feed": feed, "items": items, "ids": ids, "cursor": encode_cursor(feed, ids[-1])}


def acknowledge(
    session: Session, feed: str, *, ids: list[int] | None = None, cursor: str | None = None, actor: str
) -> dict[str, Any]:
    """Mark delivered records as stored by the ERP (by ids, or every record up to a cursor); a replay is a no-op."""
    if feed not in _MODELS:
        raise InvalidInput(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}", field="feed")
    if not ids and not cursor:
        raise InvalidInput("give ids or cursor", field="ids")
    model, _to_dict = _MODELS[feed]
    query = select(model.id)
    query = query.where(model.id.in_(ids)) if ids else query.where(model.id <= decode_cursor(feed, cursor))
    existing = set(session.scalars(query))
    unknown = sorted(set(ids or []) - existing)
    done = (
        set(
            session.scalars(
                select(FeedAcknowledgement.record_id).where(
                    FeedAcknowledgement.feed == feed, FeedAcknowledgement.record_id.in_(existing)
                )
            )
        )
        if existing
        else set()
    )
    new = sorted(existing - done)
    for record_id in new:
        session.add(FeedAcknowledgement(feed=feed, record_id=record_id, acknowledged_by=actor))
    session.flush()
    return {"feed": feed, "acknowledged": len(new), "already_acknowledged": len(done), "unknown_ids": unknown}


def to_csv(items: list[dict[str, Any]]) -> str:
    """Records as CSV: one column per top-level key, nested values as JSON."""
    columns: list[str] = []
    for item in items:
        columns += [key for key in item if key not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or ["id"], lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in item.items()})
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- master data
def _customer_change(row: Customer) -> dict[str, Any]:
    return {
        "kind": "customer",
        "key": row.customer_id,
        "name": row.name,
        "currency": row.currency,
        "credit_limit": decimal_str(row.credit_limit),
        "payment_terms": row.payment_terms,
        "on_hold": row.on_hold,
        "updated_at": _iso(row.updated_at),
    }


def _product_change(row: Product) -> dict[str, Any]:
    return {
        "kind": "product",
        "key": row.sku,
        "description": row.description,
        "uom": row.uom,
        "unit_price": decimal_str(row.unit_price),
        "currency": row.currency,
        "updated_at": _iso(row.updated_at),
    }


_MASTER: tuple[tuple[str, type[Any], Callable[[Any], dict[str, Any]]], ...] = (
    ("customer", Customer, _customer_change),
    ("product", Product, _product_change),
)


def read_master_data_changes(session: Session, *, cursor: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Customers and products in the order they last changed ((updated_at, kind, id)); a changed row comes again."""
    limit = max(1, min(limit, 1000))
    after = _decode_change_cursor(cursor)
    rows: list[tuple[datetime, str, int, dict]] = []
    for kind, model, to_dict in _MASTER:
        query = select(model).order_by(model.updated_at, model.id).limit(limit)
        if after is not None:
            moment, after_kind, after_id = after
            same = model.id > after_id if kind == after_kind else (true() if kind > after_kind else false())
            query = query.where(or_(model.updated_at > moment, and_(model.updated_at == moment, same)))
        rows += [(_aware(r.updated_at), kind, r.id, to_dict(r)) for r in session.scalars(query)]
    rows.sort(key=lambda r: r[:3])
    rows = rows[:limit]
    if not rows:
        return {"items": [], "next_cursor": cursor}
    moment, kind, last_id, _ = rows[-1]
    raw = {"f": MASTER_DATA_FEED, "t": moment.isoformat(), "k": kind, "id": last_id}
    next_cursor = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    return {"items": [r[3] for r in rows], "next_cursor": next_cursor}


def _decode_change_cursor(cursor: str | None) -> tuple[datetime, str, int] | None:
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if raw["f"] != MASTER_DATA_FEED:
            raise ValueError("cursor belongs to another feed")
        moment = datetime.fromisoformat(raw["t"]).astimezone(UTC)
        return moment, str(raw["k"]), int(raw["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"invalid cursor: {exc}", field="cursor") from exc
