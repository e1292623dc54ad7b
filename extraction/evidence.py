"""Per-field confidence and provenance, recorded as fields are read; OCR'd words pull confidence down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from o2c.extraction.layout import bbox
from o2c.extraction.pages import OCR, PDFPLUMBER, Page, Word

OCR_PENALTY = 0.05
LOW_WORD_CONFIDENCE = 0.90  # below this Tesseract word confidence an OCR'd field stays under 0.9 (bench-calibrated)
# arithmetic (qty x price = amount, items summing to the payment) vouches for numbers; for codes and names only
# where their letters are fairly sure anyway (text layer, or OCR words at or above CODE_WORD_CONFIDENCE)
CODE_WORD_CONFIDENCE = 0.80  # an OCR'd code in a row whose sums agree counts as read from this word confidence
CHECKED_BY_ARITHMETIC = {
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


@dataclass
class Evidence:
    """Confidence and provenance by field path, plus warnings, for one business document."""

    part: str | None = None
    page_sources: dict[int, str] = field(default_factory=dict)
    fallback_pages: set[int] = field(default_factory=set)  # text layers pdfplumber read (extraction.pages)
    confidence: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    derived: set[str] = field(default_factory=set)  # computed from other fields: never evidence for them
    # path -> (confidence as capped by its lowest OCR word confidence, confidence without that cap)
    word_capped: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def for_pages(cls, pages: list[Page], part: str | None = None) -> Evidence:
        """Evidence that knows which pages were OCR'd."""
        return cls(
            part=part,
            page_sources={p.number: p.source for p in pages},
            fallback_pages={p.number for p in pages if p.reader == PDFPLUMBER},
        )

    def record(
        self,
        path: str,
        base: float,
        words: list[Word] | None = None,
        *,
        page: int | None = None,
        text: str | None = None,
    ) -> None:
        """Record a field read from words (or derived, when words is None) with a base confidence."""
        conf = uncapped = base
        if words:
            if page is not None and self.page_sources.get(page) == OCR:
                conf -= OCR_PENALTY
                lowest = min(w.confidence for w in words)
                uncapped = conf
                if lowest < LOW_WORD_CONFIDENCE:
                    conf = min(conf, 0.5 + 0.4 * lowest)
            self.provenance[path] = self._where(words, page, text)
        self.confidence[path] = round(max(0.0, min(conf, 0.99)), 4)
        if conf < uncapped:  # what the field had before its shaky words capped it (a second reading may lift it)
            self.word_capped[path] = (self.confidence[path], round(min(uncapped, 0.99), 4))
        else:
            self.word_capped.pop(path, None)

    def missing(self, path: str, why: str) -> None:
        """A required field that could not be read: zero confidence and a warning."""
        self.confidence[path] = 0.0
        self.warnings.append(why)

    def adjust(self, prefix: str, value: float, *, floor: bool = False) -> None:
        """Set every recorded confidence under prefix to value (raise or cap; floor=True only raises)."""
        for path in [p for p in self.confidence if p.startswith(prefix)]:
            current = self.confidence[path]
            self.confidence[path] = round(max(current, value) if floor else min(current, value), 4)

    def raise_to(self, prefix: str, value: float) -> None:
        """Raise confidences under prefix to value, still capped by the OCR quality of their words."""
        for path in [p for p in self.confidence if p.startswith(prefix)]:
            current = self.confidence[path]
            if current < 0.3:
                continue
            where = self.provenance.get(path, {})
            if (
                path.rsplit(".", 1)[-1] not in CHECKED_BY_ARITHMETIC
                and where.get("ocr")
                and (where.get("ocr_confidence", 0.0) < CODE_WORD_CONFIDENCE)
            ):
                continue  # sums confirm a row's numbers and its cells' boundaries, not shaky OCR letters in a code
            cap = 0.99 - (OCR_PENALTY if where.get("ocr") else 0)  # arithmetic can vouch for a shaky OCR number
            self.confidence[path] = round(max(current, min(value, cap)), 4)

    def _where(self, words: list[Word], page: int | None, text: str | None) -> dict[str, Any]:
        shown = text if text is not None else " ".join(w.text for w in words)
        spans = [w.span for w in words if w.span]
        if spans:
            return {
                "part": self.part or "body",
                "span": [min(s[0] for s in spans), max(s[1] for s in spans)],
                "text": shown,
            }
        where: dict[str, Any] = {"page": page, "bbox": bbox(words), "text": shown}
        if self.part:
            where["part"] = self.part
        if page in self.fallback_pages:
            where["reader"] = PDFPLUMBER  # pdfium's characters could not be grouped into words on this page
        if page is not None and self.page_sources.get(page) == OCR:
            where["ocr"] = True
            where["ocr_confidence"] = round(min(w.confidence for w in words), 3)
        return where

    def record_span(self, path: str, base: float, start: int, end: int, text: str) -> None:
        """Record a field read from free text by character span."""
        self.confidence[path] = round(max(0.0, min(base, 0.99)), 4)
        self.provenance[path] = {"part": self.part or "body", "span": [start, end], "text": text}
