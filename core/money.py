"""Money: Decimal plus an explicit currency; arithmetic refuses to mix currencies. Parsing lives here too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, order=True)
class Money:
    """An amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if not re.fullmatch(r"[A-Z]{3}", self.currency or ""):
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def quantized(self, rounding: str = ROUND_HALF_UP) -> Money:
        """Rounded to cents."""
        return Money(quantize(self.amount, rounding), self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in a currency."""
        return cls(Decimal("0"), currency)


def quantize(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round an amount to cents."""
    return value.quantize(CENT, rounding=rounding)


def to_decimal(value) -> Decimal | None:
    """Decimal from a Decimal, int or plain decimal string; None stays None. Floats are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("money must never be a float")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {value!r}") from exc


def decimal_str(value: Decimal | None) -> str | None:
    """A plain decimal string for JSON ('1234.50'); None stays None."""
    if value is None:
        return None
    text = format(value, "f")
    return text
