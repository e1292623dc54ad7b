"""Scoring extractions against ground truth: field precision/recall/F1, line-item cells, confidence calibration."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

ORDER_FIELDS = (
    "po_number",
    "order_date",
    "buyer_name",
    "currency",
    "ship_to",
    "requested_delivery_date",
    "payment_terms",
    "total",
    "subtotal",
    "tax",
    "bill_to",
    "customer_id",
)
LINE_FIELDS = ("sku", "description", "quantity", "uom", "unit_price", "amount")
REMIT_FIELDS = ("payer_name", "payment_date", "payment_reference", "payment_method", "currency", "amount")
ITEM_FIELDS = ("invoice_number", "amount_paid", "discount", "invoice_amount")
_PATH = re.compile(r"^(order|remittance)\.(?:(lines|items)\[(\d+)\]\.)?(\w+)$")


NUMERIC_FIELDS = {
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


def same(a, b, field_name: str | None = None) -> bool:
    """Equal as decimals for money and quantity fields, else as whitespace-collapsed strings.

    Codes are strings: '045810' is not '45810' (a dropped leading zero is a misread, not a match)."""
    if a is None or b is None:
        return a is None and b is None
    if field_name is not None and field_name.rsplit(".", 1)[-1] in NUMERIC_FIELDS:
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except (InvalidOperation, ValueError):
            pass
    return " ".join(str(a).split()) == " ".join(str(b).split())


@dataclass
class Tally:
    """Counts for one slice of the corpus."""

    docs: int = 0
    types_right: int = 0
    tp: dict[str, int] = field(default_factory=dict)
    fp: dict[str, int] = field(default_factory=dict)
    fn: dict[str, int] = field(default_factory=dict)
    cells: int = 0
    cells_right: int = 0
    confident: list[tuple[float, bool]] = field(default_factory=list)
    per_doc: list[tuple[int, int, int]] = field(default_factory=list)  # (tp, fp, fn) of each document scored

    def _count(self, name: str, truth, got) -> bool:
        for bucket in (self.tp, self.fp, self.fn):
            bucket.setdefault(name, 0)
        if truth is None and got is None:
            return True
        ok = same(truth, got, name)
        if ok:
            self.tp[name] += 1
        else:
            if got is not None:
                self.fp[name] += 1
            if truth is not None:
                self.fn[name] += 1
        return ok

    def prf(self) -> tuple[float, float, float]:
        """Micro-averaged precision, recall and F1 over every field."""
        tp, fp, fn = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
        return _prf(tp, fp, fn)

    def per_field(self) -> dict[str, tuple[float, float, float, int]]:
        """Precision, recall, F1 and the number of true values, per field name."""
        return {
            name: (*_prf(self.tp[name], self.fp[name], self.fn[name]), self.tp[name] + self.fn[name])
            for name in self.tp
        }

    def type_accuracy(self) -> float:
        """Share of documents classified right."""
        return self.types_right / self.docs if self.docs else 0.0

    def cell_accuracy(self) -> float:
        """Share of line-item cells (line or remittance item x column) read exactly."""
        return self.cells_right / self.cells if self.cells else 1.0

    def calibration(self, threshold: float) -> tuple[float, int]:
        """Accuracy of the fields reported at confidence >= threshold, and how many there were."""
        chosen = [ok for conf, ok in self.confident if conf >= threshold]
        return (sum(chosen) / len(chosen) if chosen else 1.0), len(chosen)

    def calibration_table(self) -> list[tuple[float, float, float, int]]:
        """Accuracy per confidence band."""
        bands = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01)]
        out = []
        for lo, hi in bands:
            chosen = [ok for conf, ok in self.confident if lo <= conf < hi]
            out.append((lo, hi, sum(chosen) / len(chosen) if chosen else 0.0, len(chosen)))
        return out


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _value(contract: dict | None, path: str):
    m = _PATH.match(path)
    if not m or not contract or not contract.get(m.group(1)):
        return None
    body = contract[m.group(1)]
    if m.group(2):
        rows = body.get(m.group(2)) or []
        index = int(m.group(3))
        return rows[index].get(m.group(4)) if index < len(rows) else None
    return body.get(m.group(4))


def _conf(got: dict | None, path: str) -> str:
    value = ((got or {}).get("confidence") or {}).get(path)
    return "-" if value is None else f"{value:.2f}"


def score_document(tally: Tally, truth: dict, got: dict | None, *, misses: list[str] | None, name: str) -> None:
    """Add one document's comparison to tally (and list what was wrong in misses)."""
    tally.docs += 1
    kind = "order" if truth["order"] else "remittance"
    type_ok = bool(got) and got["document_type"] == truth["document_type"]
    tally.types_right += type_ok
    if got and "document_type" in got.get("confidence", {}):
        tally.confident.append((got["confidence"]["document_type"], type_ok))
    t_body = truth[kind]
    g_body = (got or {}).get(kind) or {}
    heads, rows_name, row_fields = (
        (ORDER_FIELDS, "lines", LINE_FIELDS) if kind == "order" else (REMIT_FIELDS, "items", ITEM_FIELDS)
    )
    for f in heads:
        if not tally._count(f"{kind}.{f}", t_body.get(f), g_body.get(f)) and misses is not None:
            misses.append(
                f"{name}: {kind}.{f} expected {t_body.get(f)!r} got {g_body.get(f)!r} @{_conf(got, f'{kind}.{f}')}"
            )
    t_rows, g_rows = t_body.get(rows_name) or [], g_body.get(rows_name) or []
    for i in range(max(len(t_rows), len(g_rows))):
        t_row = t_rows[i] if i < len(t_rows) else {}
        g_row = g_rows[i] if i < len(g_rows) else {}
        for f in row_fields:
            tv, gv = t_row.get(f), g_row.get(f)
            ok = tally._count(f"{kind}.{rows_name}.{f}", tv, gv)
            if tv is not None or gv is not None:
                tally.cells += 1
                tally.cells_right += ok
                if not ok and misses is not None:
                    misses.append(
                        f"{name}: {rows_name}[{i}].{f} expected {tv!r} got {gv!r} "
                        f"@{_conf(got, f'{kind}.{rows_name}[{i}].{f}')}"
                    )
    for path, conf in ((got or {}).get("confidence") or {}).items():
        if path == "document_type" or not _PATH.match(path):
            continue
        tally.confident.append((conf, type_ok and same(_value(truth, path), _value(got, path), path)))
