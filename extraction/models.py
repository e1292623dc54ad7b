"""The extractions table: one row per business document found in a received file."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class BusinessDocumentStatus(enum.StrEnum):
    """Where one business document stands: extracted -> posted | exception | rejected; other = not business."""

    EXTRACTED = "extracted"
    POSTED = "posted"
    EXCEPTION = "exception"
    REJECTED = "rejected"
    OTHER = "other"
    AWAITING_CASH = "awaiting_cash"  # a remittance advice is a claim: it waits for the bank credit it announces


class ExtractionRecord(Base):
    """A stored Extraction (its contract JSON) plus the pipeline's outcome for it."""

    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("document_id", "part_index", "extractor_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    part_index: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(1024))
    document_type: Mapped[str] = mapped_column(String(32), index=True)
    extractor_version: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    confidence: Mapped[dict] = mapped_column(JSON, default=dict)
    min_confidence: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[BusinessDocumentStatus] = mapped_column(
        Enum(BusinessDocumentStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=BusinessDocumentStatus.EXTRACTED,
        index=True,
    )
    outcome: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
