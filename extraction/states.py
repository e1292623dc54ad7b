"""Where one business document stands, and the moves allowed between its states, without the table (the
summary reads them on the embedded path too)."""

from __future__ import annotations

import enum


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
