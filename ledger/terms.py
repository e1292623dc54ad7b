"""Payment terms ("Net 30", "2/10 Net 30", "Due on receipt"): parsing, due dates, early-payment discounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from o2c.core.money import quantize

_DISCOUNT = re.compile(r"(?P<pct>\d+(?:[.,]\d+)?)\s*%?\s*(?:/|\s)\s*(?P<days>\d+)(?:\s*days?)?")
_NET = re.compile(r"\b(?:net|n)\s*(?P<days>\d+)(?:\s*days?)?\b")
_RECEIPT = re.compile(r"\b(?:due\s+(?:up)?on\s+receipt|cash\s+on\s+delivery|cod|immediate)\b")


@dataclass(frozen=True)
class PaymentTerms:
    """Parsed terms: due in net_days; discount_pct % off if paid within discount_days of the invoice date."""

    net_days: int
    discount_pct: Decimal = Decimal("0")
    discount_days: int = 0
    text: str = ""


def parse_terms(text: str | None) -> PaymentTerms | None:
    """Parse a terms string; None when empty or not understood (then no discount is ever allowed)."""
    if not text or not text.strip():
        return None
    low = " ".join(text.lower().split())
    if _RECEIPT.search(low):
        return PaymentTerms(net_days=0, text=text)
    net = _NET.search(low)
    if not net:
        return None
    net_days = int(net.group("days"))
    head = low[: net.start()].strip(" ,;")
    if not head:
        return PaymentTerms(net_days=net_days, text=text)
    disc = _DISCOUNT.fullmatch(head)
    if not disc:
        return None
    pct = Decimal(disc.group("pct").replace(",", "."))
    days = int(disc.group("days"))
    if pct <= 0 or pct >= 100 or days > net_days:
        return None
    return PaymentTerms(net_days=net_days, discount_pct=pct, discount_days=days, text=text)


def due_date(invoice_date: date, terms: PaymentTerms | None) -> date | None:
    """The date the invoice falls due; None when the terms are unknown."""
    if terms is None:
        return None
    return invoice_date + timedelta(days=terms.net_days)


def discount_deadline(invoice_date: date, terms: PaymentTerms | None) -> date | None:
    """The last payment date that still earns the early-payment discount; None when there is none."""
    if terms is None or terms.discount_pct <= 0:
        return None
    return invoice_date + timedelta(days=terms.discount_days)


def allowed_discount(
    terms: PaymentTerms | None,
    *,
    invoice_date: date,
    invoice_amount: Decimal,
    payment_date: date | None,
    rounding: str = ROUND_HALF_UP,
) -> Decimal:
    """The largest discount the terms allow for a payment on payment_date (0 when late, unknown or none)."""
    deadline = discount_deadline(invoice_date, terms)
    if terms is None or deadline is None or payment_date is None or payment_date > deadline:
        return Decimal("0.00")
    return quantize(invoice_amount * terms.discount_pct / Decimal(100), rounding)


def discount_allowed(
    terms: PaymentTerms | None,
    *,
    invoice_date: date,
    invoice_amount: Decimal,
    payment_date: date | None,
    discount: Decimal,
) -> bool:
    """True when taking `discount` is within the terms for a payment on payment_date."""
    if discount <= 0:
        return discount == 0
    return discount <= allowed_discount(
        terms, invoice_date=invoice_date, invoice_amount=invoice_amount, payment_date=payment_date
    )
