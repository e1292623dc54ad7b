"""Open-item matching: which invoice does a remittance item pay? By reference, then PO, then amounts alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from o2c.core.money import decimal_str
from o2c.extraction.schema import RemittanceItem
from o2c.ledger.models import Invoice
from o2c.ledger.references import normalize_reference, ocr_key

__all__ = [
    "ItemMatch",
    "CombinationResult",
    "normalize_reference",
    "ocr_key",
    "match_item",
    "find_combinations",
    "open_invoices",
    "invoices_by_reference",
    "candidate_invoices",
    "amount_only_match",
]


@dataclass
class ItemMatch:
    """The invoice one remittance item pays (None when unmatched or ambiguous), the rule, and the evidence."""

    invoice: Invoice | None
    rule: str | None
    reasons: list[str] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    ambiguous: bool = False


@dataclass(frozen=True)
class CombinationResult:
    """Amount-only search outcome: solutions found (at most `limit` are sought) and whether it refused."""

    solutions: list[tuple[int, ...]]
    too_many_candidates: bool = False

    @property
    def unique(self) -> tuple[int, ...] | None:
        """The one solution, when there is exactly one and the search was complete."""
        return self.solutions[0] if len(self.solutions) == 1 and not self.too_many_candidates else None


def open_invoices(
    session: Session,
    customer_id: str,
    currency: str | None = None,
    *,
    max_open: Decimal | None = None,
    limit: int | None = None,
) -> list[Invoice]:
    """The customer's open invoices (indexed by customer_id), oldest first, optionally bounded."""
    stmt = select(Invoice).where(Invoice.customer_id == customer_id, Invoice.open_amount > 0)
    if currency:
        stmt = stmt.where(Invoice.currency == currency)
    if max_open is not None:
        stmt = stmt.where(Invoice.open_amount <= max_open)
    stmt = stmt.order_by(Invoice.invoice_date, Invoice.id)
    return list(session.scalars(stmt.limit(limit) if limit is not None else stmt))


def invoices_by_reference(session: Session, references: Sequence[str]) -> list[Invoice]:
    """Any customer's invoices whose number or normalized reference matches one of the printed references."""
    keys = {normalize_reference(r) for r in references if r} - {""}
    exact = {r.strip() for r in references if r}
    if not keys and not exact:
        return []
    stmt = select(Invoice).where(Invoice.reference_key.in_(keys) | Invoice.invoice_number.in_(exact))
    return list(session.scalars(stmt))


def candidate_invoices(session: Session, customer_id: str, items: Sequence[RemittanceItem]) -> list[Invoice]:
    """The payer's open invoices any item could mean: by number, reference key, OCR key or PO key (all indexed).

    Bounded by the items, never by the size of the customer's open AR."""
    # ocr_key folds case, prefixes, separators, leading zeros and O/0 I/1 S/5 B/8: an exact or normalized
    # reference has the same ocr_key as its invoice, so one indexed IN finds all three kinds of candidate.
    ocr = {ocr_key(i.invoice_number) for i in items if i.invoice_number} - {""}
    pos = {normalize_reference(i.po_number) for i in items if i.po_number} - {""}
    clauses = []
    if ocr:
        clauses.append(Invoice.ocr_key.in_(ocr))
    if pos:
        clauses.append(Invoice.po_key.in_(pos))
    if not clauses:
        return []
    stmt = select(Invoice).where(Invoice.customer_id == customer_id, Invoice.open_amount > 0, or_(*clauses))
    return list(session.scalars(stmt.order_by(Invoice.invoice_date, Invoice.id)))


def _candidate(invoice: Invoice, rule: str) -> dict:
    return {
        "invoice_number": invoice.invoice_number,
        "customer_id": invoice.customer_id,
        "open_amount": decimal_str(invoice.open_amount),
        "amount": decimal_str(invoice.amount),
        "rule": rule,
    }


def _amount_agrees(item: RemittanceItem, invoice: Invoice) -> bool:
    paid = item.amount_paid if item.amount_paid is not None else None
    if paid is not None and paid + (item.discount or 0) == invoice.open_amount:
        return True
    return item.invoice_amount is not None and item.invoice_amount == invoice.amount


