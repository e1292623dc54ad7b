"""Cash: record payments, apply them to invoices, reverse applications; rules re-checked at posting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import is_postgres
from core.events import record_event
from core.money import decimal_str, quantize
from ledger.errors import (
    AlreadyReversed,
    CurrencyMismatch,
    CustomerMismatch,
    DiscountNotAllowed,
    InsufficientUnappliedBalance,
    InvoiceNotFound,
    OverApplication,
)
from ledger.journal import AR, CASH, DISCOUNTS, UNAPPLIED, credit, debit, post_entry, reverse_entry
from ledger.models import CashApplication, Invoice, JournalEntry, Payment, RemittanceLine
from ledger.terms import discount_allowed, parse_terms

ZERO = Decimal("0")


@dataclass(frozen=True)
class PlannedApplication:
    """Apply `amount` of the payment (plus `discount` taken) to an invoice; `rule` says how it was matched."""

    invoice_id: int
    amount: Decimal
    discount: Decimal = ZERO
    rule: str = "manual"


@dataclass(frozen=True)
class RemittanceLineDraft:
    """One remittance item as read, kept with the payment for the audit trail."""

    invoice_reference: str | None
    amount_paid: Decimal | None
    discount: Decimal | None = None
    invoice_amount: Decimal | None = None


@dataclass
class PaymentDraft:
    """A payment as matching resolved it, with the applications it plans."""

    customer_id: str | None
    payer_name: str | None
    payment_date: date | None
    payment_reference: str | None
    payment_method: str | None
    currency: str
    amount: Decimal
    applications: list[PlannedApplication] = field(default_factory=list)
    remittance_lines: list[RemittanceLineDraft] = field(default_factory=list)


@dataclass(frozen=True)
class PostedPayment:
    """The posted payment and its applications: [{"invoice_number", "amount", "discount"}], money as strings."""

    payment_id: int
    applications: list[dict]
    unapplied_amount: Decimal = ZERO


def _lock(session: Session, model, ident: int):
    stmt = select(model).where(model.id == ident)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    # populate_existing: re-read the row under the lock, never trust a stale identity-map copy
    return session.scalar(stmt.execution_options(populate_existing=True))


def _money(value: Decimal) -> str:
    return decimal_str(quantize(Decimal(value)))


def _result(session: Session, payment: Payment) -> PostedPayment:
    rows = session.execute(
        select(Invoice.invoice_number, CashApplication.amount, CashApplication.discount)
        .join(Invoice, Invoice.id == CashApplication.invoice_id)
        .where(
            CashApplication.payment_id == payment.id,
            CashApplication.reversed_by_id.is_(None),
            CashApplication.rule != "reversal",
        )
        .order_by(CashApplication.id)
    ).all()
    return PostedPayment(
        payment.id,
        [{"invoice_number": n, "amount": _money(a), "discount": _money(d)} for n, a, d in rows],
        payment.unapplied_amount,
    )


def post_payment(
    session: Session, draft: PaymentDraft, *, source_extraction_id: int | None, today: date
) -> PostedPayment:
    """Record the payment (CASH/UNAPPLIED) and apply it as planned; one posting per source_extraction_id."""
    if source_extraction_id is not None:
        existing = session.scalar(select(Payment).where(Payment.source_extraction_id == source_extraction_id))
        if existing is not None:
            return _result(session, existing)
    if draft.amount <= 0:
        raise InsufficientUnappliedBalance("a payment amount must be positive", amount=decimal_str(draft.amount))
    planned = sum((a.amount for a in draft.applications), ZERO)
    if planned > draft.amount:
        raise InsufficientUnappliedBalance(
            f"applications {planned} exceed the payment {draft.amount}",
            planned=decimal_str(planned),
            amount=decimal_str(draft.amount),
        )
    payment = Payment(
        customer_id=draft.customer_id,
        payer_name=draft.payer_name,
        payment_date=draft.payment_date,
        payment_reference=draft.payment_reference,
        payment_method=draft.payment_method,
        currency=draft.currency,
        amount=draft.amount,
        unapplied_amount=draft.amount,
        source_extraction_id=source_extraction_id,
        items=[
            RemittanceLine(
                line_no=i + 1,
                invoice_reference=r.invoice_reference,
                amount_paid=r.amount_paid,
                discount=r.discount,
                invoice_amount=r.invoice_amount,
            )
            for i, r in enumerate(draft.remittance_lines)
        ],
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(Payment).where(Payment.source_extraction_id == source_extraction_id))
        if existing is None:
            raise
        return _result(session, existing)
    post_entry(
        session,
        "payment",
        f"payment:{payment.id}",
        draft.payment_date or today,
        [
            debit(CASH, draft.amount, draft.currency, draft.customer_id),
            credit(UNAPPLIED, draft.amount, draft.currency, draft.customer_id),
        ],
        memo=f"payment {draft.payment_reference or payment.id} from {draft.payer_name or draft.customer_id}",
    )
    for index, plan in enumerate(draft.applications):
        apply_cash(
            session,
            payment_id=payment.id,
            invoice_id=plan.invoice_id,
            amount=plan.amount,
            discount=plan.discount,
            rule=plan.rule,
            idempotency_key=f"payment:{payment.id}:{index}",
            today=today,
        )
    record_event(
        session,
        "payment.posted",
        "payment",
        payment.id,
        amount=decimal_str(payment.amount),
        applications=len(draft.applications),
    )
    return _result(session, payment)


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
    application = CashApplication(
        payment_id=payment.id,
        invoice_id=invoice.id,
        amount=amount,
        discount=discount,
        rule=rule,
        idempotency_key=idempotency_key,
    )
    invoice.open_amount = invoice.open_amount - amount - discount
    payment.unapplied_amount = payment.unapplied_amount - amount
    session.add(application)
    session.flush()  # the Invoice version check fails here if another transaction changed the invoice
    cur, cust = invoice.currency, invoice.customer_id
    post_entry(
        session,
        "cash_application",
        f"cash_application:{idempotency_key}",
        payment.payment_date or today,
        [
            debit(UNAPPLIED, amount, cur, cust),
            debit(DISCOUNTS, discount, cur, cust),
            credit(AR, amount + discount, cur, cust),
        ],
        memo=f"apply payment {payment.id} to {invoice.invoice_number} ({rule})",
    )
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
    reverse_entry(session, entry, entry_date=today, memo=f"reverse application {original.id}")
    record_event(session, "cash_application.reversed", "payment", payment.id, application_id=original.id)
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
