"""Read models for ERP pulls and exports: a payment with its applications, open items, aging (the record dicts
themselves are ledger/records.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.ledger.models import CashApplication, Invoice, Order, Payment
from o2c.ledger.records import (
    application_to_dict,
    invoice_to_dict,
    money_str,
    payment_record,
)

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def payment_to_dict(payment: Payment, session: Session | None = None) -> dict:
    """A payment, its remittance lines and (given a session) its cash applications."""
    out = payment_record(payment)
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
        cur: {bucket: money_str(amount) for bucket, amount in buckets.items()}
        | {"total": money_str(sum(buckets.values(), Decimal("0")))}
        for cur, buckets in totals.items()
    }
