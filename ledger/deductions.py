"""Deductions: what a customer did not pay on an invoice, with a reason code, open for follow-up.

The invoice keeps the deducted amount open (nothing is written off); resolving a deduction (credit note,
rebill, collect) is a person's decision, recorded by `resolve_deduction`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.money import decimal_str
from ledger.errors import OverApplication
from ledger.models import Deduction, Invoice

SHORT_PAYMENT, UNEARNED_DISCOUNT = "short_payment", "unearned_discount"
REASON_CODES = frozenset({SHORT_PAYMENT, UNEARNED_DISCOUNT, "pricing", "damaged", "shortage", "promotion", "other"})
OPEN, RESOLVED, REVERSED, COLLECTED = "open", "resolved", "reversed", "collected"


@dataclass(frozen=True)
class PlannedDeduction:
    """Record that `amount` of an invoice was not paid by this payment, and why."""

    invoice_id: int
    amount: Decimal
    reason_code: str
    note: str | None = None


def record_deduction(
    session: Session, *, payment_id: int, plan: PlannedDeduction, idempotency_key: str, fresh: bool = False
) -> Deduction:
    """Open a deduction for follow-up; the amount must still be open on the invoice. Idempotent by key
    (fresh=True: the key derives from a row created in this transaction, no look-up needed)."""
    if not fresh:
        existing = session.scalar(select(Deduction).where(Deduction.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    invoice = session.get(Invoice, plan.invoice_id)
    if plan.reason_code not in REASON_CODES:
        raise ValueError(f"unknown deduction reason code {plan.reason_code!r}")
    if plan.amount <= 0 or invoice is None or plan.amount > invoice.open_amount:
        raise OverApplication(
            "a deduction must be positive and still open on its invoice",
            amount=decimal_str(plan.amount),
            open_amount=decimal_str(invoice.open_amount) if invoice else None,
        )
    deduction = Deduction(
        payment_id=payment_id,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=plan.amount,
        currency=invoice.currency,
        reason_code=plan.reason_code,
        note=plan.note,
        status=OPEN,
        idempotency_key=idempotency_key,
    )
    session.add(deduction)
    if not fresh:
        session.flush()
    return deduction


def open_deductions(session: Session, customer_id: str | None = None) -> list[Deduction]:
    """Deductions still waiting for follow-up, oldest first."""
    stmt = select(Deduction).where(Deduction.status == OPEN)
    if customer_id is not None:
        stmt = stmt.where(Deduction.customer_id == customer_id)
    return list(session.scalars(stmt.order_by(Deduction.created_at, Deduction.id)))


def resolve_deduction(session: Session, deduction_id: int, *, note: str) -> Deduction:
    """Mark a deduction followed up (the invoice itself is settled by cash or a credit note, not here)."""
    deduction = session.get(Deduction, deduction_id)
    deduction.status = RESOLVED
    deduction.note = note
    session.flush()
    return deduction


def reverse_deductions(session: Session, *, payment_id: int, invoice_id: int) -> list[int]:
    """The application a deduction came with was reversed: its open deductions on that invoice go with it
    (status `reversed`; the invoice's open amount was never reduced by them). Returns their ids."""
    rows = list(session.scalars(select(Deduction).where(
        Deduction.payment_id == payment_id, Deduction.invoice_id == invoice_id, Deduction.status == OPEN)))
    for deduction in rows:
        deduction.status = REVERSED
    session.flush()
    return [d.id for d in rows]


def collect_deductions(session: Session, invoice_ids, *, payment_id: int | None = None) -> list[int]:
    """Cash that later covers a deducted amount collects the deduction: the open deductions on an invoice never
    exceed what is open on it. The oldest go first; one covered only in part keeps the rest open. Flushes only."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return []
    deductions = list(session.scalars(select(Deduction).where(Deduction.invoice_id.in_(ids), Deduction.status == OPEN)
                                      .order_by(Deduction.invoice_id, Deduction.id)))
    if not deductions:
        return []
    open_amounts = dict(session.execute(select(Invoice.id, Invoice.open_amount).where(
        Invoice.id.in_({d.invoice_id for d in deductions}))).all())
    collected = []
    for invoice_id in sorted(open_amounts):
        rows = [d for d in deductions if d.invoice_id == invoice_id]
        excess = sum((d.amount for d in rows), Decimal("0")) - Decimal(open_amounts[invoice_id])
        for deduction in rows:
            if excess <= 0:
                break
            by = f" by payment {payment_id}" if payment_id else ""
            if deduction.amount <= excess:
                excess -= deduction.amount
                deduction.status = COLLECTED
                deduction.note = f"{deduction.note or ''} | collected{by}"[-512:]
            else:
                deduction.note = f"{deduction.note or ''} | {decimal_str(excess)} collected{by}"[-512:]
                deduction.amount -= excess
                excess = Decimal("0")
            collected.append(deduction.id)
    session.flush()
    return collected
