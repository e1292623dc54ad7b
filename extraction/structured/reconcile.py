"""When a PDF carries its order twice (embedded XML and the visible page): the XML wins, each disagreement warns."""

from __future__ import annotations

import re
from decimal import Decimal

from rapidfuzz import fuzz

from o2c.extraction.schema import ExtractedOrder, Extraction

COMPARED = ("po_number", "order_date", "buyer_name", "currency", "lines", "total")
_BUYER_SIMILARITY = 85


def reconcile_with_visible(
    structured: list[Extraction], visible: Extraction | None, *, unread: str = "visible page could not be read"
) -> None:
    """Add to each structured order one warning per field the visible page disagrees on (or does not show).

    With no visible extraction (visible None), one warning says why (unread) instead.
    """
    for extraction in structured:
        if extraction.order is None:
            continue
        if visible is None:
            extraction.warnings.append(f"{unread}: the embedded XML was not cross-checked")
            continue
        extraction.warnings.extend(order_disagreements(extraction.order, visible.order))


def order_disagreements(xml: ExtractedOrder, page: ExtractedOrder | None) -> list[str]:
    """One warning per compared field (po number, date, buyer, currency, lines, total) where page differs."""
    page = page or ExtractedOrder()
    warnings = []
    for name in COMPARED:
        if name == "lines":
            problem = _lines_problem(xml, page)
        else:
            problem = _field_problem(name, getattr(xml, name), getattr(page, name))
        if problem:
            warnings.append(f"visible page disagrees with embedded XML on order.{name}: {problem}")
    return warnings


def _field_problem(name: str, xml, page) -> str | None:
    if xml is None:
        return None
    if page is None:
        return f"XML {xml}, not found on the page"
    if name == "po_number" and _key(xml) == _key(page):
        return None
    if name == "buyer_name" and fuzz.token_set_ratio(str(xml).casefold(), str(page).casefold()) >= _BUYER_SIMILARITY:
        return None
    if xml == page:
        return None
    return f"XML {xml}, page {page}"


def _lines_problem(xml: ExtractedOrder, page: ExtractedOrder) -> str | None:
    if not xml.lines:
        return None
    if len(xml.lines) != len(page.lines):
        return f"XML has {len(xml.lines)} lines, page {len(page.lines)}"
    problems = []
    for i, (a, b) in enumerate(zip(xml.lines, page.lines, strict=True)):
        for name in ("quantity", "unit_price", "amount"):
            x, p = getattr(a, name), getattr(b, name)
            if isinstance(x, Decimal) and (p is None or x != p):
                problems.append(f"line {i + 1} {name}: XML {x}, page {p}")
        if a.sku and b.sku and _key(a.sku) != _key(b.sku) and _key(b.sku) not in _key(a.description or ""):
            problems.append(f"line {i + 1} sku: XML {a.sku}, page {b.sku}")
    return "; ".join(problems) or None


def _key(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(text).upper())
