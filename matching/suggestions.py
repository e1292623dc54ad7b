"""Candidates a reviewer can pick with one click: open invoices for cash, scored against what the remittance or
the bank credit says. Suggestions only; the reviewer's pick goes through the same ledger rules as automation."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.money import decimal_str
from o2c.ledger.models import Customer, Invoice, Product
from o2c.ledger.references import normalize_reference

MAX_CANDIDATES = 25


def open_invoice_candidates(
    session: Session,
    *,
    customer_id: str | None,
    currency: str | None,
    references: list[str | None],
    amounts: Sequence[Decimal | None],
    limit: int = MAX_CANDIDATES,
) -> list[dict]:
    """The customer's open invoices in the payment's currency, best first: a reference read on the advice scores
    100, an open amount equal to an amount paid 90, the rest by due date (oldest first) from 50 down."""
    if not customer_id:
        return []
    stmt = select(Invoice).where(Invoice.customer_id == customer_id, Invoice.open_amount > 0)
    if currency:
        stmt = stmt.where(Invoice.currency == currency)
    invoices = list(session.scalars(stmt.order_by(Invoice.due_date, Invoice.id).limit(limit)))
    keys = {normalize_reference(r) for r in references if r}
    paid = {a for a in amounts if a is not None}
    found = []
    for rank, invoice in enumerate(invoices):
        if invoice.reference_key in keys:
            score, why = 100, "reference on the advice"
        elif invoice.open_amount in paid:
            score, why = 90, "open amount equals an amount paid"
        else:
            score, why = max(10, 50 - rank * 2), "open, oldest due first"
        found.append(
            {
                "invoice_number": invoice.invoice_number,
                "open_amount": decimal_str(invoice.open_amount),
                "amount": decimal_str(invoice.amount),
                "currency": invoice.currency,
                "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
                "invoice_date": invoice.invoice_date.isoformat(),
                "score": score,
                "why": why,
            }
        )
    return sorted(found, key=lambda c: -c["score"])


def customer_choices(session: Session, limit: int = 500) -> list[dict]:
    """Every customer (id and name) for a reviewer's pick list, by name."""
    rows = session.execute(select(Customer.customer_id, Customer.name).order_by(Customer.name).limit(limit)).all()
    return [{"customer_id": cid, "name": name} for cid, name in rows]


def product_choices(session: Session, limit: int = 2000) -> list[dict]:
    """Every product (SKU, description, list price) for a reviewer's pick list, by SKU."""
    rows = session.execute(
        select(Product.sku, Product.description, Product.unit_price, Product.currency)
        .order_by(Product.sku)
        .limit(limit)
    ).all()
    return [{"sku": sku, "description": d, "unit_price": decimal_str(p), "currency": c} for sku, d, p, c in rows]
