"""The committed sample set is reproducible and internally consistent (arithmetic, master data, outcomes)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = FIXTURES / "samples"
IMAGE_FILES = {"scan_po.pdf"}  # rasterised: bytes may differ between pdfium/Pillow builds


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _contracts() -> list[dict]:
    out = []
    for path in sorted((SAMPLES / "expected").glob("*.json")):
        obj = json.loads(path.read_text(encoding="utf-8"))
        out.extend(obj if isinstance(obj, list) else [obj])
    return out


def _csv(name: str) -> list[dict]:
    with open(SAMPLES / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _d(value: str | None) -> Decimal:
    return Decimal(value) if value else Decimal("0")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    subprocess.run(
        [sys.executable, str(FIXTURES / "generate.py"), "--seed", "7", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def test_regeneration_is_byte_identical(regenerated: Path):
    assert _files(regenerated) == _files(SAMPLES)
    differing = [
        name
        for name in sorted(_files(SAMPLES) - IMAGE_FILES)
        if (regenerated / name).read_bytes() != (SAMPLES / name).read_bytes()
    ]
    assert differing == [], "regenerate with: python tests/fixtures/generate.py --seed 7 --out tests/fixtures/samples"


def test_sample_set_stays_small():
    assert sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file()) < 3 * 1024 * 1024
    assert (SAMPLES / "scan_po.pdf").stat().st_size < 400 * 1024


def test_order_arithmetic_reconciles():
    orders = [c["order"] for c in _contracts() if c["order"]]
    assert len(orders) >= 10
    for order in orders:
        for line in order["lines"]:
            assert _d(line["quantity"]) * _d(line["unit_price"]) == _d(line["amount"]), (
                order["po_number"],
                line,
            )
        lines_sum = sum(_d(line["amount"]) for line in order["lines"])
        if order["subtotal"] is not None:
            assert lines_sum == _d(order["subtotal"])
            assert _d(order["total"]) >= _d(order["subtotal"]) + _d(order["tax"])  # the rest is freight
        else:
            assert lines_sum == _d(order["total"]), order["po_number"]


def test_remittance_arithmetic_reconciles():
    remittances = [c["remittance"] for c in _contracts() if c["remittance"]]
    assert len(remittances) >= 4
    for r in remittances:
        assert sum(_d(i["amount_paid"]) for i in r["items"]) == _d(r["amount"]), r["payment_reference"]
        for item in r["items"]:
            if item["invoice_amount"] is not None:
                assert _d(item["amount_paid"]) + _d(item["discount"]) <= _d(item["invoice_amount"])


def test_outcomes_cover_every_business_document():
    outcomes = json.loads((SAMPLES / "outcomes.json").read_text(encoding="utf-8"))
    assert set(outcomes) == {c["source"] for c in _contracts()}
    reasons = {r for o in outcomes.values() for r in o["reasons"]}
    assert {
        "unknown_product",
        "price_mismatch",
        "credit_hold",
        "duplicate_order",
        "unmatched_invoice",
    } <= reasons
    for outcome in outcomes.values():
        assert outcome["status"] in {"posted", "exception", "duplicate"}
        assert (outcome["status"] == "posted") == (outcome["reasons"] == [])


def _price(customer: dict, sku: str, qty: Decimal, on: date) -> Decimal | None:
    tiers = [
        p
        for p in _csv("prices.csv")
        if p["customer_id"] == customer["customer_id"]
        and p["sku"] == sku
        and qty >= Decimal(p["min_quantity"])
        and date.fromisoformat(p["valid_from"]) <= on
        and (not p["valid_to"] or on <= date.fromisoformat(p["valid_to"]))
    ]
    if tiers:
        return Decimal(max(tiers, key=lambda p: Decimal(p["min_quantity"]))["unit_price"])
    product = next((p for p in _csv("products.csv") if p["sku"] == sku), None)
    if product is None or product["currency"] != customer["currency"]:
        return None
    return Decimal(product["unit_price"])


def test_seeded_problems_match_master_data():
    outcomes = json.loads((SAMPLES / "outcomes.json").read_text(encoding="utf-8"))
    customers = {c["name"]: c for c in _csv("customers.csv")}
    invoices = {i["invoice_number"]: i for i in _csv("invoices.csv")}
    for contract in _contracts():
        reasons = outcomes[contract["source"]]["reasons"]
        if (order := contract["order"]) is not None:
            customer = customers[order["buyer_name"]]
            off = []
            for line in order["lines"]:
                expected = _price(customer, line["sku"], _d(line["quantity"]), date.fromisoformat(order["order_date"]))
                if expected is None:
                    off.append("unknown_product")
                elif abs(_d(line["unit_price"]) - expected) / expected >= Decimal("0.02"):
                    off.append("price_mismatch")
            assert set(off) == set(reasons) - {"credit_hold", "duplicate_order"}, contract["source"]
            exposure = sum(
                _d(i["open_amount"]) for i in invoices.values() if i["customer_id"] == customer["customer_id"]
            ) + _d(order["total"])
            assert (exposure > Decimal(customer["credit_limit"])) == ("credit_hold" in reasons), contract["source"]
        else:
            r = contract["remittance"]
            customer = customers[r["payer_name"]]
            for item in r["items"]:
                inv = invoices.get(item["invoice_number"])
                if inv is None:
                    assert "unmatched_invoice" in reasons
                    continue
                assert inv["customer_id"] == customer["customer_id"]
                assert _d(item["amount_paid"]) + _d(item["discount"]) == Decimal(inv["open_amount"])
                if _d(item["discount"]):
                    assert customer["payment_terms"].startswith("2/10")
                    assert _d(item["discount"]) == Decimal(inv["amount"]) * Decimal("0.02")
                    assert date.fromisoformat(r["payment_date"]) <= (
                        date.fromisoformat(inv["invoice_date"]) + timedelta(days=10)
                    )


def test_expected_files_follow_the_extraction_contract():
    schema = pytest.importorskip("o2c.extraction.schema")
    for contract in _contracts():
        rebuilt = schema.Extraction.from_contract(contract).to_contract()
        assert {k: rebuilt[k] for k in contract} == contract, contract["source"]
