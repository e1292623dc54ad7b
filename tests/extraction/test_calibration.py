"""Calibration: isotonic per field kind, fitted as data, applied only to lower a raw confidence."""

from __future__ import annotations

import json

from bench.layoutgen import SPLIT_FILE, families, read_split
from o2c.extraction import calibration
from o2c.extraction.calibration import CALIBRATION_FILE, calibrate, field_kind, fit_isotonic


def test_field_kinds():
    assert field_kind("order.lines[3].sku") == "code"
    assert field_kind("remittance.items[0].amount_paid") == "number"
    assert field_kind("order.order_date") == "date"
    assert field_kind("order.buyer_name") == "name"
    assert field_kind("order.ship_to") == "text"


def test_isotonic_fit_is_monotone_and_never_claims_a_perfect_small_block():
    obs = [("code", 0.6, k % 2 == 0) for k in range(40)] + [("code", 0.95, k % 10 != 0) for k in range(40)]
    obs += [("code", 0.99, True) for _ in range(99)]
    steps = fit_isotonic(obs)["code"]
    values = [v for _, v in steps]
    assert values == sorted(values) and steps[0][0] == 0.0
    assert values[-1] == round(99 / 100, 4)  # 99 right of 99: (right) / (n + 1), not 1.0
    assert abs(values[0] - 20 / 41) < 1e-3


def test_calibration_lowers_and_never_raises(monkeypatch):
    monkeypatch.setattr(calibration, "_table", lambda: {"code": [[0.0, 0.3], [0.9, 0.8], [0.97, 0.995]]})
    assert calibrate("order.lines[0].sku", 0.92) == 0.8
    assert calibrate("order.lines[0].sku", 0.5) == 0.3
    assert calibrate("order.lines[0].sku", 0.98) == 0.98  # never raised to the step's 0.995
    assert calibrate("order.total", 0.92) == 0.92  # no table for numbers here: raw
    monkeypatch.setenv("O2C_RAW_CONFIDENCE", "1")
    assert calibrate("order.lines[0].sku", 0.92) == 0.92


def test_stored_calibration_and_split_are_data():
    split = read_split(SPLIT_FILE)
    ids = {f.id for f in families()}
    assert set(split["tuned"]) | set(split["held_out"]) == ids
    assert not set(split["tuned"]) & set(split["held_out"]) and split["held_out"]
    if CALIBRATION_FILE.exists():
        table = json.loads(CALIBRATION_FILE.read_text())
        for steps in table.values():
            assert [v for _, v in steps] == sorted(v for _, v in steps)
