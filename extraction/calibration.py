"""Confidence calibration: a monotone map per field kind from the reader's raw confidence to how often fields
at that confidence were right, fitted (isotonic, pool-adjacent-violators) on the TUNED families of
bench/generalization.py only and stored as data in calibration.json. Held-out families are never fitted on.

Set O2C_RAW_CONFIDENCE=1 to read raw confidences (what the fit itself needs).
"""

from __future__ import annotations

import json
import os
import re
from functools import cache, lru_cache
from pathlib import Path

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
_CODES = {"sku", "po_number", "invoice_number", "payment_reference", "customer_id"}
_NUMBERS = {"quantity", "unit_price", "amount", "total", "subtotal", "tax", "amount_paid", "discount", "invoice_amount"}
_DATES = {"order_date", "requested_delivery_date", "payment_date"}
_NAMES = {"buyer_name", "payer_name"}
MIN_BLOCK = 20  # observations a step needs before it is trusted on its own


@lru_cache(maxsize=4096)
def field_kind(path: str) -> str:
    """'order.lines[3].sku' -> 'code'; kinds: code, number, date, name, text."""
    name = re.sub(r"\[\d+\]", "", path).rsplit(".", 1)[-1]
    if name in _CODES:
        return "code"
    if name in _NUMBERS:
        return "number"
    if name in _DATES:
        return "date"
    if name in _NAMES:
        return "name"
    return "text"


def fit_isotonic(observations: list[tuple[str, float, bool]]) -> dict[str, list[list[float]]]:
    """Per kind, steps [[from_confidence, calibrated], ...] from (kind, raw confidence, right) observations.

    Pool-adjacent-violators on confidence-sorted outcomes; blocks smaller than MIN_BLOCK are pooled with their
    neighbour, and each step's value is (right) / (n + 1), so a small perfect block does not claim 1.0."""
    table: dict[str, list[list[float]]] = {}
    by_kind: dict[str, list[tuple[float, bool]]] = {}
    for kind, conf, ok in observations:
        by_kind.setdefault(kind, []).append((conf, ok))
    for kind, points in by_kind.items():
        pooled: dict[float, list[float]] = {}
        for conf, ok in points:
            entry = pooled.setdefault(conf, [0.0, 0.0])
            entry[0] += ok
            entry[1] += 1
        blocks: list[list[float]] = []  # [lo, right, n]
        for conf in sorted(pooled):
            blocks.append([conf, *pooled[conf]])
            while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
                _pool(blocks, len(blocks) - 1)
        k = 0
        while len(blocks) > 1 and k < len(blocks):  # too few observations to stand alone: join a neighbour
            if blocks[k][2] < MIN_BLOCK:
                _pool(blocks, k if k > 0 else 1)
                k = 0
            else:
                k += 1
        k = 1
        while k < len(blocks):  # pooling may have undone monotonicity: restore it
            if blocks[k - 1][1] / blocks[k - 1][2] >= blocks[k][1] / blocks[k][2]:
                _pool(blocks, k)
                k = max(1, k - 1)
            else:
                k += 1
        steps = [[round(lo, 4), round(right / (n + 1), 4)] for lo, right, n in blocks]
        steps[0][0] = 0.0
        table[kind] = steps
    return table


def _pool(blocks: list[list[float]], k: int) -> None:
    """Merge block k into block k - 1."""
    _, right, n = blocks.pop(k)
    blocks[k - 1][1] += right
    blocks[k - 1][2] += n


@cache
def _table() -> dict[str, list[list[float]]]:
    if not CALIBRATION_FILE.exists():
        return {}
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))


def calibrate(path: str, confidence: float) -> float:
    """The calibrated confidence of a field: the raw one, lowered to the accuracy the tuned families showed at
    that raw confidence for its kind of field. Calibration never raises a confidence: a step's accuracy is
    pooled over many fields and cannot vouch for this one beyond its own evidence. Raw when no table is fitted
    or O2C_RAW_CONFIDENCE is set."""
    if os.environ.get("O2C_RAW_CONFIDENCE") or confidence <= 0.0:
        return confidence
    steps = _table().get(field_kind(path))
    if not steps:
        return confidence
    value = steps[0][1]
    for lo, calibrated in steps:
        if confidence >= lo:
            value = calibrated
    return round(min(value, confidence), 4)
