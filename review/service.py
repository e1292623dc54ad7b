"""The exception queue: open (idempotently per business document), list, claim, and record resolutions.

Re-running a resolved document through the pipeline is the pipeline's job; this module only keeps the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from o2c.core.db import utcnow
from o2c.core.events import Event, record_event
from o2c.review.errors import ExceptionClaimedByOther, ExceptionClosed, ExceptionNotFound, InvalidResolution
from o2c.review.models import OPEN_STATES, ExceptionItem, ExceptionStatus

CLAIM_MINUTES = 30
SLA = timedelta(hours=24)
# action -> what it needs besides the action itself
ACTIONS: dict[str, tuple[str, ...]] = {
    "correct": ("changes",),
    "choose_customer": ("customer_id",),
    "choose_product": ("line", "sku"),
    "choose_invoice": ("item", "invoice_number"),
    "approve_price": ("note",),
    "apply_cash": ("applications",),
    "on_account": (),
    "reject": (),
    "dismiss": (),
    "return": ("note",),
}
SORTS = {"priority", "amount", "age", "due", "id"}


@dataclass(frozen=True)
class Resolution:
    """A reviewer's decision. `correct` merges `changes` into the extraction and re-runs it; `choose_*` picks a
    candidate (customer, a line's SKU, an item's invoice) and re-runs; `approve_price` accepts the price read;
    `apply_cash` posts the payment with the given applications; `on_account` posts it unapplied; `reject`
    refuses the document; `dismiss` marks it not a business document; `return` sends a bank credit back to
    its payer (the `note` says why)."""

    action: str
    changes: dict | None = None
    customer_id: str | None = None
    line: int | None = None
    sku: str | None = None
    item: int | None = None
    invoice_number: str | None = None
    applications: list[dict] | None = None
    note: str | None = None

    def as_dict(self) -> dict:
        """The decision as stored on the exception and in the audit event (empty fields left out)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def priority_of(amount_at_risk: Decimal | None, reasons: list[str]) -> int:
    """Higher first: whole currency units at risk, plus a step for reasons that block cash or goods."""
    weight = 1000 if {"unknown_customer", "unmatched_invoice", "amount_mismatch"} & set(reasons) else 0
    return int(min(amount_at_risk or Decimal("0"), Decimal("1000000000"))) + weight


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
) -> ExceptionItem:
    """Open (or refresh) the one review item of a business document. Flushes only."""
    item = None
    if extraction_id is not None:
        item = session.scalar(select(ExceptionItem).where(ExceptionItem.extraction_id == extraction_id))
    if item is None:
        item = ExceptionItem(document_id=document_id, extraction_id=extraction_id)
        session.add(item)
    item.document_type = document_type
    item.reasons = sorted(set(reasons))
    item.evidence = evidence
    item.customer_id = customer_id
    item.amount_at_risk = amount_at_risk
    item.currency = currency
    item.status = ExceptionStatus.OPEN
    item.priority = priority_of(amount_at_risk, item.reasons)
    item.due_at = item.due_at or utcnow() + SLA
    item.claimed_by = item.claimed_at = item.claimed_until = None
    session.flush()
    record_event(session, "exception.opened", "exception", item.id, reasons=item.reasons, document_id=document_id)
    return item


def get_exception(session: Session, exception_id: int, *, lock: bool = False) -> ExceptionItem:
    """One exception, or ExceptionNotFound; `lock` holds its row until commit (claims and resolutions race)."""
    item = session.get(ExceptionItem, exception_id, with_for_update=lock or None, populate_existing=lock)
    if item is None:
        raise ExceptionNotFound(f"exception {exception_id} does not exist")
    return item


def list_exceptions(
    session: Session,
    *,
    status: str | None = ExceptionStatus.OPEN,
    reason: str | None = None,
    customer_id: str | None = None,
    min_amount: Decimal | None = None,
    older_than: timedelta | None = None,
    sort: str = "id",
    limit: int = 100,
    offset: int = 0,
    after_id: int = 0,
) -> list[ExceptionItem]:
    """Exceptions filtered and sorted (priority | amount | age | due | id); `status=None` lists all."""
    if sort not in SORTS:
        raise InvalidResolution(f"unknown sort {sort!r}; expected one of {', '.join(sorted(SORTS))}")
    order = {
        "priority": (ExceptionItem.priority.desc(), ExceptionItem.created_at, ExceptionItem.id),
        "amount": (ExceptionItem.amount_at_risk.desc().nulls_last(), ExceptionItem.id),
        "age": (ExceptionItem.created_at, ExceptionItem.id),
        "due": (ExceptionItem.due_at.nulls_last(), ExceptionItem.id),
        "id": (ExceptionItem.id,),
    }[sort]
    query = select(ExceptionItem).where(ExceptionItem.id > after_id).order_by(*order)
    if min_amount is not None:
        query = query.where(ExceptionItem.amount_at_risk >= min_amount)
    if older_than is not None:
        query = query.where(ExceptionItem.created_at <= utcnow() - older_than)
    if status == ExceptionStatus.OPEN:
        query = query.where(ExceptionItem.status.in_(OPEN_STATES))
    elif status:
        query = query.where(ExceptionItem.status == status)
    if customer_id:
        query = query.where(ExceptionItem.customer_id == customer_id)
    if not reason:
        return list(session.scalars(query.offset(offset).limit(limit)))
    # reasons is a JSON list: narrowed by its text in SQL, then matched exactly here (SQLite and PostgreSQL alike)
    query = query.where(cast(ExceptionItem.reasons, String).contains(f'"{reason}"'))
    items = [i for i in session.scalars(query) if reason in (i.reasons or [])]
    return items[offset : offset + limit]


