"""Master data's price as independent evidence for an order's numbers (scans, where OCR leaves them unsure).

A line's cells read at low confidence, or a quantity or unit price that could not be read at all, are confirmed
when the price master data holds for the resolved SKU (contract or list, at the line's quantity and pack) ties
the cells the page did print together, and every line then sums to the total the page prints:

- quantity and amount printed: quantity x price = amount to the cent (a printed unit price must be that price,
  unless it was itself read at low confidence: the two other cells and master data then say what it was);
- quantity and unit price printed, no amount: the unit price is the master price to the cent;
- amount and unit price (or amount alone) printed, no quantity: amount / price is a whole number of units.

Each cell has a witness that is not itself: the price comes from master data, never from the page; a cell
computed from the others (an amount the reader derived, a quantity divided out here) is never counted as
printed; and the printed total (a cell of its own, not a sum the reader made) must equal the lines' amounts, so
a misread quantity or amount would have to be met by a compensating misread of the total. A SKU read at low
confidence confirms nothing (its price could be another product's), and neither does a SKU master data does
not know. When anything fails, nothing changes and the low-confidence and missing-field reasons stand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from rapidfuzz.distance import Levenshtein
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.core.money import quantize
from o2c.extraction.grounding import code_key, folded_key
from o2c.extraction.schema import Extraction
from o2c.ledger import lookups
from o2c.ledger.models import Product
from o2c.ledger.orders import DraftLine, pack_factor
from o2c.ledger.pricing import lookup_price
from o2c.matching.decisions import LOW_CONFIDENCE, OrderDecision, clear_low_confidence
from o2c.matching.policy import MatchingPolicy

_CELLS = ("quantity", "unit_price", "amount")


@dataclass(frozen=True)
class _Confirmed:
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def confirm_by_master_prices(
    session: Session,
    extraction: Extraction,
    lines: list[DraftLine],
    *,
    customer_id: str,
    resolved: set[int],
    on_date: date,
    decision: OrderDecision,
    policy: MatchingPolicy,
) -> list[DraftLine]:
    """The lines with cells master data's prices and the printed total confirm filled in, and those cells'
    low-confidence reasons dropped from the decision; the lines unchanged when the evidence does not hold."""
    order = extraction.order
    unsure = {e.get("field") for e in decision.evidence if e["reason"] == LOW_CONFIDENCE}
    if order is None or not lines or not (unsure or any(_incomplete(line) for line in lines)):
        return lines
    net, total_fields = _printed_net_total(extraction)
    if net is None:
        return lines
    confirmed: dict[int, _Confirmed] = {}
    amounts = []
    for index, line in enumerate(lines):
        path = f"order.lines[{index}]"
        found = None
        if index in resolved and f"{path}.sku" not in unsure:
            found = _by_price(session, extraction, line, path, customer_id, on_date, policy)
        if found is not None:
            confirmed[index] = found
            amounts.append(found.amount)
        elif line.amount is not None:
            amounts.append(line.amount)
        elif line.quantity is not None and line.unit_price is not None:
            amounts.append(quantize(line.quantity * line.unit_price))
        else:
            return lines
    if not confirmed or sum(amounts, Decimal("0")) != net:
        return lines
    sure = {f"order.lines[{i}].{cell}" for i in confirmed for cell in _CELLS}
    others = {f"order.lines[{i}].{cell}" for i in range(len(lines)) if i not in confirmed for cell in _CELLS}
    if not others & unsure:  # every line's numbers are sure: so is the total they sum to
        sure |= total_fields
    clear_low_confidence(decision, sure)
    return [_filled(line, confirmed.get(i)) for i, line in enumerate(lines)]


def _filled(line: DraftLine, confirmed: _Confirmed | None) -> DraftLine:
    if confirmed is None:
        return line
    return replace(line, quantity=confirmed.quantity, unit_price=confirmed.unit_price, amount=confirmed.amount)


def _incomplete(line: DraftLine) -> bool:
    return line.quantity is None or line.unit_price is None


def _printed(extraction: Extraction, path: str) -> bool:
    """Read from a place on a page (not computed by the reader, not from a structured file's sums)."""
    return "bbox" in (extraction.provenance.get(path) or {})


def _printed_net_total(extraction: Extraction) -> tuple[Decimal | None, set[str]]:
    """The total net of tax as printed on the page, and the fields it was read from (None when not printed)."""
    order = extraction.order
    if order is None:
        return None, set()
    if order.subtotal is not None and _printed(extraction, "order.subtotal"):
        fields = {"order.subtotal"}
        if order.total is not None and order.total == order.subtotal + (order.tax or 0):
            fields |= {"order.total", "order.tax"}
        return order.subtotal, fields
    if order.total is None or not _printed(extraction, "order.total"):
        return None, set()
    if order.tax is not None:
        if not _printed(extraction, "order.tax"):
            return None, set()
        return order.total - order.tax, {"order.total", "order.tax"}
    return order.total, {"order.total"}


def _master_price(
    session: Session, customer_id: str, product: Product, uom: str | None, quantity: Decimal, on_date: date
) -> Decimal | None:
    """The unit price master data gives this customer for the product at this quantity, in the line's UoM."""
    applied = lookup_price(session, customer_id=customer_id, sku=product.sku, quantity=quantity, on_date=on_date)
    return None if applied is None else applied.unit_price * pack_factor(product, uom)


def _by_price(
    session: Session,
    extraction: Extraction,
    line: DraftLine,
    path: str,
    customer_id: str,
    on_date: date,
    policy: MatchingPolicy,
) -> _Confirmed | None:
    """The line's quantity, price and amount when master data's price ties its printed cells together."""
    product = lookups.product(session, line.sku) if line.sku else None
    if product is None:
        return None
    quantity, price, amount = (
        getattr(line, cell) if _printed(extraction, f"{path}.{cell}") else None for cell in _CELLS
    )

    def master(q: Decimal) -> Decimal | None:
        return _master_price(session, customer_id, product, line.uom, q, on_date)

    if quantity is None:
        if amount is None or amount <= 0:
            return None
        # each price the SKU can have for this customer (tiers, windows, list): amount / price must be a whole
        # quantity at which that very price applies, and exactly one such quantity may exist
        factor = pack_factor(product, line.uom)
        tiers = {row.unit_price * factor for row in lookups.contract_prices(session, customer_id, product.sku)}
        tiers |= {product.unit_price * factor} if product.unit_price is not None else set()
        whole = {amount / p for p in tiers if p > 0 and (amount / p) == (amount / p).to_integral_value()}
        fits = {q.quantize(Decimal("1")) for q in whole if master(q.quantize(Decimal("1"))) == amount / q}
        if len(fits) != 1:
            return None
        quantity = fits.pop()
        expected = master(quantity)
        if expected is None or quantize(quantity * expected) != amount:
            return None
    else:
        expected = master(quantity)
        if expected is None or quantity <= 0:
            return None
        if amount is None:
            if price is None or price != expected:
                return None  # no amount: only the price itself can be checked against master data
            amount = quantize(quantity * expected)
        elif quantize(quantity * expected) != amount:
            return None
    if price is not None and price != expected:
        confidence = extraction.confidence.get(f"{path}.unit_price", 0.0)
        if confidence >= policy.auto_post_confidence:
            return None  # a surely read price that is not master data's: the ledger's price check decides
    return _Confirmed(quantity, expected, amount)


def sku_by_price(
    session: Session,
    extraction: Extraction,
    index: int,
    *,
    customer_id: str | None,
    on_date: date,
    policy: MatchingPolicy,
) -> str | None:
    """Our one SKU an OCR-misread code stands for, or None.

    The code read ('J-684-C', '$T40771', 'NUT-3219') is unknown; a known SKU within one edit of it (plain, or
    after folding look-alikes: O/0, I/1, S/5, ...) is taken when its master price ties the line's printed
    quantity and amount (quantity x price = amount to the cent; a printed unit price, if surely read, must be
    that price), the lines sum to the printed total, and it is the only SKU within two edits whose price does so.
    The price tells products apart, not letters: two near SKUs at one price (BLT-M6 and BLT-M8) name neither,
    and a code two edits from a tying SKU that is itself further from the read one keeps it from being taken."""
    order = extraction.order
    if order is None or customer_id is None or index >= len(order.lines):
        return None
    line = order.lines[index]
    path = f"order.lines[{index}]"
    read = code_key(line.sku or "")
    if len(read) < 4 or not all(_printed(extraction, f"{path}.{cell}") for cell in ("sku", "amount")):
        return None
    if line.amount is None or not _sums_to_printed_total(extraction, unread=index):
        return None
    # no quantity printed: the printed unit price itself must be the SKU's price (amount / price a whole number)
    price_read = line.unit_price if _printed(extraction, f"{path}.unit_price") else None
    if not _printed(extraction, f"{path}.quantity") and price_read is None:
        return None
    ties: list[tuple[int, str]] = []
    for product in _near_products(session, read):
        distance = _code_distance(read, code_key(product.sku))
        if distance > 2:
            continue
        draft = DraftLine(product.sku, line.description, line.quantity, line.uom, line.unit_price, line.amount)
        found = _by_price(session, extraction, draft, path, customer_id, on_date, policy)
        if found is not None and (line.quantity is not None or found.unit_price == price_read):
            ties.append((distance, product.sku))
    return ties[0][1] if len(ties) == 1 and ties[0][0] <= 1 else None


def part_number_ties(
    session: Session,
    extraction: Extraction,
    index: int,
    sku: str,
    *,
    customer_id: str,
    on_date: date,
    policy: MatchingPolicy,
) -> bool:
    """True when the SKU a customer's part number maps to (master data's cross-reference) is confirmed by its
    price: master price x printed quantity = printed amount (a surely read unit price must be that price) and
    the lines sum to the printed total, the evidence sku_by_price asks of a misread code. The part number's own
    reading vouches for nothing: another product of this customer would have to tie the line to the cent too."""
    order = extraction.order
    if order is None or index >= len(order.lines):
        return False
    line = order.lines[index]
    path = f"order.lines[{index}]"
    if not all(_printed(extraction, f"{path}.{cell}") for cell in ("sku", "quantity", "amount")):
        return False
    if line.amount is None or not _sums_to_printed_total(extraction, unread=index):
        return False
    draft = DraftLine(sku, line.description, line.quantity, line.uom, line.unit_price, line.amount)
    return _by_price(session, extraction, draft, path, customer_id, on_date, policy) is not None


def _near_products(session: Session, read: str) -> list[Product]:
    """Products whose code key is about as long as the read one (read only for a code nothing else knows)."""
    length = func.length(Product.sku_key)
    return list(session.scalars(select(Product).where(length >= len(read) - 2, length <= len(read) + 2)))


def _code_distance(read: str, known: str) -> int:
    """Edits between two code keys, look-alike glyphs (O/0, S/5, B/8, ...) folded or not, whichever is fewer."""
    return min(Levenshtein.distance(read, known), Levenshtein.distance(folded_key(read), folded_key(known)))


def _sums_to_printed_total(extraction: Extraction, *, unread: int) -> bool:
    """The lines' printed amounts sum to the printed total (the line at `unread` must print its amount)."""
    order = extraction.order
    net, _ = _printed_net_total(extraction)
    if order is None or net is None:
        return False
    amounts = []
    for i, ln in enumerate(order.lines):
        if ln.amount is not None:
            amounts.append(ln.amount)
        elif i != unread and ln.quantity is not None and ln.unit_price is not None:
            amounts.append(quantize(ln.quantity * ln.unit_price))
        else:
            return False
    return sum(amounts, Decimal("0")) == net
