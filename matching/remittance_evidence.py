"""The ledger's open amount recovers one misread paid amount of a remittance advice (scans, where OCR drops a
digit or reads '5,721.26' as '/21.26').

When the items do not sum to the printed payment amount, every item names the payer's open invoice by its number
(exact or normalized, never an OCR-folded guess), all but one settle their invoice to the cent, and the printed
payment amount is exactly what the others pay plus that one invoice's open amount (less a discount the row
prints), then that item paid its open amount: the printed total and the ledger, two sources read apart from the
misread cell, say the same thing. Only one item is ever recovered (one equation, one unknown): with two items
off, a short pay on one and a misread on the other could meet the total, so a person looks. A total the reader
did not read from the page is no witness, and an advice whose items already sum to its amount (a short pay that
adds up) is left as it is.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from o2c.core.money import decimal_str
from o2c.extraction.schema import Extraction
from o2c.matching.open_items import OpenItemLookup, match_item

SETTLING = ("reference.exact", "reference.normalized")  # rules that name the invoice by its own number


def recover_paid_amount(extraction: Extraction, items: OpenItemLookup, payer: str) -> Extraction:
    """The extraction with the one misread paid amount the printed total and the ledger agree on filled in
    (a warning says so), or the extraction unchanged."""
    remittance = extraction.remittance
    if remittance is None or remittance.amount is None or not remittance.items:
        return extraction
    paid = [item.amount_paid for item in remittance.items]
    if None not in paid and sum((p for p in paid if p is not None), Decimal("0")) == remittance.amount:
        return extraction
    if "bbox" not in (extraction.provenance.get("remittance.amount") or {}):
        return extraction
    candidates = items.candidates(payer, remittance.items)
    off, invoices = [], set()
    for index, item in enumerate(remittance.items):
        match = match_item(item, candidates)
        if match.invoice is None or match.rule not in SETTLING or match.invoice.id in invoices:
            return extraction
        invoices.add(match.invoice.id)
        discount = item.discount or Decimal("0")
        if item.amount_paid is None or item.amount_paid + discount != match.invoice.open_amount:
            off.append((index, match.invoice.open_amount - discount, match.invoice.invoice_number))
    if len(off) != 1:
        return extraction
    index, recovered, number = off[0]
    others = sum(
        (item.amount_paid or Decimal("0") for i, item in enumerate(remittance.items) if i != index), Decimal("0")
    )
    if recovered <= 0 or others + recovered != remittance.amount:
        return extraction
    read = remittance.items[index].amount_paid
    items_now = list(remittance.items)
    items_now[index] = replace(items_now[index], amount_paid=recovered)
    note = (
        f"item {index + 1}: amount paid read {decimal_str(read) if read is not None else 'nothing'}, taken as "
        f"{decimal_str(recovered)}: the open amount of {number}, and what the printed total leaves for it"
    )
    return replace(extraction, remittance=replace(remittance, items=items_now), warnings=[*extraction.warnings, note])
