"""Deductions: what a customer did not pay on an invoice, with a reason code, open for follow-up.

The invoice keeps the deducted amount open (nothing is written off automatically); settling a deduction (write-off,
credit memo, re-bill, dispute) is a person's decision, made with `settle_deduction`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.db import membership
from o2c.core.money import decimal_str
from o2c.ledger.errors import (
    DeductionAlreadySettled,
    DeductionNotFound,
    InvalidDeductionOutcome,
    InvoiceNotFound,
    OverApplication,
)
from o2c.ledger.invoicing import next_number
from o2c.ledger.journal import AR, DEDUCTIONS, REVENUE, credit, debit, post_entry
from o2c.ledger.models import Deduction, Invoice
from o2c.ledger.terms import due_date, parse_terms

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
    if deduction is None:
        raise DeductionNotFound(f"deduction {deduction_id} does not exist")
    deduction.status = RESOLVED
    deduction.note = note
    session.flush()
    return deduction


def reverse_deductions(session: Session, *, payment_id: int, invoice_id: int) -> list[int]:
    """The application a deduction came with was reversed: its open deductions on that invoice go with it
    (status `reversed`; the invoice's open amount was never reduced by them). Returns their ids."""
    rows = list(
        session.scalars(
            select(Deduction).where(
                Deduction.payment_id == payment_id, Deduction.invoice_id == invoice_id, Deduction.status == OPEN
            )
        )
    )
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
    deductions = [  # the parts come in invoice id order, so the rows stay in (invoice, id) order
        deduction
        for clause in membership(session, Deduction.invoice_id, ids)
        for deduction in session.scalars(
            select(Deduction).where(clause, Deduction.status == OPEN).order_by(Deduction.invoice_id, Deduction.id)
        )
    ]
    if not deductions:
        return []
    open_amounts = dict(
        session.execute(
            select(Invoice.id, Invoice.open_amount).where(Invoice.id.in_({d.invoice_id for d in deductions}))
        )
        .tuples()
        .all()
    )
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


# How a person settles a deduction. write_off: the amount is an expense (DEDUCTIONS) and leaves AR;
# credit_memo: the sale is reduced (REVENUE) and the amount leaves AR; rebill: the amount moves off the
# invoice onto a new invoice to the same customer (AR unchanged); dispute: it stays open on the invoice,
# marked disputed, until one of the others settles it.
WRITE_OFF, REBILL, DISPUTE, CREDIT_MEMO = "write_off", "rebill", "dispute", "credit_memo"
OUTCOMES = (WRITE_OFF, REBILL, DISPUTE, CREDIT_MEMO)
OUTCOME_STATUS = {WRITE_OFF: "written_off", REBILL: "rebilled", DISPUTE: "disputed", CREDIT_MEMO: "credit_memo"}
SETTLEABLE = (OPEN, "disputed")
REBILL_SEQUENCE, REBILL_PREFIX = "rebill", "RB-"


@dataclass(frozen=True)
class DeductionSettlement:
    """What settling a deduction did: its new status, the journal entry (if any) and the re-bill invoice."""

    deduction_id: int
    status: str
    outcome: str
    reason_code: str
    amount: Decimal
    currency: str
    invoice_number: str
    journal_entry_id: int | None = None
    rebill_invoice_number: str | None = None

    def as_dict(self) -> dict:
        """Money as strings, for the API and the CLI."""
        return {
            "deduction_id": self.deduction_id,
            "status": self.status,
            "outcome": self.outcome,
            "reason_code": self.reason_code,
            "amount": decimal_str(self.amount),
            "currency": self.currency,
            "invoice_number": self.invoice_number,
            "journal_entry_id": self.journal_entry_id,
            "rebill_invoice_number": self.rebill_invoice_number,
        }


def settle_deduction(
    session: Session, deduction_id: int, *, outcome: str, reason_code: str, note: str | None, today: date
) -> DeductionSettlement:
    """Settle an open (or disputed) deduction as a write-off, a credit memo, a re-bill or a dispute, with a reason
    code; the journal and the invoice's open amount move together so AR stays equal to the open items."""
    if outcome not in OUTCOMES:
        raise InvalidDeductionOutcome(
            f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}", field="outcome"
        )
    if reason_code not in REASON_CODES:
        raise InvalidDeductionOutcome(
            f"unknown reason code {reason_code!r}; expected one of {', '.join(sorted(REASON_CODES))}",
            field="reason_code",
        )
    deduction = session.get(Deduction, deduction_id, with_for_update=True)
    if deduction is None:
        raise DeductionNotFound(f"deduction {deduction_id} does not exist")
    if deduction.status not in SETTLEABLE:
        raise DeductionAlreadySettled(
            f"deduction {deduction_id} is already {deduction.status}", status=deduction.status
        )
    invoice = session.get(Invoice, deduction.invoice_id)
    if invoice is None:
        raise InvoiceNotFound(f"invoice {deduction.invoice_id} of deduction {deduction_id} does not exist")
    if outcome != DISPUTE and deduction.amount > invoice.open_amount:
        raise OverApplication(
            "a deduction can only be settled while its amount is still open on the invoice",
            amount=decimal_str(deduction.amount),
            open_amount=decimal_str(invoice.open_amount),
        )
    entry_id, rebill_number = None, None
    cur, cust, amount, key = deduction.currency, deduction.customer_id, deduction.amount, f"deduction:{deduction.id}"
    if outcome in (WRITE_OFF, CREDIT_MEMO):
        account = DEDUCTIONS if outcome == WRITE_OFF else REVENUE
        invoice.open_amount = invoice.open_amount - amount
        entry_id = post_entry(
            session,
            outcome,
            f"{key}:{outcome}",
            today,
            [debit(account, amount, cur, cust), credit(AR, amount, cur, cust)],
            memo=f"{outcome.replace('_', ' ')} of deduction {deduction.id} on {invoice.invoice_number} ({reason_code})",
        ).id
    elif outcome == REBILL:
        rebill = _rebill_invoice(session, invoice, amount, today)
        rebill_number = rebill.invoice_number
        entry_id = post_entry(
            session,
            REBILL,
            f"{key}:{REBILL}",
            today,
            [debit(AR, amount, cur, cust), credit(AR, amount, cur, cust)],
            memo=f"re-bill deduction {deduction.id}: {invoice.invoice_number} -> "
            f"{rebill.invoice_number} ({reason_code})",
        ).id
    deduction.status = OUTCOME_STATUS[outcome]
    deduction.reason_code = reason_code
    deduction.note = (note or deduction.note or "")[:512] or None
    session.flush()
    return DeductionSettlement(
        deduction.id,
        deduction.status,
        outcome,
        reason_code,
        amount,
        cur,
        invoice.invoice_number,
        entry_id,
        rebill_number,
    )


