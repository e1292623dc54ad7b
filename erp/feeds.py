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

from o2c.core.clock import as_utc
from o2c.core.errors import InvalidInput
from o2c.core.money import decimal_str
from o2c.erp.records import (
    FEEDS,
    MASTER_DATA_FEED,
    check_feed,
    decode_cursor,
    encode_cursor,
    exception_to_dict,
    feed_page,
    iso_utc,
    page_size,
)
from o2c.ledger.models import CashApplication, Customer, Invoice, Order, Payment, Product
from o2c.ledger.records import application_to_dict, invoice_to_dict, order_to_dict, payment_record
from o2c.review.models import ExceptionItem, FeedAcknowledgement

_MODELS: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]]]] = {
    "orders": (Order, order_to_dict),
    "invoices": (Invoice, invoice_to_dict),
    "payments": (Payment, payment_record),
    "applications": (CashApplication, application_to_dict),
    "exceptions": (ExceptionItem, exception_to_dict),
}


def read_feed(session: Session, feed: str, *, cursor: str | None = None, limit: int = 100) -> dict[str, Any]:
    """One page of a feed: {"items": [...], "next_cursor": str | None}. Ids are the stable order."""
    check_feed(feed)
    model, to_dict = _MODELS[feed]
    after = decode_cursor(feed, cursor)
    query = select(model).where(model.id > after).order_by(model.id).limit(page_size(limit))
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
    return feed_page(feed, rows, items, after=after, cursor=cursor)


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
        "updated_at": iso_utc(row.updated_at),
    }


def _product_change(row: Product) -> dict[str, Any]:
    return {
        "kind": "product",
        "key": row.sku,
        "description": row.description,
        "uom": row.uom,
        "unit_price": decimal_str(row.unit_price),
        "currency": row.currency,
        "updated_at": iso_utc(row.updated_at),
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
        rows += [(as_utc(r.updated_at), kind, r.id, to_dict(r)) for r in session.scalars(query)]
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
