"""A remittance advice as a claim: cash announced, not yet seen (docs/cash-model.md).

An advice posts as cash at once only when its sender is trusted for its customer; otherwise it is kept as an
expected payment until a bank credit confirms it (pipeline/statements.py), and a second arrival of the same
claim is a duplicate pointing at the first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.events import record_event
from o2c.core.money import decimal_str
from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord
from o2c.intake.authentication import authenticated_sender_domain
from o2c.intake.models import Document
from o2c.intake.storage import BlobStore
from o2c.ledger.cash import business_key
from o2c.ledger.models import Customer
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


def await_cash(session: Session, record: ExtractionRecord, decision, actor: str) -> None:
    """The advice is a claim: kept as an expected payment until a bank credit confirms it; a second arrival of
    the same claim (payer, reference, amount, date) is a duplicate pointing at the first."""
    draft = decision.draft
    claim = {
        "status": "expected",
        "reasons": [],
        "customer_id": decision.customer_id,
        "amount": decimal_str(draft.amount),
        "currency": draft.currency,
        "payment_date": draft.payment_date.isoformat() if draft.payment_date else None,
        "payment_reference": draft.payment_reference,
        "business_key": business_key(draft),
        "invoice_references": [ln.invoice_reference for ln in draft.remittance_lines if ln.invoice_reference],
    }
    first = _same_claim(session, record, claim) if claim["business_key"] else None
    if first is not None:
        conclude(
            record,
            BusinessDocumentStatus.REJECTED,
            Outcome(
                status=DUPLICATE,
                customer_id=decision.customer_id,
                extra={"duplicate_of": first.document_id, "duplicate_of_extraction": first.id},
            ),
        )
        record_event(session, "remittance.duplicate", "extraction", record.id, actor=actor, original=first.id)
        return
    conclude(record, BusinessDocumentStatus.AWAITING_CASH, Outcome.from_stored(claim))
    record_event(
        session,
        "remittance.expected",
        "extraction",
        record.id,
        actor=actor,
        amount=claim["amount"],
        customer_id=decision.customer_id,
    )


def _same_claim(session, record, claim) -> ExtractionRecord | None:
    for other in session.scalars(
        select(ExtractionRecord)
        .where(ExtractionRecord.status == BusinessDocumentStatus.AWAITING_CASH, ExtractionRecord.id != record.id)
        .order_by(ExtractionRecord.id)
    ):
        if (other.outcome or {}).get("business_key") == claim["business_key"]:
            return other
    return None


def reopen_claim(session: Session, extraction_id: int) -> ExtractionRecord | None:
    """A bank credit confirmed an awaited advice: lock it and put it back to be decided, now that the cash is
    real (None when it is no longer awaiting its cash)."""
    record = session.get(ExtractionRecord, extraction_id, with_for_update=True)
    if record is None or record.status != BusinessDocumentStatus.AWAITING_CASH:
        return None
    record.move_to(BusinessDocumentStatus.EXTRACTED)
    return record


__all__ = ["advice_is_cash", "await_cash", "reopen_claim"]
