"""The feeds' names, their opaque cursors and the exception record, without a database: shared by the ORM's
reading (erp/feeds.py) and the embedded one (erp/embedded_feeds.py)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from o2c.core.clock import as_utc, utcnow
from o2c.core.errors import InvalidInput
from o2c.core.money import decimal_str
from o2c.review.states import OPEN_STATES

FEEDS = ("orders", "invoices", "payments", "applications", "exceptions")
MASTER_DATA_FEED = "master-data"


def iso_utc(moment: datetime | None) -> str | None:
    """A moment in ISO form with its UTC offset (None stays None)."""
    return as_utc(moment).isoformat() if moment else None


def exception_to_dict(item: Any, now: datetime | None = None) -> dict[str, Any]:
    """An exception as the reviewer and ERP see it: reasons, evidence, priority, claim and SLA."""
    now = now or utcnow()
    created = as_utc(item.created_at) if item.created_at else now
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
        "due_at": iso_utc(item.due_at),
        "overdue": bool(open_now and item.due_at and as_utc(item.due_at) < now),
        "claimed_by": item.claimed_by,
        "claimed_at": iso_utc(item.claimed_at),
        "claimed_until": iso_utc(item.claimed_until),
        "resolved_by": item.resolved_by,
        "resolved_at": iso_utc(item.resolved_at),
        "resolution": item.resolution,
        "note": item.note,
        "created_at": iso_utc(item.created_at),
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


def check_feed(feed: str) -> None:
    """Refuse a feed name that is not one of FEEDS."""
    if feed not in FEEDS:
        raise InvalidInput(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}")


def page_size(limit: int) -> int:
    """The rows one page holds: the asked limit, within 1..1000."""
    return max(1, min(limit, 1000))


def feed_page(feed: str, rows: list[Any], items: list[dict[str, Any]], *, after: int, cursor: str | None) -> dict:
    """A page of a feed: its items and the cursor after its last row (the same cursor when it is empty)."""
    last = rows[-1].id if rows else after
    return {"items": items, "next_cursor": encode_cursor(feed, last) if rows else cursor}
