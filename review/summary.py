"""Operational summary: documents by status, touchless and auto-match rates, open exceptions by reason and
age, processing-time percentiles. Feeds GET /summary, GET /metrics and `o2c summary`."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.core.db import utcnow
from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord
from o2c.intake.models import Document
from o2c.ledger.models import CashApplication, Payment
from o2c.review.models import OPEN_STATES, ExceptionItem

AGE_BUCKETS = ((3600, "<1h"), (4 * 3600, "1-4h"), (24 * 3600, "4-24h"), (None, ">24h"))
PERCENTILES = (50, 90, 99)
DECIDED = (BusinessDocumentStatus.POSTED, BusinessDocumentStatus.EXCEPTION, BusinessDocumentStatus.REJECTED)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def age_bucket(seconds: float) -> str:
    """The age bucket label of an open exception."""
    return next(label for limit, label in AGE_BUCKETS if limit is None or seconds < limit)


def percentile(values: list[float], pct: int) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // 100))
    return round(ordered[rank - 1], 3)


def build_summary(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard and the metrics endpoint show, computed from the tables in one transaction."""
    now = now or utcnow()
    documents = {
        str(s.value if hasattr(s, "value") else s): n
        for s, n in session.execute(select(Document.status, func.count()).group_by(Document.status))
    }
    business = {
        str(s.value if hasattr(s, "value") else s): n
        for s, n in session.execute(select(ExtractionRecord.status, func.count()).group_by(ExtractionRecord.status))
    }
    reviewed = select(ExceptionItem.extraction_id).where(ExceptionItem.extraction_id.is_not(None))
    decided = session.scalar(select(func.count()).where(ExtractionRecord.status.in_(DECIDED))) or 0
    touchless = (
        session.scalar(
            select(func.count()).where(
                ExtractionRecord.status == BusinessDocumentStatus.POSTED, ExtractionRecord.id.not_in(reviewed)
            )
        )
        or 0
    )
    payments = session.scalar(select(func.count(Payment.id))) or 0
    auto_payments = (
        session.scalar(
            select(func.count(Payment.id)).where(
                Payment.source_extraction_id.not_in(reviewed), Payment.unapplied_amount == 0
            )
        )
        or 0
    )
    live = (CashApplication.rule != "reversal", CashApplication.reversed_by_id.is_(None))
    applications = session.scalar(select(func.count(CashApplication.id)).where(*live)) or 0
    auto_applications = (
        session.scalar(select(func.count(CashApplication.id)).where(*live, CashApplication.rule != "manual")) or 0
    )
    by_reason: Counter[str] = Counter()
    by_age: Counter[str] = Counter({label: 0 for _, label in AGE_BUCKETS})
    exceptions_by_status = dict(
        session.execute(select(ExceptionItem.status, func.count()).group_by(ExceptionItem.status)).tuples().all()
    )
    for reasons, created in session.execute(
        select(ExceptionItem.reasons, ExceptionItem.created_at).where(ExceptionItem.status.in_(OPEN_STATES))
    ):
        by_reason.update(reasons or [])
        by_age[age_bucket((now - _aware(created)).total_seconds())] += 1
    durations = [
        (_aware(done) - _aware(received)).total_seconds()
        for done, received in session.execute(
            select(ExtractionRecord.updated_at, Document.received_at)
            .join(Document, Document.id == ExtractionRecord.document_id)
            .where(ExtractionRecord.status.in_(DECIDED))
        )
    ]
    return {
        "documents_by_status": documents,
        "business_documents_by_status": business,
        "touchless_rate": _rate(touchless, decided),
        "auto_match_rate": {
            "payment_level": _rate(auto_payments, payments),
            "invoice_level": _rate(auto_applications, applications),
        },
        "exceptions_by_status": exceptions_by_status,
        "open_exceptions_by_reason": dict(sorted(by_reason.items())),
        "open_exceptions_by_age": dict(by_age),
        "processing_seconds": {f"p{p}": percentile(durations, p) for p in PERCENTILES},
        "counts": {"decided": decided, "touchless": touchless, "payments": payments, "applications": applications},
    }
