"""The summary's figures from what the tables hold (documents by status, counts, open exceptions, decision
times), with no database here: review/summary.py reads them through the ORM, review/embedded_summary.py from the
embedded SQLite, and both hand them to `summary_figures`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from o2c.core.clock import as_utc
from o2c.extraction.states import BusinessDocumentStatus

AGE_BUCKETS = ((3600, "<1h"), (4 * 3600, "1-4h"), (24 * 3600, "4-24h"), (None, ">24h"))
PERCENTILES = (50, 90, 99)
DECIDED = (BusinessDocumentStatus.POSTED, BusinessDocumentStatus.EXCEPTION, BusinessDocumentStatus.REJECTED)


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


def summary_figures(
    *,
    now: datetime,
    documents: dict[str, int],
    business: dict[str, int],
    decided: int,
    touchless: int,
    payments: int,
    auto_payments: int,
    applications: int,
    auto_applications: int,
    exceptions_by_status: dict[str, int],
    open_exceptions: Iterable[tuple[Any, datetime]],
    decided_times: Iterable[tuple[datetime, datetime]],
) -> dict[str, Any]:
    """The summary (GET /summary, `o2c summary`): rates from the counts, open exceptions by reason and age,
    percentiles of the time from receipt to decision."""
    by_reason: Counter[str] = Counter()
    by_age: Counter[str] = Counter({label: 0 for _, label in AGE_BUCKETS})
    for reasons, created in open_exceptions:
        by_reason.update(reasons or [])
        by_age[age_bucket((now - as_utc(created)).total_seconds())] += 1
    durations = [(as_utc(done) - as_utc(received)).total_seconds() for done, received in decided_times]
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
