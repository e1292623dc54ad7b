"""What became of a business document, said one way: the `Outcome` value and the only two writers of outcomes —
`conclude` (a business document's status and stored outcome, together) and `Outcome.contract` (the ingest
contract's JSON shape that the CLI, the API and the connectors print).

The contract shape (`../shared/contract`): source, document_id, document_type, status, reasons, customer_id,
order_id, invoice_number, applications, then whatever the status adds (exception_id, payment_id, duplicate_of,
error, …)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord

# status words of the contract
POSTED, EXCEPTION, DUPLICATE, REJECTED = "posted", "exception", "duplicate", "rejected"
QUEUED, PROCESSING, EXPECTED = "queued", "processing", "expected"


@dataclass(frozen=True)
class Outcome:
    """The outcome of one business document (or of a whole file when it could not be read)."""

    status: str
    reasons: tuple[str, ...] | list[str] = ()
    customer_id: str | None = None
    order_id: int | None = None
    invoice_number: str | None = None
    applications: tuple | list = ()
    exception_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # what the status adds (payment_id, duplicate_of, …)

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the extraction row (ExtractionRecord.outcome)."""
        data: dict[str, Any] = {"status": self.status, "reasons": list(self.reasons)}
        for key in ("customer_id", "order_id", "invoice_number", "exception_id"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.applications:
            data["applications"] = list(self.applications)
        return {**data, **self.extra}

    @classmethod
    def from_stored(cls, data: Mapping[str, Any] | None) -> Outcome:
        """Back from the stored JSON (a row not yet decided is `processing`)."""
        data = dict(data or {"status": PROCESSING})
        known = {k: data.pop(k, None) for k in ("customer_id", "order_id", "invoice_number", "exception_id")}
        return cls(
            status=data.pop("status"),
            reasons=data.pop("reasons", []) or [],
            applications=data.pop("applications", []) or [],
            extra=data,
            **known,
        )

    def contract(
        self, *, source: str, document_id: int | None, document_type: str | None, **more: Any
    ) -> dict[str, Any]:
        """The ingest contract's JSON for this outcome."""
        result: dict[str, Any] = {
            "source": source,
            "document_id": document_id,
            "document_type": document_type,
            "status": self.status,
            "reasons": list(self.reasons),
            "customer_id": self.customer_id,
            "order_id": self.order_id,
            "invoice_number": self.invoice_number,
            "applications": list(self.applications),
            **more,
        }
        if self.exception_id is not None:
            result["exception_id"] = self.exception_id
        result.update(self.extra)
        return result


def conclude(record: ExtractionRecord, status: BusinessDocumentStatus, outcome: Outcome) -> None:
    """Move a business document to `status` (its state machine checks the move) and store what became of it."""
    record.move_to(status)
    record.outcome = outcome.stored()


def amend(record: ExtractionRecord, **extra: Any) -> None:
    """Add facts to a stored outcome without changing its status (a bank credit linked to a posted advice)."""
    outcome = Outcome.from_stored(record.outcome)
    record.outcome = Outcome(**{**outcome.__dict__, "extra": {**outcome.extra, **extra}}).stored()


def record_outcome(
    stored: dict[str, Any] | None, *, extraction_id: int, document_type: str | None, source: str, document_id: int
) -> dict[str, Any]:
    """The contract's outcome of one stored business document (its stored outcome, type and id)."""
    return Outcome.from_stored(stored).contract(
        source=source, document_id=document_id, document_type=document_type, extraction_id=extraction_id
    )
