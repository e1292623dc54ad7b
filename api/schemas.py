"""Request and response bodies of the HTTP API (what /docs shows)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number cannot name a row (and overflows SQLite)
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]


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


class CashApplicationRequest(BaseModel):
    """Apply part of a payment to one invoice."""

    invoice_number: str = Field(min_length=1, examples=["INV-2026-0101"])
    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=4, examples=["1250.00"])
    discount: Decimal = Field(default=Decimal("0"), ge=0, max_digits=19, decimal_places=4)


class ResolveRequest(BaseModel):
    """A reviewer's decision on an exception; each action names what it needs."""

    action: Literal[
        "correct",
        "choose_customer",
        "choose_product",
        "choose_invoice",
        "approve_price",
        "apply_cash",
        "on_account",
        "reject",
        "dismiss",
        "return",
    ] = Field(
        description="correct: merge `changes` into the extraction and re-run it; choose_customer: `customer_id`; "
        "choose_product: `line` and `sku`; choose_invoice: `item` and `invoice_number`; "
        "approve_price: accept the prices read (`note` required); apply_cash: `applications`; "
        "on_account: post the payment unapplied; reject: refuse the document; "
        "dismiss: not a business document; return: send a bank credit back to its payer (`note`)"
    )
    changes: dict[str, Any] | None = Field(
        default=None,
        examples=[
            {"order": {"lines": [{"sku": "BRG-6204", "quantity": "10", "unit_price": "4.10", "amount": "41.00"}]}}
        ],
    )
    customer_id: str | None = Field(default=None, min_length=1, max_length=64, examples=["C-1001"])
    line: int | None = Field(default=None, ge=0, le=10_000, description="Order line index (choose_product)")
    sku: str | None = Field(default=None, min_length=1, max_length=64, examples=["BRG-6204"])
    item: int | None = Field(default=None, ge=0, le=10_000, description="Remittance item index (choose_invoice)")
    invoice_number: str | None = Field(default=None, min_length=1, max_length=64)
    applications: list[CashApplicationRequest] | None = Field(default=None, min_length=1)
    note: str | None = Field(default=None, max_length=2000, examples=["contract price applies"])

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"action": "choose_customer", "customer_id": "C-1001"},
                {"action": "apply_cash", "applications": [{"invoice_number": "INV-1", "amount": "100.00"}]},
            ]
        }
    }


class AckRequest(BaseModel):
    """The ERP confirms it stored records of a feed: by ids, or everything up to a cursor."""

    feed: Literal["orders", "invoices", "payments", "applications", "exceptions"]
    ids: list[RecordId] | None = Field(default=None, min_length=1, max_length=1000)
    cursor: str | None = Field(default=None, min_length=1, max_length=512)

    model_config = {"json_schema_extra": {"examples": [{"feed": "orders", "ids": [1, 2, 3]}]}}


class AckResult(BaseModel):
    """What an acknowledgement changed; a replay acknowledges nothing new."""

    feed: str
    acknowledged: int
    already_acknowledged: int
    unknown_ids: list[int]


class Export(BaseModel):
    """Records not yet acknowledged, oldest first; acknowledge `ids` (or `cursor`) once stored."""

    feed: str
    items: list[dict[str, Any]]
    ids: list[int]
    cursor: str | None


class ImportResult(BaseModel):
    """Result of a master-data upload."""

    kind: str
    report: str


class ErrorBody(BaseModel):
    """Every error the API returns."""

    error: str
    message: str
    detail: dict[str, Any] | None = None
    rule: str | None = Field(default=None, description="On a 409: the business rule that was broken")


Responses = dict[int | str, dict[str, Any]]  # a route's `responses=`: status -> OpenAPI response (as FastAPI types it)
