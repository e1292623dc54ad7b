"""Mending an OCR'd order's rows by arithmetic: a misread digit or a lost decimal point that qty x price = amount,
and where a row admits several repairs, the document's sum, single out; a price read in part, from amount / qty."""

from __future__ import annotations

from decimal import Decimal

from o2c.extraction.evidence import Evidence
from o2c.extraction.linecells import REPAIRED_CONFIDENCE, agrees, price_from_amount, row_repairs
from o2c.extraction.schema import ExtractedOrder

DERIVED_PRICE_CONFIDENCE = 0.8  # a unit price computed as amount / quantity: as sure as the quantity, no surer


def repair_ocr_rows(order: ExtractedOrder, evidence: Evidence, freight: Decimal | None) -> dict[str, float]:
    """Mend OCR'd rows whose qty x price != amount by one misread digit or a lost decimal point, or a price read as
    a fragment.

    A repair is made only where the row's two other cells, read independently, admit exactly one (linecells.
    repair_row), or, where they admit several, where exactly one of them also makes the lines sum to the
    document's subtotal (then two independent readings vouch for it); a text layer's numbers are never mended
    (a disagreeing digital row is a real discrepancy). Returns the mended paths with the confidence they keep
    unless the document's total confirms the lines."""
    mended: dict[str, float] = {}
    open_rows: dict[int, set[tuple[str, Decimal]]] = {}  # rows that admit more than one repair
    for i, line in enumerate(order.lines):
        path = f"order.lines[{i}]"
        cells = {"quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount}
        if any(f"{path}.{n}" in evidence.derived for n in cells):
            continue
        if not all(evidence.provenance.get(f"{path}.{n}", {}).get("ocr") for n in cells):
            continue
        qty, price, amount = cells["quantity"], cells["unit_price"], cells["amount"]
        if qty is None or price is None or amount is None:
            continue
        fits = row_repairs(qty, price, amount)
        if len(fits) == 1:
            [(name, value)] = fits
            evidence.warnings.append(f"line {i + 1}: {name} read {cells[name]}, taken as {value} (one OCR digit)")
            setattr(line, name, value)
            mended[f"{path}.{name}"] = REPAIRED_CONFIDENCE
        elif not agrees(qty, price, amount):
            open_rows[i] = fits
    _repair_by_sum(order, open_rows, freight, evidence)
    for i in open_rows:
        line, path = order.lines[i], f"order.lines[{i}]"
        if line.quantity is None or line.amount is None or agrees(line.quantity, line.unit_price, line.amount):
            continue
        derived = price_from_amount(line.quantity, line.amount, evidence.provenance[f"{path}.unit_price"].get("text"))
        if derived is not None:
            evidence.warnings.append(f"line {i + 1}: unit price read {line.unit_price}, taken as amount / quantity")
            line.unit_price = derived
            evidence.derived.add(f"{path}.unit_price")
            mended[f"{path}.unit_price"] = DERIVED_PRICE_CONFIDENCE
    return mended


def _repair_by_sum(
    order: ExtractedOrder, open_rows: dict[int, set[tuple[str, Decimal]]], freight: Decimal | None, evidence: Evidence
) -> None:
    """Of the repairs open rows admit, take the one amount that makes the lines sum to the subtotal (or total less
    tax and freight), when exactly one does: its row's other cells and the document's sum vouch for it."""
    expected = order.subtotal
    if expected is None and order.total is not None:
        expected = order.total - (order.tax or 0) - (freight or 0)
    amounts = [ln.amount for ln in order.lines]
    if expected is None or not open_rows or any(a is None for a in amounts):
        return
    read_sum = sum((a for a in amounts if a is not None), Decimal("0"))
    if read_sum == expected:
        return
    fits = [
        (i, value)
        for i, repairs in open_rows.items()
        for name, value in repairs
        if name == "amount" and read_sum - (order.lines[i].amount or 0) + value == expected
    ]
    if len(fits) != 1:
        return
    [(i, value)] = fits
    evidence.warnings.append(
        f"line {i + 1}: amount read {order.lines[i].amount}, taken as {value} (one OCR digit; row and sum agree)"
    )
    order.lines[i].amount = value