def match_item(item: RemittanceItem, candidates: Sequence[Invoice]) -> ItemMatch:
    """Exact number, normalized reference, OCR-confusable reference (only if the amount agrees), then PO."""
    ref = (item.invoice_number or "").strip()
    if ref:
        exact = [inv for inv in candidates if inv.invoice_number == ref]
        if len(exact) == 1:
            return ItemMatch(exact[0], "reference.exact", [f"reference {ref!r}"])
        key = normalize_reference(ref)
        normalized = [inv for inv in candidates if key and inv.reference_key == key]
        if len(normalized) == 1:
            return ItemMatch(
                normalized[0],
                "reference.normalized",
                [f"reference {ref!r} ~ {normalized[0].invoice_number!r}"],
            )
        if len(normalized) > 1:
            return ItemMatch(
                None,
                None,
                [f"reference {ref!r} fits several invoices"],
                [_candidate(inv, "reference.normalized") for inv in normalized],
                ambiguous=True,
            )
        garbled = ocr_key(ref)
        ocr = [inv for inv in candidates if garbled and inv.ocr_key == garbled]
        agreeing = [inv for inv in ocr if _amount_agrees(item, inv)]
        if len(agreeing) == 1:
            return ItemMatch(
                agreeing[0],
                "reference.ocr+amount",
                [f"reference {ref!r} read as {agreeing[0].invoice_number!r}; amount agrees"],
            )
        if ocr:
            return ItemMatch(
                None,
                None,
                [f"reference {ref!r} resembles an invoice but the amount does not agree"],
                [_candidate(inv, "reference.ocr") for inv in ocr],
                ambiguous=len(agreeing) > 1,
            )
    po = (item.po_number or "").strip()
    if po:
        by_po = [inv for inv in candidates if inv.po_key and inv.po_key == normalize_reference(po)]
        if len(by_po) == 1:
            return ItemMatch(by_po[0], "po_number", [f"PO {po!r} -> {by_po[0].invoice_number!r}"])
        if len(by_po) > 1:
            return ItemMatch(
                None,
                None,
                [f"PO {po!r} has several open invoices"],
                [_candidate(inv, "po_number") for inv in by_po],
                ambiguous=True,
            )
    return ItemMatch(None, None, [f"no open invoice for reference {ref or po or None!r}"])


def find_combinations(
    amount: Decimal,
    items: Sequence[tuple[int, Decimal]],
    *,
    max_size: int,
    max_candidates: int,
    limit: int = 2,
) -> CombinationResult:
    """Sets of at most max_size (id, open amount) items summing exactly to amount; stops at `limit` solutions.

    Only items with 0 < open <= amount take part; with more than max_candidates of them the search refuses
    (too_many_candidates) rather than risk calling a partial answer unique."""
    pool = sorted(((i, a) for i, a in items if 0 < a <= amount), key=lambda p: (-p[1], p[0]))
    if len(pool) > max_candidates:
        return CombinationResult([], too_many_candidates=True)
    solutions: list[tuple[int, ...]] = []
    suffix = [Decimal("0")] * (len(pool) + 1)  # suffix[k] = sum of pool[k:]
    for k in range(len(pool) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + pool[k][1]

    def search(start: int, remaining: Decimal, chosen: list[int]) -> None:
        if len(solutions) >= limit:
            return
        if remaining == 0:
            solutions.append(tuple(sorted(chosen)))
            return
        if len(chosen) == max_size or suffix[start] < remaining:
            return
        for k in range(start, len(pool)):
            ident, value = pool[k]
            if value > remaining:
                continue  # pool is descending: later values may still fit
            chosen.append(ident)
            search(k + 1, remaining - value, chosen)
            chosen.pop()
            if len(solutions) >= limit:
                return

    if amount > 0:
        search(0, amount, [])
    return CombinationResult(solutions)


def amount_only_match(
    invoices: Sequence[Invoice], amount: Decimal, *, max_size: int, max_candidates: int
) -> CombinationResult:
    """find_combinations over invoices (by id and open amount)."""
    return find_combinations(
        amount,
        [(inv.id, inv.open_amount) for inv in invoices],
        max_size=max_size,
        max_candidates=max_candidates,
    )
