"""Review tables: the exception queue, learned invoice references, and the ERP's delivery bookkeeping
(acknowledged feed records, the webhook outbox)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from o2c.core.db import Base, ExactNumeric, utcnow
from o2c.review.states import OPEN_STATES, ExceptionStatus  # noqa: F401 - the queue's services import them here


class ExceptionItem(Base):
    """One business document a person must look at: why (reasons), and what the machine saw (evidence)."""

    __tablename__ = "exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    extraction_id: Mapped[int | None] = mapped_column(ForeignKey("extractions.id"), unique=True)
    document_type: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    amount_at_risk: Mapped[Decimal | None] = mapped_column(ExactNumeric())
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=ExceptionStatus.OPEN, index=True)  # ExceptionStatus
    priority: Mapped[int] = mapped_column(Integer, default=0, index=True)  # higher first; see review.priority
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # the SLA: resolve before this
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReferenceAlias(Base):
    """A printed payment reference a reviewer tied to one invoice; `active` = False retires it."""

    __tablename__ = "reference_aliases"
    __table_args__ = (UniqueConstraint("customer_id", "reference_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(128))
    reference_key: Mapped[str] = mapped_column(String(128))
    invoice_number: Mapped[str] = mapped_column(String(64))
    provenance: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedAcknowledgement(Base):
    """The ERP confirmed it stored this record of this feed; unacknowledged records are exported again."""

    __tablename__ = "feed_acknowledgements"
    __table_args__ = (UniqueConstraint("feed", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    acknowledged_by: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """The outbox: one event to send to the webhook endpoint, its idempotency key, attempts and next try."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
