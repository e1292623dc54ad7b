"""Currencies as ISO 4217 knows them (the iso4217 package): how many decimals an amount in each may carry."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import iso4217

DEFAULT_MINOR_UNITS = 2  # a currency ISO 4217 does not know (or none read): cents, the commonest and strictest


@cache
def minor_units(currency: str | None) -> int:
    """Decimals of the currency's minor unit: USD 2, JPY 0, KWD 3 (2 when unknown or without one, like XAU)."""
    try:
        exponent = iso4217.Currency((currency or "").strip().upper()).exponent
    except ValueError:
        return DEFAULT_MINOR_UNITS
    return DEFAULT_MINOR_UNITS if exponent is None else exponent


def in_minor_units(amount: Decimal, currency: str | None) -> bool:
    """True when the amount is a whole number of the currency's minor units (4000.005 USD is not; 18.150 is)."""
    if not amount.is_finite():
        return False
    step = Decimal(1).scaleb(-minor_units(currency))
    try:
        return amount.quantize(step) == amount
    except ArithmeticError:
        return False
