"""Posted records as the ERP reads them: plain dicts, money as decimal strings, dates in ISO form. Each takes a
row read by the ORM (ledger.models) or by core.embedded's reader, both of which carry the same attributes and
values, so the feeds read the same on either path (erp/feeds.py, erp/embedded_feeds.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, overload

from o2c.core.money import decimal_str, quantize


@overload
def money_str(value: Decimal) -> str: ...
@overload
def money_str(value: None) -> None: ...
@overload
def money_str(value: Decimal | None) -> str | None: ...
def money_str(value: Decimal | None) -> str | None:
    """An amount at cents as a decimal string; None stays None."""
    return None if value is None else decimal_str(quantize(Decimal(value)))


def _number(value: Decimal | None) -> str | None:
    """Quantities and unit prices: trailing zeros dropped, never fewer than two decimals for prices."""
    if value is None:
        return None
    value = Decimal(value)
    return decimal_str(quantize(value)) if value == quantize(value) else decimal_str(value.normalize())


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def order_to_dict(order: Any) -> dict:
    """A posted order with its lines and price variances."""
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "po_number": order.po_number,
        "order_date": _iso(order.order_date),
        "requested_delivery_date": _iso(order.requested_delivery_date),
        "currency": order.currency,
        "ship_to": order.ship_to,
        "total": money_str(order.total),
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
                "amount": money_str(ln.amount),
            }
            for ln in order.lines
        ],
    }


def invoice_to_dict(invoice: Any) -> dict:
    """An invoice (issued or imported) with its open amount."""
    return {
        "id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "customer_id": invoice.customer_id,
        "invoice_date": _iso(invoice.invoice_date),
        "due_date": _iso(invoice.due_date),
        "amount": money_str(invoice.amount),
        "tax_amount": money_str(invoice.tax_amount),
        "open_amount": money_str(invoice.open_amount),
        "currency": invoice.currency,
        "po_number": invoice.po_number,
        "order_id": invoice.order_id,
        "payment_terms": invoice.payment_terms,
        "origin": invoice.origin,
        "created_at": _iso(invoice.created_at),
    }


def application_to_dict(application: Any, invoice_number: str | None = None) -> dict:
    """One cash application (a reversal has rule 'reversal')."""
    return {
        "id": application.id,
        "payment_id": application.payment_id,
        "invoice_id": application.invoice_id,
        "invoice_number": invoice_number,
        "amount": money_str(application.amount),
        "discount": money_str(application.discount),
        "rule": application.rule,
        "reversed_by_id": application.reversed_by_id,
        "created_at": _iso(application.created_at),
    }


def payment_record(payment: Any) -> dict:
    """A payment and its remittance lines."""
    return {
        "id": payment.id,
        "customer_id": payment.customer_id,
        "payer_name": payment.payer_name,
        "payment_date": _iso(payment.payment_date),
        "payment_reference": payment.payment_reference,
        "payment_method": payment.payment_method,
        "currency": payment.currency,
        "amount": money_str(payment.amount),
        "unapplied_amount": money_str(payment.unapplied_amount),
        "source_extraction_id": payment.source_extraction_id,
        "created_at": _iso(payment.created_at),
        "remittance_lines": [
            {
                "line_no": r.line_no,
                "invoice_reference": r.invoice_reference,
                "amount_paid": money_str(r.amount_paid),
                "discount": money_str(r.discount),
                "invoice_amount": money_str(r.invoice_amount),
            }
            for r in payment.items
        ],
    }