def _rebill_invoice(session: Session, invoice: Invoice, amount: Decimal, today: date) -> Invoice:
    """Move `amount` off the invoice onto a new one (same customer, terms and PO), numbered RB-000001..."""
    invoice.open_amount = invoice.open_amount - amount
    number = next_number(session, REBILL_SEQUENCE, REBILL_PREFIX)
    rebill = Invoice(
        invoice_number=number,
        customer_id=invoice.customer_id,
        invoice_date=today,
        due_date=due_date(today, parse_terms(invoice.payment_terms)),
        amount=amount,
        open_amount=amount,
        currency=invoice.currency,
        po_number=invoice.po_number,
        po_key=invoice.po_key,
        payment_terms=invoice.payment_terms,
        origin="rebill",
    )
    session.add(rebill)
    session.flush()
    return rebill


def list_deductions(
    session: Session, *, status: str | None = OPEN, customer_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict]:
    """Deductions with their invoice number, oldest first; status None lists all, "open" includes disputed."""
    stmt = select(Deduction, Invoice.invoice_number).join(Invoice, Invoice.id == Deduction.invoice_id)
    if status == OPEN:
        stmt = stmt.where(Deduction.status.in_(SETTLEABLE))
    elif status:
        stmt = stmt.where(Deduction.status == status)
    if customer_id:
        stmt = stmt.where(Deduction.customer_id == customer_id)
    rows = session.execute(stmt.order_by(Deduction.created_at, Deduction.id).offset(offset).limit(limit)).all()
    return [deduction_to_dict(d, number) for d, number in rows]


def deduction_to_dict(deduction: Deduction, invoice_number: str) -> dict:
    """A deduction as reviewers and the ERP see it (money as strings)."""
    return {
        "id": deduction.id,
        "payment_id": deduction.payment_id,
        "invoice_number": invoice_number,
        "customer_id": deduction.customer_id,
        "amount": decimal_str(deduction.amount),
        "currency": deduction.currency,
        "reason_code": deduction.reason_code,
        "note": deduction.note,
        "status": deduction.status,
        "created_at": deduction.created_at.isoformat() if deduction.created_at else None,
    }
