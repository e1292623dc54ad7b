"""Open-item matching: which invoice does a remittance item pay? By reference, then PO, then amounts alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from o2c.core.db import membership
from o2c.core.money import decimal_str
from o2c.extraction.schema import RemittanceItem
from o2c.ledger.cash import OPEN_ITEM_COLUMNS, OpenItem
from o2c.ledger.models import Invoice
from o2c.ledger.references import normalize_reference, ocr_key

OpenInvoice = Invoice | OpenItem  # an ORM invoice or its prefetched open-item row: the fields matching reads

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
    "OpenItemLookup",
]


def _item_keys(items: Sequence[RemittanceItem]) -> tuple[set[str], set[str]]:
    """The OCR keys and PO keys a remittance's items could mean (what candidate_invoices looks up)."""
    ocr = {ocr_key(i.invoice_number) for i in items if i.invoice_number} - {""}
    pos = {normalize_reference(i.po_number) for i in items if i.po_number} - {""}
    return ocr, pos


def _reference_keys(references: Sequence[str]) -> tuple[set[str], set[str]]:
    """The reference keys and exact numbers invoices_by_reference looks up."""
    return {normalize_reference(r) for r in references if r} - {""}, {r.strip() for r in references if r}


class OpenItemLookup:
    """Where remittance decisions read invoices. Without prefetch each look-up is the indexed query of
    candidate_invoices / invoices_by_reference / open_invoices (one document at a time). `prefetch` loads, for a
    whole batch, every invoice any item's reference, OCR or PO key could mean (one chunked IN query per key) and
    the open items of the payers who pay by amount only, as OpenItem rows; the look-ups then filter and order in
    memory exactly as the queries do. A key or payer not prefetched falls back to its query, so the answers
    never differ."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._keys: dict[str, set[str]] = {"ocr": set(), "po": set(), "ref": set(), "number": set()}
        self._index: dict[str, dict[str, list[OpenItem]]] = {name: {} for name in self._keys}
        self._open: dict[str, list[OpenItem]] = {}
        self._open_bound: Decimal | None = None
        self._rows: dict[int, OpenItem] = {}

    def _select(self, *where) -> list[OpenItem]:
        """OpenItem rows of a Core select, one object per invoice id (the first read of it)."""
        rows = self._rows
        out = []
        for row in self.session.execute(select(*OPEN_ITEM_COLUMNS).where(*where)).tuples():
            item = rows.get(row[0])
            if item is None:
                item = rows[row[0]] = OpenItem(*row)
            out.append(item)
        return out

    def prefetch(self, item_lists: Sequence[Sequence[RemittanceItem]]) -> None:
        """Load every invoice whose OCR, PO or reference key or number any of these items prints."""
        wanted: dict[str, set[str]] = {name: set() for name in self._keys}
        for items in item_lists:
            ocr, pos = _item_keys(items)
            refs, numbers = _reference_keys([i.invoice_number for i in items if i.invoice_number])
            wanted["ocr"] |= ocr
            wanted["po"] |= pos
            wanted["ref"] |= refs
            wanted["number"] |= numbers
        columns = {"ocr": Invoice.ocr_key, "po": Invoice.po_key, "ref": Invoice.reference_key}
        columns["number"] = Invoice.invoice_number
        parts = {
            name: membership(self.session, columns[name], keys - self._keys[name]) for name, keys in wanted.items()
        }
        found: dict[int, OpenItem] = {}
        for n in range(max(len(p) for p in parts.values())):  # one query per part of every kind of key
            clauses = [p[n] for p in parts.values() if n < len(p)]
            found.update((inv.id, inv) for inv in self._select(or_(*clauses)))
        for name, keys in wanted.items():
            self._keys[name] |= keys
        for ident in sorted(found):
            inv = found[ident]
            for name, value in (
                ("ocr", inv.ocr_key),
                ("po", inv.po_key),
                ("ref", inv.reference_key),
                ("number", inv.invoice_number),
            ):
                if value in self._keys[name]:
                    bucket = self._index[name].setdefault(value, [])
                    if inv not in bucket:
                        bucket.append(inv)

    def prefetch_open(self, customer_ids: set[str], max_open: Decimal) -> None:
        """Load the open items (open <= max_open) of these customers: the amount-only search's candidates."""
        who = set(customer_ids) - set(self._open)
        self._open.update((c, []) for c in who)
        for clause in membership(self.session, Invoice.customer_id, who):
            rows = self._select(clause, Invoice.open_amount > 0, Invoice.open_amount <= max_open)
            for inv in sorted(rows, key=lambda i: (i.invoice_date, i.id)):
                self._open[inv.customer_id].append(inv)
        self._open_bound = max_open if self._open_bound is None else min(self._open_bound, max_open)

    def _lookup(self, name: str, keys: set[str]) -> list[OpenItem] | None:
        if not keys <= self._keys[name]:
            return None
        return [inv for key in keys for inv in self._index[name].get(key, [])]

    def candidates(self, customer_id: str, items: Sequence[RemittanceItem]) -> list[OpenInvoice]:
        """candidate_invoices, answered from the prefetched index when it holds every key."""
        ocr, pos = _item_keys(items)
        by_ocr, by_po = self._lookup("ocr", ocr), self._lookup("po", pos)
        if by_ocr is None or by_po is None:
            return list(candidate_invoices(self.session, customer_id, items))
        found = {inv.id: inv for inv in by_ocr + by_po if inv.customer_id == customer_id and inv.open_amount > 0}
        return sorted(found.values(), key=lambda inv: (inv.invoice_date, inv.id))

    def by_reference(self, references: Sequence[str]) -> list[OpenInvoice]:
        """invoices_by_reference, answered from the prefetched index when it holds every key."""
        keys, exact = _reference_keys(references)
        by_ref, by_number = self._lookup("ref", keys), self._lookup("number", exact)
        if by_ref is None or by_number is None:
            return list(invoices_by_reference(self.session, references))
        return sorted({inv.id: inv for inv in by_ref + by_number}.values(), key=lambda inv: inv.id)

    def open_items(self, customer_id: str, currency: str | None, *, max_open: Decimal, limit: int) -> list[OpenInvoice]:
        """open_invoices (bounded by max_open and limit), from the prefetched open items when they cover it."""
        if customer_id not in self._open or self._open_bound is None or max_open > self._open_bound:
            return list(open_invoices(self.session, customer_id, currency, max_open=max_open, limit=limit))
        rows: list[OpenInvoice] = [
            inv
            for inv in self._open[customer_id]
            if inv.open_amount > 0 and (not currency or inv.currency == currency) and inv.open_amount <= max_open
        ]
        return rows[:limit]


