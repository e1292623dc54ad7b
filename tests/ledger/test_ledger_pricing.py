"""Applicable price: contract tiers by minimum quantity, validity windows, list-price fallback; tolerances."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from o2c.ledger.pricing import applicable_price, check_line_price


@dataclass
class Tier:
    customer_id: str
    sku: str
    unit_price: Decimal
    min_quantity: Decimal
    valid_from: date | None = None
    valid_to: date | None = None


TIERS = [
    Tier("C1", "A", Decimal("4.50"), Decimal("0")),
    Tier("C1", "A", Decimal("4.10"), Decimal("100"), date(2024, 1, 1), date(2024, 12, 31)),
    Tier("C1", "A", Decimal("3.90"), Decimal("500"), date(2024, 1, 1), date(2024, 6, 30)),
    Tier("C1", "A", Decimal("3.80"), Decimal("500"), date(2024, 4, 1), None),
    Tier("C2", "A", Decimal("1.00"), Decimal("0")),
]


def price(qty, on, customer="C1", list_price=Decimal("5.00")):
    return applicable_price(
        customer_id=customer,
        sku="A",
        quantity=Decimal(qty),
        on_date=on,
        contract_rows=TIERS,
        list_price=list_price,
    )


def test_largest_min_quantity_at_or_below_quantity_wins():
    assert price("99", date(2024, 3, 1)).unit_price == Decimal("4.50")
    applied = price("100", date(2024, 3, 1))
    assert (applied.unit_price, applied.source) == (Decimal("4.10"), "contract")
    assert "min_qty 100" in applied.rule and "C1/A" in applied.rule


def test_validity_window_and_latest_start_among_equal_tiers():
    assert price("600", date(2024, 3, 1)).unit_price == Decimal("3.90")
    assert price("600", date(2024, 5, 1)).unit_price == Decimal("3.80")  # both valid: the later start wins
    assert price("600", date(2025, 2, 1)).unit_price == Decimal("3.80")  # open-ended tier
    assert price("150", date(2025, 2, 1)).unit_price == Decimal("4.50")  # 100-tier expired


def test_list_price_fallback_and_none():
    applied = price("10", date(2024, 3, 1), customer="C9")
    assert (applied.unit_price, applied.source, applied.rule) == (Decimal("5.00"), "list", "list price A")
    assert price("10", date(2024, 3, 1), customer="C9", list_price=None) is None


def test_check_line_price_tolerances():
    assert check_line_price(Decimal("4.51"), Decimal("4.50"), Decimal("0.01")).ok
    bad = check_line_price(Decimal("4.52"), Decimal("4.50"), Decimal("0.01"))
    assert not bad.ok and bad.difference == Decimal("0.02")
    # 1 % of 100.00 = 1.00 beats the absolute 0.01
    assert check_line_price(Decimal("101.00"), Decimal("100.00"), Decimal("0.01"), Decimal("1")).ok
    assert not check_line_price(Decimal("101.01"), Decimal("100.00"), Decimal("0.01"), Decimal("1")).ok
    assert not check_line_price(Decimal("98.99"), Decimal("100.00"), Decimal("0.01"), Decimal("1")).ok
