"""One cash application at a time: the rules (each with its named error), apply under row locks, reverse.

The batch path (ledger/cash.py post_payments) checks the same rules with `check_application`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.core.db import is_postgres
from o2c.core.errors import NotFound
from o2c.core.events import record_event
from o2c.core.money import decimal_str
from o2c.ledger.deductions import collect_deductions, reverse_deductions
from o2c.ledger.errors import (
    AlreadyReversed,
    CurrencyMismatch,
    CustomerMismatch,
    DiscountNotAllowed,
    InsufficientUnappliedBalance,
    InvoiceNotFound,
    OverApplication,
)
from o2c.ledger.journal import AR, DISCOUNTS, UNAPPLIED, credit, debit, post_entry, reverse_entry
from o2c.ledger.models import CashApplication, Invoice, JournalEntry, Payment
from o2c.ledger.terms import discount_allowed, parse_terms

ZERO = Decimal("0")


def _lock(session: Session, model, ident: int):
    stmt = select(model).where(model.id == ident)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    # populate_existing: re-read the row under the lock, never trust a stale identity-map copy
    return session.scalar(stmt.execution_options(populate_existing=True))


def check_application(payment, invoice, amount: Decimal, discount: Decimal) -> None:
    """Every cash-application rule, each with its own named error; read under the invoice's row lock."""
    detail = {
        "invoice_number": invoice.invoice_number,
        "amount": decimal_str(amount),
        "discount": decimal_str(discount),
        "open_amount": decimal_str(invoice.open_amount),
    }
    if amount < 0 or discount < 0 or amount + discount <= 0:
        raise OverApplication("an application must be positive", **detail)
    if invoice.currency != payment.currency:
        raise CurrencyMismatch(f"payment in {payment.currency}, invoice in {invoice.currency}", **detail)
    if payment.customer_id is not None and invoice.customer_id != payment.customer_id:
        raise CustomerMismatch(f"invoice {invoice.invoice_number} belongs to {invoice.customer_id}", **detail)
    if amount + discount > invoice.open_amount:
        raise OverApplication(f"invoice {invoice.invoice_number} has only {invoice.open_amount} open", **detail)
    if amount > payment.unapplied_amount:
        raise InsufficientUnappliedBalance(
            f"payment {payment.id} has only {payment.unapplied_amount} unapplied", **detail
        )
    if discount and not discount_allowed(
        parse_terms(invoice.payment_terms),
        invoice_date=invoice.invoice_date,
        invoice_amount=invoice.amount,
        payment_date=payment.payment_date,
        discount=discount,
    ):
        raise DiscountNotAllowed(f"terms {invoice.payment_terms!r} allow no such discount", **detail)


def _book(session, payment, invoice, amount, discount, rule, key, today, *, fresh) -> CashApplication:
    application = CashApplication(
        payment_id=payment.id,
        invoice_id=invoice.id,
        amount=amount,
        discount=discount,
        rule=rule,
        idempotency_key=key,
    )
    invoice.open_amount = invoice.open_amount - amount - discount
    payment.unapplied_amount = payment.unapplied_amount - amount
    session.add(application)
    cur, cust = invoice.currency, invoice.customer_id
    post_entry(
        session,
        "cash_application",
        f"cash_application:{key}",
        payment.payment_date or today,
        [
            debit(UNAPPLIED, amount, cur, cust),
            debit(DISCOUNTS, discount, cur, cust),
            credit(AR, amount + discount, cur, cust),
        ],
        memo=f"apply payment {payment.id} to {invoice.invoice_number} ({rule})",
        fresh=fresh,
    )
    return application


def apply_cash(
    session: Session,
    *,
    payment_id: int,
    invoice_id: int,
    amount: Decimal,
    discount: Decimal = ZERO,
    rule: str,
    idempotency_key: str,
    today: date,
) -> CashApplication:
    """Apply part of a payment (plus a discount earned) to one invoice, under row locks; idempotent by key."""
    existing = session.scalar(select(CashApplication).where(CashApplication.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    payment = _lock(session, Payment, payment_id)
    invoice = _lock(session, Invoice, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(f"invoice {invoice_id} not found")
    check_application(payment, invoice, amount, discount)
    application = _book(session, payment, invoice, amount, discount, rule, idempotency_key, today, fresh=False)
    session.flush()  # the Invoice version check fails here if another transaction changed the invoice
    collect_deductions(session, [invoice.id], payment_id=payment.id)
    return application


def reverse_application(session: Session, application_id: int, *, today: date) -> CashApplication:
    """Undo an application: the invoice reopens, the cash returns to unapplied, the entry is reversed."""
    original = _lock(session, CashApplication, application_id)
    if original is None or original.rule == "reversal":
        raise AlreadyReversed(f"cash application {application_id} cannot be reversed")
    if original.reversed_by_id is not None:
        raise AlreadyReversed(f"cash application {application_id} was already reversed")
    payment = _lock(session, Payment, original.payment_id)
    invoice = _lock(session, Invoice, original.invoice_id)
    reversal = CashApplication(
        payment_id=payment.id,
        invoice_id=invoice.id,
        amount=original.amount,
        discount=original.discount,
        rule="reversal",
        idempotency_key=f"reversal:{original.idempotency_key}",
    )
    session.add(reversal)
    session.flush()
    original.reversed_by_id = reversal.id
    invoice.open_amount = invoice.open_amount + original.amount + original.discount
    payment.unapplied_amount = payment.unapplied_amount + original.amount
    session.flush()
    entry = session.scalar(
        select(JournalEntry).where(JournalEntry.idempotency_key == f"cash_application:{original.idempotency_key}")
    )
    if entry is None:
        raise NotFound(f"journal entry of cash application {original.id} does not exist")
    reverse_entry(session, entry, entry_date=today, memo=f"reverse application {original.id}")
    reversed_deductions = reverse_deductions(session, payment_id=payment.id, invoice_id=invoice.id)
    record_event(
        session,
        "cash_application.reversed",
        "payment",
        payment.id,
        application_id=original.id,
        deductions=reversed_deductions,
    )
    return reversal


def applied_total(session: Session, invoice_id: int) -> Decimal:
    """Cash plus discounts applied to an invoice and not reversed."""
    total = session.scalar(
        select(func.sum(CashApplication.amount + CashApplication.discount)).where(
            CashApplication.invoice_id == invoice_id,
            CashApplication.reversed_by_id.is_(None),
            CashApplication.rule != "reversal",
        )
    )
    return Decimal(total or 0)
