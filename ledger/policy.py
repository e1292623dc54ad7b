"""The ledger's small frozen policy object, built once from settings at a composition root."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class LedgerPolicy:
    """Price tolerance (absolute per unit, and percent of the expected price), tax and matching bounds."""

    price_tolerance_abs: Decimal = Decimal("0.01")
    price_tolerance_pct: Decimal = Decimal("0")  # percent: Decimal("1") means 1 %
    price_tolerance_line_cap: Decimal | None = Decimal("5.00")  # per line: |difference| x quantity; None = no cap
    overpayment_tolerance: Decimal = Decimal("1.00")  # more than this paid beyond what is open: review
    payment_duplicate_window_days: int = 7  # a repeated payment (same payer, amount, reference) within this
    advice_lead_days: int = 1  # an advice dated later than the business date + this announces a payment
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
            price_tolerance_abs=Decimal(str(getattr(settings, "price_tolerance_abs", defaults.price_tolerance_abs))),
            price_tolerance_pct=Decimal(str(getattr(settings, "price_tolerance_pct", defaults.price_tolerance_pct))),
            price_tolerance_line_cap=_optional_decimal(
                getattr(settings, "price_tolerance_line_cap", defaults.price_tolerance_line_cap)
            ),
            overpayment_tolerance=Decimal(
                str(getattr(settings, "overpayment_tolerance", defaults.overpayment_tolerance))
            ),
            payment_duplicate_window_days=int(
                getattr(settings, "payment_duplicate_window_days", defaults.payment_duplicate_window_days)
            ),
            advice_lead_days=int(getattr(settings, "advice_lead_days", defaults.advice_lead_days)),
            tax_rate=Decimal(str(getattr(settings, "tax_rate", defaults.tax_rate))),
            rounding=getattr(settings, "rounding", defaults.rounding),
            max_invoices_per_payment=int(
                getattr(settings, "max_invoices_per_payment", defaults.max_invoices_per_payment)
            ),
            max_combination_candidates=int(
                getattr(settings, "max_combination_candidates", defaults.max_combination_candidates)
            ),
        )


def _optional_decimal(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))
