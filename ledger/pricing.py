"""Prices: which price applies to an order line (contract tiers, validity, list price) and whether a read
price is close enough to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session

from o2c.ledger import lookups


class PriceTier(Protocol):
    """What applicable_price needs of a contract row (a ContractPrice or any look-alike)."""

    customer_id: str
    sku: str
    unit_price: Decimal
    min_quantity: Decimal
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class AppliedPrice:
    """The price that applies to a line, and the rule that gave it (shown to reviewers)."""

    unit_price: Decimal
    source: str  # "contract" | "list"
    rule: str


@dataclass(frozen=True)
class PriceCheck:
    """The outcome of comparing a read unit price with the expected one."""

    ok: bool
    found: Decimal
    expected: Decimal
    difference: Decimal  # found - expected
    tolerance: Decimal
    capped: bool = False  # within the unit tolerance, but the line's total difference exceeds the per-line cap


def _valid_on(tier: PriceTier, on_date: date) -> bool:
    return (tier.valid_from is None or tier.valid_from <= on_date) and (
        tier.valid_to is None or on_date <= tier.valid_to
    )


def applicable_price(
    *,
    customer_id: str,
    sku: str,
    quantity: Decimal,
    on_date: date,
    contract_rows: Iterable[PriceTier],
    list_price: Decimal | None,
) -> AppliedPrice | None:
    """The contract tier with the largest min_quantity <= quantity valid on on_date, else the list price.

    Among tiers with the same min_quantity the one that started latest wins (a renewed contract).
    None when there is neither a contract tier nor a list price."""
    best: PriceTier | None = None
    for tier in contract_rows:
        if tier.customer_id != customer_id or tier.sku != sku:
            continue
        if Decimal(tier.min_quantity or 0) > quantity or not _valid_on(tier, on_date):
            continue
        if best is None or _tier_rank(tier) > _tier_rank(best):
            best = tier
    if best is not None:
        window = f"{best.valid_from or '…'}..{best.valid_to or '…'}"
        rule = f"contract {customer_id}/{sku} min_qty {_plain(best.min_quantity)} valid {window}"
        return AppliedPrice(Decimal(best.unit_price), "contract", rule)
    if list_price is not None:
        return AppliedPrice(Decimal(list_price), "list", f"list price {sku}")
    return None


def _tier_rank(tier: PriceTier) -> tuple[Decimal, date]:
    return Decimal(tier.min_quantity or 0), tier.valid_from or date.min


def _plain(value: Decimal | None) -> str:
    value = Decimal(value or 0)
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def check_line_price(
    found: Decimal,
    expected: Decimal,
    tolerance_abs: Decimal,
    tolerance_pct: Decimal = Decimal("0"),
    *,
    quantity: Decimal | None = None,
    line_cap: Decimal | None = None,
) -> PriceCheck:
    """Within tolerance when |found - expected| <= max(tolerance_abs, expected * tolerance_pct / 100) and, with a
    per-line cap, |found - expected| x quantity <= line_cap (3.59 for 3.60 x 20,000 is 200 off, not 0.01)."""
    tolerance = max(Decimal(tolerance_abs), abs(expected) * Decimal(tolerance_pct) / Decimal(100))
    difference = found - expected
    ok = abs(difference) <= tolerance
    capped = ok and line_cap is not None and quantity is not None and abs(difference) * quantity > line_cap
    return PriceCheck(ok and not capped, found, expected, difference, tolerance, capped)


def lookup_price(
    session: Session, *, customer_id: str, sku: str, quantity: Decimal, on_date: date
) -> AppliedPrice | None:
    """applicable_price with the contract rows and list price read from the database."""
    product = lookups.product(session, sku)
    rows = lookups.contract_prices(session, customer_id, sku)
    list_price = product.unit_price if product is not None else None
    return applicable_price(
        customer_id=customer_id,
        sku=sku,
        quantity=quantity,
        on_date=on_date,
        contract_rows=rows,
        list_price=list_price,
    )