@dataclass
class ItemMatch:
    """The invoice one remittance item pays (None when unmatched or ambiguous), the rule, and the evidence."""

    invoice: OpenInvoice | None
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
    keys, exact = _reference_keys(references)
    if not keys and not exact:
        return []
    stmt = select(Invoice).where(Invoice.reference_key.in_(keys) | Invoice.invoice_number.in_(exact))
    return list(session.scalars(stmt.order_by(Invoice.id)))


def candidate_invoices(session: Session, customer_id: str, items: Sequence[RemittanceItem]) -> list[Invoice]:
    """The payer's open invoices any item could mean: by number, reference key, OCR key or PO key (all indexed).

    Bounded by the items, never by the size of the customer's open AR."""
    # ocr_key folds case, prefixes, separators, leading zeros and O/0 I/1 S/5 B/8: an exact or normalized
    # reference has the same ocr_key as its invoice, so one indexed IN finds all three kinds of candidate.
    ocr, pos = _item_keys(items)
    clauses = []
    if ocr:
        clauses.append(Invoice.ocr_key.in_(ocr))
    if pos:
        clauses.append(Invoice.po_key.in_(pos))
    if not clauses:
        return []
    stmt = select(Invoice).where(Invoice.customer_id == customer_id, Invoice.open_amount > 0, or_(*clauses))
    return list(session.scalars(stmt.order_by(Invoice.invoice_date, Invoice.id)))


def _candidate(invoice: OpenInvoice, rule: str) -> dict:
    return {
        "invoice_number": invoice.invoice_number,
        "customer_id": invoice.customer_id,
        "open_amount": decimal_str(invoice.open_amount),
        "amount": decimal_str(invoice.amount),
        "rule": rule,
    }


def _amount_agrees(item: RemittanceItem, invoice: OpenInvoice) -> bool:
    paid = item.amount_paid if item.amount_paid is not None else None
    if paid is not None and paid + (item.discount or 0) == invoice.open_amount:
        return True
    return item.invoice_amount is not None and item.invoice_amount == invoice.amount


def match_item(item: RemittanceItem, candidates: Sequence[OpenInvoice]) -> ItemMatch:
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
    invoices: Sequence[OpenInvoice], amount: Decimal, *, max_size: int, max_candidates: int
) -> CombinationResult:
    """find_combinations over invoices (by id and open amount)."""
    return find_combinations(
        amount,
        [(inv.id, inv.open_amount) for inv in invoices],
        max_size=max_size,
        max_candidates=max_candidates,
    )
