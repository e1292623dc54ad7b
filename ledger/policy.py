"""The ledger's small frozen policy object, built once from settings at a composition root."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class LedgerPolicy:
    """Price tolerance (absolute per unit, and percent of the expected price), tax and matching bounds."""

    price_tolerance_abs: Decimal = Decimal("0.01")
    price_tolerance_pct: Decimal = Decimal("0")  # percent: Decimal("1") means 1 %
    tax_rate: Decimal = Decimal("0")  # fraction: Decimal("0.19") means 19 %
    rounding: str = ROUND_HALF_UP
    max_invoices_per_payment: int = 4
    max_combination_candidates: int = 40
    invoice_sequence: str = "invoice"
    invoice_prefix: str = "INV-"

    @classmethod
    def from_settings(cls, settings) -> LedgerPolicy:
        """The policy from a core.settings.Settings (missing knobs keep their defaults)."""
        defaults = cls()
        return cls(
            price_tolerance_abs=Decimal(
                str(getattr(settings, "price_tolerance_abs", defaults.price_tolerance_abs))
            ),
            price_tolerance_pct=Decimal(
                str(getattr(settings, "price_tolerance_pct", defaults.price_tolerance_pct))
            ),
            tax_rate=Decimal(str(getattr(settings, "tax_rate", defaults.tax_rate))),
            rounding=getattr(settings, "rounding", defaults.rounding),
            max_invoices_per_payment=int(
                getattr(settings, "max_invoices_per_payment", defaults.max_invoices_per_payment)
            ),
            max_combination_candidates=int(
                getattr(settings, "max_combination_candidates", defaults.max_combination_candidates)
            ),
        )
