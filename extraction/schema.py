"""What extraction produces, and its JSON form (the CLI contract). Plain dataclasses: no database, no web."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.core.money import decimal_str, to_decimal

PURCHASE_ORDER = "purchase_order"
REMITTANCE_ADVICE = "remittance_advice"
OTHER = "other"
DOCUMENT_TYPES = (PURCHASE_ORDER, REMITTANCE_ADVICE, OTHER)


@dataclass
class OrderLine:
    """One line of a purchase order as read."""

    sku: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    uom: str | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None


@dataclass
class ExtractedOrder:
    """A purchase order as read. customer_id is set only when the document prints our customer number."""

    po_number: str | None = None
    order_date: date | None = None
    buyer_name: str | None = None
    currency: str | None = None
    ship_to: str | None = None
    requested_delivery_date: date | None = None
    payment_terms: str | None = None
    lines: list[OrderLine] = field(default_factory=list)
    total: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    bill_to: str | None = None
    customer_id: str | None = None


@dataclass
class RemittanceItem:
    """One invoice a remittance pays."""

    invoice_number: str | None = None
    amount_paid: Decimal | None = None
    discount: Decimal | None = None
    invoice_amount: Decimal | None = None
    po_number: str | None = None


@dataclass
class ExtractedRemittance:
    """A remittance advice as read."""

    payer_name: str | None = None
    payment_date: date | None = None
    payment_reference: str | None = None
    payment_method: str | None = None
    currency: str | None = None
    amount: Decimal | None = None
    items: list[RemittanceItem] = field(default_factory=list)
    customer_id: str | None = None


@dataclass
class Extraction:
    """One business document found in a file (a file may hold several: an email's parts).

    confidence maps field paths ("order.po_number", "order.lines[0].quantity") to [0, 1];
    provenance maps the same paths to {"page", "bbox": [x0, top, x1, bottom], "part", "span", "text"}.
    """

    source: str
    document_type: str
    order: ExtractedOrder | None = None
    remittance: ExtractedRemittance | None = None
    confidence: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    part: str | None = None
    sender: str | None = None
    channel: str = "digital"  # digital | ocr | email | structured
    pages: int = 0

    def to_contract(self) -> dict[str, Any]:
        """The CLI contract's JSON object (money as decimal strings, dates ISO, absent values null)."""
        return {
            "source": self.source,
            "document_type": self.document_type,
            "order": _jsonable(asdict(self.order)) if self.order else None,
            "remittance": _jsonable(asdict(self.remittance)) if self.remittance else None,
            "confidence": {k: round(float(v), 4) for k, v in self.confidence.items()},
            "warnings": list(self.warnings),
            "provenance": self.provenance,
            "part": self.part,
            "sender": self.sender,
            "channel": self.channel,
        }

    @classmethod
    def from_contract(cls, obj: dict[str, Any]) -> Extraction:
        """Rebuild an Extraction from its JSON form (as stored, or as corrected by a reviewer)."""
        order = remittance = None
        if obj.get("order"):
            o = dict(obj["order"])
            lines = [OrderLine(**_typed(line, OrderLine)) for line in o.pop("lines", None) or []]
            order = ExtractedOrder(**_typed(o, ExtractedOrder), lines=lines)
        if obj.get("remittance"):
            r = dict(obj["remittance"])
            items = [RemittanceItem(**_typed(i, RemittanceItem)) for i in r.pop("items", None) or []]
            remittance = ExtractedRemittance(**_typed(r, ExtractedRemittance), items=items)
        return cls(
            source=obj.get("source", ""),
            document_type=obj.get("document_type", OTHER),
            order=order,
            remittance=remittance,
            confidence=dict(obj.get("confidence") or {}),
            provenance=dict(obj.get("provenance") or {}),
            warnings=list(obj.get("warnings") or []),
            part=obj.get("part"),
            sender=obj.get("sender"),
            channel=obj.get("channel", "digital"),
        )

    def min_confidence(self, prefix: str = "") -> float:
        """The lowest confidence among fields whose path starts with prefix (1.0 if none)."""
        values = [v for k, v in self.confidence.items() if k.startswith(prefix)]
        return min(values) if values else 1.0


_DECIMAL_FIELDS = {
    "quantity",
    "unit_price",
    "amount",
    "total",
    "subtotal",
    "tax",
    "amount_paid",
    "discount",
    "invoice_amount",
}
_DATE_FIELDS = {"order_date", "requested_delivery_date", "payment_date"}


def _typed(obj: dict[str, Any], cls) -> dict[str, Any]:
    names = set(cls.__dataclass_fields__) - {"lines", "items"}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key not in names:
            continue
        if key in _DECIMAL_FIELDS:
            value = to_decimal(value)
        elif key in _DATE_FIELDS and isinstance(value, str) and value:
            value = date.fromisoformat(value)
        out[key] = value
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return decimal_str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
