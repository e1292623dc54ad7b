"""Operational summary: documents by status, touchless and auto-match rates, open exceptions by reason and
age, processing-time percentiles. Feeds GET /summary, GET /metrics and `o2c summary`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.core.db import utcnow
from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord
from o2c.intake.models import Document
from o2c.ledger.models import CashApplication, Payment
from o2c.review.dashboard import DECIDED, summary_figures
from o2c.review.models import OPEN_STATES, ExceptionItem


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
    exceptions_by_status = dict(
        session.execute(select(ExceptionItem.status, func.count()).group_by(ExceptionItem.status)).tuples().all()
    )
    open_exceptions = session.execute(
        select(ExceptionItem.reasons, ExceptionItem.created_at).where(ExceptionItem.status.in_(OPEN_STATES))
    ).tuples()
    decided_times = session.execute(
        select(ExtractionRecord.updated_at, Document.received_at)
        .join(Document, Document.id == ExtractionRecord.document_id)
        .where(ExtractionRecord.status.in_(DECIDED))
    ).tuples()
    return summary_figures(
        now=now,
        documents=documents,
        business=business,
        decided=decided,
        touchless=touchless,
        payments=payments,
        auto_payments=auto_payments,
        applications=applications,
        auto_applications=auto_applications,
        exceptions_by_status=exceptions_by_status,
        open_exceptions=open_exceptions,
        decided_times=decided_times,
    )
