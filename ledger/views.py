"""Read models for ERP pulls and exports: dicts (money as decimal strings, ISO dates), open items, aging."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.money import decimal_str, quantize
from o2c.ledger.models import CashApplication, Invoice, Order, Payment

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


@overload
def _money(value: Decimal) -> str: ...
@overload
def _money(value: None) -> None: ...
@overload
def _money(value: Decimal | None) -> str | None: ...
def _money(value: Decimal | None) -> str | None:
    return None if value is None else decimal_str(quantize(Decimal(value)))


def _number(value: Decimal | None) -> str | None:
    """Quantities and unit prices: trailing zeros dropped, never fewer than two decimals for prices."""
    if value is None:
        return None
    value = Decimal(value)
    return decimal_str(quantize(value)) if value == quantize(value) else decimal_str(value.normalize())


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def order_to_dict(order: Order) -> dict:
    """A posted order with its lines and price variances."""
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "po_number": order.po_number,
        "order_date": _iso(order.order_date),
        "requested_delivery_date": _iso(order.requested_delivery_date),
        "currency": order.currency,
        "ship_to": order.ship_to,
        "total": _money(order.total),
        "status": order.status,
        "source_extraction_id": order.source_extraction_id,
        "created_at": _iso(order.created_at),
        "price_variances": list(order.price_variances or []),
        "lines": [
            {
                "line_no": ln.line_no,
                "sku": ln.sku,
                "description": ln.description,
                "quantity": _number(ln.quantity),
                "uom": ln.uom,
                "unit_price": _number(ln.unit_price),
                "amount": _money(ln.amount),
            }
            for ln in order.lines
        ],
    }


def invoice_to_dict(invoice: Invoice) -> dict:
    """An invoice (issued or imported) with its open amount."""
    return {
        "id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "customer_id": invoice.customer_id,
        "invoice_date": _iso(invoice.invoice_date),
        "due_date": _iso(invoice.due_date),
        "amount": _money(invoice.amount),
        "tax_amount": _money(invoice.tax_amount),
        "open_amount": _money(invoice.open_amount),
        "currency": invoice.currency,
        "po_number": invoice.po_number,
        "order_id": invoice.order_id,
        "payment_terms": invoice.payment_terms,
        "origin": invoice.origin,
        "created_at": _iso(invoice.created_at),
    }


def application_to_dict(application: CashApplication, invoice_number: str | None = None) -> dict:
    """One cash application (a reversal has rule 'reversal')."""
    return {
        "id": application.id,
        "payment_id": application.payment_id,
        "invoice_id": application.invoice_id,
        "invoice_number": invoice_number,
        "amount": _money(application.amount),
        "discount": _money(application.discount),
        "rule": application.rule,
        "reversed_by_id": application.reversed_by_id,
        "created_at": _iso(application.created_at),
    }


def payment_to_dict(payment: Payment, session: Session | None = None) -> dict:
    """A payment, its remittance lines and (given a session) its cash applications."""
    out = {
        "id": payment.id,
        "customer_id": payment.customer_id,
        "payer_name": payment.payer_name,
        "payment_date": _iso(payment.payment_date),
        "payment_reference": payment.payment_reference,
        "payment_method": payment.payment_method,
        "currency": payment.currency,
        "amount": _money(payment.amount),
        "unapplied_amount": _money(payment.unapplied_amount),
        "source_extraction_id": payment.source_extraction_id,
        "created_at": _iso(payment.created_at),
        "remittance_lines": [
            {
                "line_no": r.line_no,
                "invoice_reference": r.invoice_reference,
                "amount_paid": _money(r.amount_paid),
                "discount": _money(r.discount),
                "invoice_amount": _money(r.invoice_amount),
            }
            for r in payment.items
        ],
    }
    if session is not None:
        rows = session.execute(
            select(CashApplication, Invoice.invoice_number)
            .join(Invoice, Invoice.id == CashApplication.invoice_id)
            .where(CashApplication.payment_id == payment.id)
            .order_by(CashApplication.id)
        ).all()
        out["applications"] = [application_to_dict(app, number) for app, number in rows]
    return out


def order_reference(session: Session, order_id: int) -> dict:
    """A posted order's keys for pointing at it: id, invoice number, the extraction it was posted from."""
    order = session.get(Order, order_id)
    number = session.scalar(select(Invoice.invoice_number).where(Invoice.order_id == order_id))
    return {
        "order_id": order_id,
        "invoice_number": number,
        "source_extraction_id": order.source_extraction_id if order else None,
    }


def open_items(session: Session, customer_id: str) -> list[dict]:
    """The customer's invoices with an open amount, oldest first."""
    rows = session.scalars(
        select(Invoice)
        .where(Invoice.customer_id == customer_id, Invoice.open_amount > 0)
        .order_by(Invoice.invoice_date, Invoice.id)
    ).all()
    return [invoice_to_dict(invoice) for invoice in rows]


def aging_bucket(days_past_due: int) -> str:
    """The aging bucket for a number of days past due (<= 0 is current)."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


def aging_summary(session: Session, *, as_of: date, customer_id: str | None = None) -> dict[str, dict[str, str]]:
    """Open AR per currency in aging buckets by days past due (the invoice date when there is no due date)."""
    stmt = select(Invoice.currency, Invoice.due_date, Invoice.invoice_date, Invoice.open_amount).where(
        Invoice.open_amount > 0
    )
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(AGING_BUCKETS, Decimal("0")))
    for currency, due, issued, open_amount in session.execute(stmt):
        totals[currency][aging_bucket((as_of - (due or issued)).days)] += Decimal(open_amount)
    return {
        cur: {bucket: _money(amount) for bucket, amount in buckets.items()}
        | {"total": _money(sum(buckets.values(), Decimal("0")))}
        for cur, buckets in totals.items()
    }
