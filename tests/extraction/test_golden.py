"""Golden samples: every file in tests/fixtures/samples/ extracts to its expected/<file>.json, field by field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from o2c.extraction.service import extract_document

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
EXPECTED = sorted((SAMPLES / "expected").glob("*.json")) if (SAMPLES / "expected").is_dir() else []
_DECIMALS = {
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


def _differences(expected, actual, path="") -> list[str]:
    """Field-by-field differences; decimal strings compare as Decimals ('200' == '200.00')."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        out = []
        for key, value in expected.items():
            out += _differences(value, actual.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [d for i, (e, a) in pairs for d in _differences(e, a, f"{path}[{i}]")]
    if path.rsplit(".", 1)[-1] in _DECIMALS and expected is not None and actual is not None:
        return [] if Decimal(expected) == Decimal(actual) else [f"{path}: expected {expected}, got {actual}"]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def extract_sample(name: str) -> list[dict]:
    """The contract JSON of every extraction from one sample file."""
    content = (SAMPLES / name).read_bytes()
    return [e.to_contract() for e in extract_document(content, filename=name)]


def _params():
    for path in EXPECTED:
        name = path.name.removesuffix(".json")
        marks = [pytest.mark.ocr] if name.startswith("scan_") else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.skipif(not EXPECTED, reason="no golden samples generated yet")
@pytest.mark.parametrize("name", list(_params()))
def test_golden_sample(name):
    expected = json.loads((SAMPLES / "expected" / f"{name}.json").read_text())
    expected = expected if isinstance(expected, list) else [expected]
    actual = extract_sample(name)
    problems = _differences(expected, actual)
    assert not problems, "\n".join(problems)
