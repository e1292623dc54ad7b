"""Request and response bodies of the HTTP API (what /docs shows)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Application(BaseModel):
    """Cash applied to one invoice."""

    invoice_number: str
    amount: str = Field(examples=["1250.00"])
    discount: str | None = Field(default=None, examples=["25.00"])


class Outcome(BaseModel):
    """The contract's ingest outcome for one business document."""

    source: str
    document_id: int | None
    document_type: str | None
    status: str = Field(description="posted | exception | duplicate | rejected | queued | processing")
    reasons: list[str] = []
    customer_id: str | None = None
    order_id: int | None = None
    invoice_number: str | None = None
    applications: list[Application] = []
    exception_id: int | None = None
    error: str | None = None

    model_config = {"extra": "allow"}


class IngestResponse(BaseModel):
    """What happened to an uploaded file: one outcome per business document in it."""

    document_id: int
    duplicate: bool
    outcomes: list[Outcome]


class DocumentView(BaseModel):
    """A received document with its extractions and outcomes."""

    id: int
    filename: str
    media_type: str
    sha256: str
    channel: str
    status: str
    error: str | None
    received_at: str
    receipts: list[dict[str, Any]]
    extractions: list[dict[str, Any]]
    outcomes: list[Outcome]


class Page(BaseModel):
    """One page of an ERP feed; pass next_cursor back to continue. Items are in a stable order."""

    items: list[dict[str, Any]]
    next_cursor: str | None


class ResolveRequest(BaseModel):
    """A reviewer's decision on an exception."""

    action: Literal["correct", "reject", "dismiss"] = Field(
        description="correct: merge `changes` into the extraction and re-run it; reject: refuse the document; "
                    "dismiss: not a business document")
    changes: dict[str, Any] | None = Field(
        default=None, examples=[{"order": {"lines": [{"sku": "BRG-6204", "quantity": "10", "unit_price": "4.10",
                                                      "amount": "41.00"}]}}])
    note: str | None = None


class ImportResult(BaseModel):
    """Result of a master-data upload."""

    kind: str
    report: str


class ErrorBody(BaseModel):
    """Every error the API returns."""

    error: str
    message: str
    detail: dict[str, Any] | None = None
