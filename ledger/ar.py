"""AR views for finance: open items per customer, aging buckets, DSO, unapplied cash and open deductions.

Aggregations run in the database (GROUP BY on indexed columns); money comes back as decimal strings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.core.money import decimal_str, quantize
from o2c.ledger.models import Deduction, Invoice, Payment
from o2c.ledger.views import aging_summary, open_items

__all__ = ["customer_open_items", "open_items_summary", "aging_summary", "dso", "unapplied_cash"]


def _m(value) -> str:
    return decimal_str(quantize(Decimal(value or 0)))


def customer_open_items(session: Session, customer_id: str) -> dict:
    """One customer's open invoices (oldest first), their total per currency and open deductions."""
    items = open_items(session, customer_id)
    totals: dict[str, Decimal] = {}
    for item in items:
        totals[item["currency"]] = totals.get(item["currency"], Decimal("0")) + Decimal(item["open_amount"])
    deductions = session.execute(
        select(Deduction.id, Invoice.invoice_number, Deduction.amount, Deduction.currency, Deduction.reason_code)
        .join(Invoice, Invoice.id == Deduction.invoice_id)
        .where(Deduction.customer_id == customer_id, Deduction.status == "open")
        .order_by(Deduction.id)
    ).all()
    return {
        "customer_id": customer_id,
        "items": items,
        "totals": {cur: _m(total) for cur, total in sorted(totals.items())},
        "open_deductions": [
            {
                "id": d.id,
                "invoice_number": d.invoice_number,
                "amount": _m(d.amount),
                "currency": d.currency,
                "reason_code": d.reason_code,
            }
            for d in deductions
        ],
    }


def open_items_summary(session: Session, *, limit: int = 1000) -> list[dict]:
    """Per customer and currency: number of open invoices and the open amount, largest first."""
    rows = session.execute(
        select(Invoice.customer_id, Invoice.currency, func.count(), func.sum(Invoice.open_amount))
        .where(Invoice.open_amount > 0)
        .group_by(Invoice.customer_id, Invoice.currency)
        .order_by(func.sum(Invoice.open_amount).desc(), Invoice.customer_id)
        .limit(limit)
    ).all()
    return [
        {"customer_id": c, "currency": cur, "open_invoices": n, "open_amount": _m(total)} for c, cur, n, total in rows
    ]


def dso(session: Session, *, as_of: date, days: int = 90, customer_id: str | None = None) -> dict[str, dict]:
    """Days sales outstanding per currency: open AR / invoiced in the last `days` days x `days`."""
    since = as_of - timedelta(days=days)
    open_stmt = select(Invoice.currency, func.sum(Invoice.open_amount)).where(Invoice.open_amount > 0)
    sales_stmt = select(Invoice.currency, func.sum(Invoice.amount)).where(
        Invoice.invoice_date > since, Invoice.invoice_date <= as_of
    )
    if customer_id is not None:
        open_stmt = open_stmt.where(Invoice.customer_id == customer_id)
        sales_stmt = sales_stmt.where(Invoice.customer_id == customer_id)
    open_ar = dict(session.execute(open_stmt.group_by(Invoice.currency)).tuples().all())
    sales = dict(session.execute(sales_stmt.group_by(Invoice.currency)).tuples().all())
    out = {}
    for cur in sorted(set(open_ar) | set(sales)):
        ar, sold = Decimal(open_ar.get(cur) or 0), Decimal(sales.get(cur) or 0)
        value = (ar / sold * days).quantize(Decimal("0.1"), ROUND_HALF_UP) if sold else None
        out[cur] = {
            "open_ar": _m(ar),
            "sales": _m(sold),
            "period_days": days,
            "dso": decimal_str(value) if value is not None else None,
        }
    return out


def unapplied_cash(session: Session, *, customer_id: str | None = None) -> dict:
    """Payments with cash still on account (unapplied), and the totals per currency."""
    stmt = select(Payment).where(Payment.unapplied_amount > 0)
    if customer_id is not None:
        stmt = stmt.where(Payment.customer_id == customer_id)
    payments = session.scalars(stmt.order_by(Payment.payment_date, Payment.id)).all()
    totals: dict[str, Decimal] = {}
    for p in payments:
        totals[p.currency] = totals.get(p.currency, Decimal("0")) + p.unapplied_amount
    return {
        "payments": [
            {
                "payment_id": p.id,
                "customer_id": p.customer_id,
                "payer_name": p.payer_name,
                "payment_date": p.payment_date.isoformat() if p.payment_date else None,
                "payment_reference": p.payment_reference,
                "currency": p.currency,
                "amount": _m(p.amount),
                "unapplied_amount": _m(p.unapplied_amount),
            }
            for p in payments
        ],
        "totals": {cur: _m(total) for cur, total in sorted(totals.items())},
    }