def claim_exception(
    session: Session, exception_id: int, *, reviewer: str, now: datetime | None = None
) -> ExceptionItem:
    """Claim an exception for a reviewer for CLAIM_MINUTES; another reviewer's live claim is a conflict."""
    now = now or utcnow()
    item = get_exception(session, exception_id, lock=True)
    if item.status not in OPEN_STATES:
        raise ExceptionClosed(f"exception {exception_id} is {item.status}")
    until = _aware(item.claimed_until)
    if item.claimed_by and item.claimed_by != reviewer and until and until > now:
        raise ExceptionClaimedByOther(f"exception {exception_id} is claimed by {item.claimed_by} until {until}")
    if item.claimed_by != reviewer or not until or until <= now:
        item.claimed_at = now
    item.claimed_by = reviewer
    item.claimed_until = now + timedelta(minutes=CLAIM_MINUTES)
    item.status = ExceptionStatus.CLAIMED
    session.flush()
    record_event(session, "exception.claimed", "exception", item.id, actor=reviewer)
    return item


def record_resolution(
    session: Session, exception_id: int, resolution: Resolution, *, reviewer: str, now: datetime | None = None
) -> ExceptionItem:
    """Check the reviewer may resolve this item and record who decided what; the caller re-runs the document."""
    now = now or utcnow()
    if resolution.action not in ACTIONS:
        raise InvalidResolution(f"unknown action {resolution.action!r}; expected one of {', '.join(ACTIONS)}")
    missing = [name for name in ACTIONS[resolution.action] if getattr(resolution, name) in (None, "", [], {})]
    if missing:
        raise InvalidResolution(f"action {resolution.action!r} needs {', '.join(missing)}", fields=missing)
    item = get_exception(session, exception_id, lock=True)
    if item.status not in OPEN_STATES:
        raise ExceptionClosed(f"exception {exception_id} is {item.status}")
    until = _aware(item.claimed_until)
    if item.claimed_by and item.claimed_by != reviewer and until and until > now:
        raise ExceptionClaimedByOther(f"exception {exception_id} is claimed by {item.claimed_by}")
    item.resolution = resolution.as_dict()
    item.note = resolution.note
    item.resolved_by = reviewer
    item.resolved_at = now
    item.status = ExceptionStatus.DISMISSED if resolution.action == "dismiss" else ExceptionStatus.RESOLVED
    session.flush()
    record_event(
        session,
        "exception.resolved",
        "exception",
        item.id,
        actor=reviewer,
        action=resolution.action,
        resolution=resolution.as_dict(),
        reasons=item.reasons,
        note=resolution.note,
    )
    return item


def release_exception(
    session: Session, exception_id: int, *, reviewer: str, now: datetime | None = None
) -> ExceptionItem:
    """Give a claim back before it expires; only its holder may."""
    now = now or utcnow()
    item = get_exception(session, exception_id, lock=True)
    if item.status != ExceptionStatus.CLAIMED:
        raise ExceptionClosed(f"exception {exception_id} is {item.status}, not claimed")
    until = _aware(item.claimed_until)
    if item.claimed_by != reviewer and until and until > now:
        raise ExceptionClaimedByOther(f"exception {exception_id} is claimed by {item.claimed_by}")
    item.status, item.claimed_by, item.claimed_at, item.claimed_until = ExceptionStatus.OPEN, None, None, None
    session.flush()
    record_event(session, "exception.released", "exception", item.id, actor=reviewer)
    return item


def audit_trail(session: Session, exception_id: int) -> list[Event]:
    """Every event of an exception, oldest first: who, when, what changed, why."""
    get_exception(session, exception_id)
    return list(
        session.scalars(
            select(Event).where(Event.subject_type == "exception", Event.subject_id == exception_id).order_by(Event.id)
        )
    )


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive datetimes
        return moment.replace(tzinfo=UTC)
    return moment


def close_document_exceptions(session: Session, document_id: int, *, actor: str, note: str) -> list[int]:
    """Close the open document-level items of a file (its 'unreadable' exception) before it is read again."""
    items = list(
        session.scalars(
            select(ExceptionItem).where(
                ExceptionItem.document_id == document_id,
                ExceptionItem.extraction_id.is_(None),
                ExceptionItem.status.in_(OPEN_STATES),
            )
        )
    )
    for item in items:
        item.status, item.resolved_by, item.resolved_at, item.note = "dismissed", actor, utcnow(), note
        item.resolution = {"action": "reprocess", "note": note}
        record_event(
            session,
            "exception.resolved",
            "exception",
            item.id,
            actor=actor,
            action="reprocess",
            resolution=item.resolution,
            reasons=item.reasons,
            note=note,
        )
    session.flush()
    return [item.id for item in items]
