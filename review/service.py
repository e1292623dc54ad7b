"""The exception queue: open (idempotently per business document), list, claim, and record resolutions.

Re-running a resolved document through the pipeline is the pipeline's job; this module only keeps the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.events import record_event
from review.errors import ExceptionClaimedByOther, ExceptionClosed, ExceptionNotFound, InvalidResolution
from review.models import ReviewItem

OPEN_STATES = ("open", "claimed")
CLAIM_MINUTES = 30
ACTIONS = ("correct", "reject", "dismiss")


@dataclass(frozen=True)
class Resolution:
    """A reviewer's decision: `correct` re-runs the document with `changes` merged into its extraction;
    `reject` closes it as refused; `dismiss` marks it not a business document."""

    action: str
    changes: dict | None = None
    note: str | None = None


def open_exception(
    session: Session,
    *,
    document_id: int,
    extraction_id: int | None,
    document_type: str,
    reasons: list[str],
    evidence: list[dict],
    customer_id: str | None = None,
    amount_at_risk: Decimal | None = None,
    currency: str | None = None,
) -> ReviewItem:
    """Open (or refresh) the one review item of a business document. Flushes only."""
    item = None
    if extraction_id is not None:
        item = session.scalar(select(ReviewItem).where(ReviewItem.extraction_id == extraction_id))
    if item is None:
        item = ReviewItem(document_id=document_id, extraction_id=extraction_id)
        session.add(item)
    item.document_type = document_type
    item.reasons = sorted(set(reasons))
    item.evidence = evidence
    item.customer_id = customer_id
    item.amount_at_risk = amount_at_risk
    item.currency = currency
    item.status = "open"
    item.claimed_by = item.claimed_until = None
    session.flush()
    record_event(session, "exception.opened", "exception", item.id, reasons=item.reasons, document_id=document_id)
    return item


def get_exception(session: Session, exception_id: int) -> ReviewItem:
    """One exception, or ExceptionNotFound."""
    item = session.get(ReviewItem, exception_id)
    if item is None:
        raise ExceptionNotFound(f"exception {exception_id} does not exist")
    return item


def list_exceptions(session: Session, *, status: str | None = "open", reason: str | None = None,
                    customer_id: str | None = None, limit: int = 100, after_id: int = 0) -> list[ReviewItem]:
    """Exceptions in id order, filtered; `status=None` lists all."""
    query = select(ReviewItem).where(ReviewItem.id > after_id).order_by(ReviewItem.id).limit(limit)
    if status == "open":
        query = query.where(ReviewItem.status.in_(OPEN_STATES))
    elif status:
        query = query.where(ReviewItem.status == status)
    if customer_id:
        query = query.where(ReviewItem.customer_id == customer_id)
    items = list(session.scalars(query))
    if reason:  # reasons is a JSON list; filtered here so SQLite and PostgreSQL behave alike
        items = [i for i in items if reason in (i.reasons or [])]
    return items


def claim_exception(session: Session, exception_id: int, *, reviewer: str, now: datetime | None = None) -> ReviewItem:
    """Claim an exception for a reviewer for CLAIM_MINUTES; another reviewer's live claim is a conflict."""
    now = now or utcnow()
    item = get_exception(session, exception_id)
    if item.status not in OPEN_STATES:
        raise ExceptionClosed(f"exception {exception_id} is {item.status}")
    until = _aware(item.claimed_until)
    if item.claimed_by and item.claimed_by != reviewer and until and until > now:
        raise ExceptionClaimedByOther(f"exception {exception_id} is claimed by {item.claimed_by} until {until}")
    item.claimed_by = reviewer
    item.claimed_until = now + timedelta(minutes=CLAIM_MINUTES)
    item.status = "claimed"
    session.flush()
    record_event(session, "exception.claimed", "exception", item.id, actor=reviewer)
    return item


def record_resolution(session: Session, exception_id: int, resolution: Resolution, *, reviewer: str,
                      now: datetime | None = None) -> ReviewItem:
    """Check the reviewer may resolve this item and record who decided what; the caller re-runs the document."""
    now = now or utcnow()
    if resolution.action not in ACTIONS:
        raise InvalidResolution(f"unknown action {resolution.action!r}; expected one of {', '.join(ACTIONS)}")
    if resolution.action == "correct" and not resolution.changes:
        raise InvalidResolution("action 'correct' needs 'changes' (the corrected fields)")
    item = get_exception(session, exception_id)
    if item.status not in OPEN_STATES:
        raise ExceptionClosed(f"exception {exception_id} is {item.status}")
    until = _aware(item.claimed_until)
    if item.claimed_by and item.claimed_by != reviewer and until and until > now:
        raise ExceptionClaimedByOther(f"exception {exception_id} is claimed by {item.claimed_by}")
    item.resolution = {"action": resolution.action, "changes": resolution.changes, "note": resolution.note}
    item.note = resolution.note
    item.resolved_by = reviewer
    item.resolved_at = now
    item.status = "dismissed" if resolution.action == "dismiss" else "resolved"
    session.flush()
    record_event(session, "exception.resolved", "exception", item.id, actor=reviewer, action=resolution.action,
                 changes=resolution.changes, note=resolution.note)
    return item


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive datetimes
        return moment.replace(tzinfo=UTC)
    return moment
