"""The extractions table: one row per business document found in a received file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from o2c.core.db import Base, utcnow
from o2c.core.states import check_transition
from o2c.extraction.states import BUSINESS_DOCUMENT_MOVES, BusinessDocumentStatus


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

    def move_to(self, status: BusinessDocumentStatus) -> None:
        """The only way a business document's status changes: checked against BUSINESS_DOCUMENT_MOVES."""
        check_transition(BUSINESS_DOCUMENT_MOVES, self.status, status, what=f"extraction {self.id}")
        self.status = status
