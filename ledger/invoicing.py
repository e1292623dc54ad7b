"""Invoices: gap-free numbering and issuing an invoice (with its AR/REVENUE/TAX entry) for a posted order."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from o2c.core.db import is_postgres
from o2c.core.money import quantize
from o2c.ledger import lookups
from o2c.ledger.errors import ConcurrentUpdate, InvoiceNumberTaken, UnknownCustomer
from o2c.ledger.journal import AR, REVENUE, TAX, credit, debit, post_entry
from o2c.ledger.models import Invoice, NumberSequence, Order
from o2c.ledger.policy import LedgerPolicy
from o2c.ledger.terms import due_date, parse_terms

_SEQUENCE = select(NumberSequence).where(NumberSequence.name == bindparam("name"))  # built once: every invoice
_SEQUENCE_LOCKED = _SEQUENCE.with_for_update()
_NUMBER_TAKEN = select(Invoice.id).where(Invoice.invoice_number == bindparam("number"))


def next_number(session: Session, name: str, prefix: str) -> str:
    """Take a sequence's next number in the caller's transaction (gap-free: a rollback gives it back)."""
    # Postgres: the row lock serialises concurrent posters. SQLite: the database write lock does the same.
    stmt = _SEQUENCE_LOCKED if is_postgres(session) else _SEQUENCE
    seq = session.scalar(stmt, {"name": name})
    if seq is None:
        try:
            with session.begin_nested():
                session.add(NumberSequence(name=name, prefix=prefix, next_value=1))
                session.flush()
        except IntegrityError:
            pass  # created concurrently; lock the winner's row below
        seq = session.scalar(stmt, {"name": name})
        if seq is None:
            raise ConcurrentUpdate(f"number sequence {name} could not be created")
    value = seq.next_value
    seq.next_value = value + 1
    session.flush()
    return f"{seq.prefix}{value:06d}"


def issue_invoice(
    session: Session, order: Order, *, policy: LedgerPolicy, today: date, new_order: bool = False
) -> Invoice:
    """Issue a posted order's invoice (once per order): number, due date, tax and journal entry.

    new_order=True: the order was inserted in this transaction, so it has no invoice yet (no look-up); the unique
    order and invoice numbers still guard it."""
    if not new_order:
        existing = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
        if existing is not None:
            return existing
    customer = lookups.customer(session, order.customer_id)
    if customer is None:
        raise UnknownCustomer(f"customer {order.customer_id} not in master data")
    net = quantize(order.total, policy.rounding)
    tax = quantize(net * policy.tax_rate, policy.rounding)
    number = next_number(session, policy.invoice_sequence, policy.invoice_prefix)
    if session.scalar(_NUMBER_TAKEN, {"number": number}) is not None:
        raise InvoiceNumberTaken(f"invoice number {number} already exists", invoice_number=number)
    invoice = Invoice(
        invoice_number=number,
        customer_id=order.customer_id,
        invoice_date=today,
        due_date=due_date(today, parse_terms(customer.payment_terms)),
        amount=net + tax,
        tax_amount=tax,
        open_amount=net + tax,
        currency=order.currency,
        po_number=order.po_number,
        order_id=order.id,
        payment_terms=customer.payment_terms,
        origin="issued",
    )
    session.add(invoice)
    session.flush()
    cur, cust = order.currency, order.customer_id
    post_entry(
        session,
        "invoice",
        f"invoice:{invoice.id}",
        today,
        [debit(AR, net + tax, cur, cust), credit(REVENUE, net, cur, cust), credit(TAX, tax, cur, cust)],
        memo=f"invoice {number} for PO {order.po_number}",
        fresh=True,  # the key derives from the invoice inserted just above
    )
    return invoice
