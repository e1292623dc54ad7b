"""The extractions table: one row per business document found in a received file."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from o2c.core.db import Base, utcnow
from o2c.core.states import check_transition


class BusinessDocumentStatus(enum.StrEnum):
    """Where one business document stands: extracted -> posted | exception | rejected | awaiting_cash; other =
    not business. The allowed moves are BUSINESS_DOCUMENT_MOVES."""

    EXTRACTED = "extracted"
    POSTED = "posted"
    EXCEPTION = "exception"
    REJECTED = "rejected"
    OTHER = "other"
    AWAITING_CASH = "awaiting_cash"  # a remittance advice is a claim: it waits for the bank credit it announces


_B = BusinessDocumentStatus
# The allowed moves (ExtractionRecord.move_to checks them). A resolved exception goes back to extracted (decided
# again by the same rules) or straight to its end (cash posted by the reviewer, rejected, dismissed as other).
BUSINESS_DOCUMENT_MOVES: dict[BusinessDocumentStatus, frozenset[BusinessDocumentStatus]] = {
    _B.EXTRACTED: frozenset({_B.POSTED, _B.EXCEPTION, _B.REJECTED, _B.OTHER, _B.AWAITING_CASH}),
    # an advice is a claim until its bank credit arrives; then it is decided again (docs/cash-model.md)
    _B.AWAITING_CASH: frozenset({_B.EXTRACTED, _B.EXCEPTION, _B.REJECTED}),
    _B.EXCEPTION: frozenset({_B.EXTRACTED, _B.POSTED, _B.REJECTED, _B.OTHER}),
    _B.POSTED: frozenset(),
    _B.REJECTED: frozenset(),
    _B.OTHER: frozenset(),
}


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
