"""A remittance advice as a claim: cash announced, not yet seen (docs/cash-model.md).

An advice posts as cash at once only when its sender is trusted for its customer; otherwise it is kept as an
expected payment until a bank credit confirms it (pipeline/statements.py), and a second arrival of the same
claim is a duplicate pointing at the first."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.db import utcnow
from o2c.core.errors import NotFound
from o2c.core.events import record_event
from o2c.core.money import decimal_str
from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord
from o2c.intake.authentication import authenticated_sender_domain
from o2c.intake.models import Document
from o2c.intake.storage import BlobStore
from o2c.ledger.cash import business_key
from o2c.ledger.models import CLAIM_CLOSED, CLAIM_OPEN, Customer, ExpectedPayment
from o2c.pipeline.outcomes import DUPLICATE, Outcome, conclude


def advice_is_cash(
    session: Session,
    record: ExtractionRecord,
    customer_id: str | None,
    *,
    store: BlobStore,
    trusted_channels: frozenset[str],
) -> bool:
    """A customer that trusts advices, and a sender authenticated for it: an allow-listed connector channel, or
    an email whose From: domain is the customer's (master data) and passed DKIM/SPF/DMARC."""
    customer = session.scalar(select(Customer).where(Customer.customer_id == customer_id)) if customer_id else None
    if customer is None or not customer.trust_advices:
        return False
    document = session.get(Document, record.document_id)
    if document is None:
        return False
    if document.channel in trusted_channels:
        return True
    try:
        domain = authenticated_sender_domain(store.get(document.sha256))
    except Exception:  # noqa: BLE001 - the blob is unreadable: nothing vouches for the sender
        return False
    return domain is not None and any(domain == d or domain.endswith("." + d) for d in customer.email_domains or [])


def announces_payment(payment_date: date | None, *, today: date, lead_days: int) -> bool:
    """An advice dated after the business date (beyond lead_days for time zones and weekends) announces a
    payment that has not happened: it is no cash yet, however trusted its sender. (A misread year, 2062 for
    2026, lands here too: the bank credit settles it, never the advice's guess.)"""
    return payment_date is not None and payment_date > today + timedelta(days=lead_days)


def await_cash(session: Session, record: ExtractionRecord, decision, actor: str, *, announced: bool = False) -> None:
    """The advice is a claim: kept as an expected payment until a bank credit confirms it; a second arrival of
    the same claim (payer, reference, amount, date) is a duplicate pointing at the first. Two arrivals racing
    each other: the open claim's unique business key lets one in, and the other, decided again, is the
    duplicate (IntegrityError is a race for decide_business_document)."""
    draft = decision.draft
    key = business_key(draft)
    first = open_claim(session, key) if key else None
    if first is not None:
        original = session.get(ExtractionRecord, first.source_extraction_id)
        if original is None:  # a claim names the advice it came from
            raise NotFound(f"extraction {first.source_extraction_id} of expected payment {first.id} does not exist")
        conclude(
            record,
            BusinessDocumentStatus.REJECTED,
            Outcome(
                status=DUPLICATE,
                customer_id=decision.customer_id,
                extra={"duplicate_of": original.document_id, "duplicate_of_extraction": original.id},
            ),
        )
        record_event(session, "remittance.duplicate", "extraction", record.id, actor=actor, original=original.id)
        return
    expected = ExpectedPayment(
        source_extraction_id=record.id,
        status=CLAIM_OPEN,
        customer_id=decision.customer_id,
        currency=draft.currency,
        amount=draft.amount,
        payment_date=draft.payment_date,
        payment_reference=draft.payment_reference,
        business_key=key,
        invoice_references=[ln.invoice_reference for ln in draft.remittance_lines if ln.invoice_reference],
    )
    session.add(expected)
    session.flush()  # a claim raced in by another transaction refuses this one here
    claim = {
        "status": "expected",
        "reasons": [],
        "customer_id": decision.customer_id,
        "amount": decimal_str(draft.amount),
        "currency": draft.currency,
        "payment_date": draft.payment_date.isoformat() if draft.payment_date else None,
        "payment_reference": draft.payment_reference,
        "business_key": key,
        "invoice_references": expected.invoice_references,
    }
    conclude(record, BusinessDocumentStatus.AWAITING_CASH, Outcome.from_stored(claim))
    record_event(
        session,
        "remittance.expected",
        "extraction",
        record.id,
        actor=actor,
        amount=claim["amount"],
        customer_id=decision.customer_id,
        **({"announced_for": claim["payment_date"]} if announced else {}),
    )


def open_claim(session: Session, key: str) -> ExpectedPayment | None:
    """The open claim with this business key (an indexed lookup; at most one exists)."""
    return session.scalar(
        select(ExpectedPayment).where(ExpectedPayment.business_key == key, ExpectedPayment.status == CLAIM_OPEN)
    )


def reopen_claim(session: Session, extraction_id: int) -> ExtractionRecord | None:
    """A bank credit confirmed an awaited advice: close its claim, lock the advice and put it back to be
    decided, now that the cash is real (None when it is no longer awaiting its cash)."""
    record = session.get(ExtractionRecord, extraction_id, with_for_update=True)
    if record is None or record.status != BusinessDocumentStatus.AWAITING_CASH:
        return None
    expected = session.scalar(
        select(ExpectedPayment).where(ExpectedPayment.source_extraction_id == extraction_id).with_for_update()
    )
    if expected is not None:
        expected.status, expected.closed_at = CLAIM_CLOSED, utcnow()
    record.move_to(BusinessDocumentStatus.EXTRACTED)
    return record


__all__ = ["advice_is_cash", "await_cash", "open_claim", "reopen_claim"]
