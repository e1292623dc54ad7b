"""What every structured reader shares: a field recorder (confidence + provenance) and strict value parsers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.schema import Extraction

STRUCTURED = "structured"
READ = 1.0  # a value read from a structured field is what the sender sent
COMPUTED = 0.95  # a value we derived (quantity x price, a sum of lines): exact arithmetic, but not sent


class FieldLog:
    """Records, per field path, how sure we are and where the value came from (segment path + raw text)."""

    def __init__(self) -> None:
        self.confidence: dict[str, float] = {}
        self.provenance: dict[str, dict[str, Any]] = {}
        self.warnings: list[str] = []

    def record(self, path: str, where: str, text: Any, confidence: float = READ) -> None:
        """Note that path was read at where (an X12/EDIFACT segment path or an XML element path)."""
        self.confidence[path] = confidence
        self.provenance[path] = {"element": where, "text": None if text is None else str(text)}

    def finish(self, extraction: Extraction) -> Extraction:
        """Copy what was recorded onto the extraction (document_type read from the format: confidence 1)."""
        extraction.channel = STRUCTURED
        extraction.confidence = {"document_type": READ, **self.confidence}
        extraction.provenance = dict(self.provenance)
        extraction.warnings = list(dict.fromkeys([*extraction.warnings, *self.warnings]))
        return extraction


def to_amount(text: str | None, where: str) -> Decimal | None:
    """A Decimal from a machine-written number ('1234.50', '-12', '1234,50' in EDIFACT); None when empty."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise UnreadableDocument(f"{where}: {text!r} is not a number", reason="bad_value") from exc
    if not value.is_finite():
        raise UnreadableDocument(f"{where}: {text!r} is not a finite number", reason="bad_value")
    return value


def to_date(text: str | None, where: str, fmt: str = "102") -> date | None:
    """A date from an EDI/XML date string; fmt is the EDIFACT/CII format code (102, 203, 101) or 'iso'."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    try:
        if fmt == "iso" or "-" in raw:
            return date.fromisoformat(raw[:10])
        if fmt == "101" or len(raw) == 6:
            return datetime.strptime(raw, "%y%m%d").date()
        return datetime.strptime(raw[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise UnreadableDocument(f"{where}: {text!r} is not a date", reason="bad_value") from exc


def join_address(*parts: str | None) -> str | None:
    """Address parts joined with ', ' (empty parts left out); None when nothing is left."""
    kept = [p.strip() for p in parts if p and p.strip()]
    return ", ".join(kept) if kept else None


def line_amount(quantity: Decimal | None, unit_price: Decimal | None) -> Decimal | None:
    """quantity x unit price, or None when either is missing."""
    if quantity is None or unit_price is None:
        return None
    return quantity * unit_price
