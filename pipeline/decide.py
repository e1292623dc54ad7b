"""The decide step's business rules per document kind, inside the caller's transaction: an order posts with its
invoice or is a duplicate or an exception; an advice posts as cash, waits for its bank credit as a claim, is a
duplicate or an exception (docs/cash-model.md). pipeline/documents.py runs the step (locks, retries, crash
points); a reviewer's resolution (pipeline/resolutions.py) and a bank credit's confirmation
(pipeline/statements.py) decide again through here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from o2c.core.errors import InvalidInput
from o2c.core.events import record_event
from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord
from o2c.extraction.schema import PURCHASE_ORDER, REMITTANCE_ADVICE, Extraction
from o2c.ledger.cash import PaymentDraft, PlannedApplication, RemittanceLineDraft, post_payment
from o2c.ledger.models import Payment
from o2c.ledger.orders import post_order
from o2c.ledger.views import order_reference
from o2c.matching.decisions import RemittanceDecision
from o2c.matching.service import decide_order, decide_remittance
from o2c.pipeline.claims import advice_is_cash, announces_payment, await_cash, reopen_claim
from o2c.pipeline.context import PipelineContext
from o2c.pipeline.outcomes import DUPLICATE, EXCEPTION, POSTED, REJECTED, Outcome, conclude
from o2c.review import learning
from o2c.review import service as review


@dataclass(frozen=True)
class ReviewedCash:
    """A reviewer's decision on a remittance advice (apply_cash, on_account): the decide step posts the stored
    extraction, its payer amended by the reviewer, with these applications (none: on account) instead of the
    ones matching would propose; the same ledger rules, outcome and events as a touchless advice."""

    action: str
    exception_id: int
    applications: tuple[PlannedApplication, ...] = ()


def decide_in_session(
    ctx: PipelineContext,
    session: Session,
    record: ExtractionRecord,
    *,
    actor: str,
    reviewed: ReviewedCash | None = None,
) -> None:
    """The decide step inside the caller's transaction (a reviewer's resolution and its re-decision commit
    together): post, or open an exception; a ledger refusal raises and the caller's transaction rolls back."""
    if record.status != BusinessDocumentStatus.EXTRACTED:
        return
    extraction = Extraction.from_contract(record.payload)
    if extraction.document_type == PURCHASE_ORDER and extraction.order is not None:
        _decide_order(ctx, session, record, extraction, actor)
    elif extraction.document_type == REMITTANCE_ADVICE and extraction.remittance is not None:
        _decide_remittance(ctx, session, record, extraction, actor, reviewed=reviewed)
    else:
        conclude(record, BusinessDocumentStatus.OTHER, Outcome(status=REJECTED, reasons=["unsupported_document"]))
        record_event(session, "document.not_business", "extraction", record.id)


def _decide_order(ctx, session, record, extraction, actor) -> None:
    decision = decide_order(session, extraction, matching=ctx.matching, ledger=ctx.ledger, today=ctx.posting_date())
    if decision.postable and decision.draft is not None:  # (postable means it has a draft)
        posted = post_order(
            session, decision.draft, source_extraction_id=record.id, policy=ctx.ledger, today=ctx.posting_date()
        )
        conclude(
            record,
            BusinessDocumentStatus.POSTED,
            Outcome(
                status=POSTED,
                customer_id=decision.customer_id,
                order_id=posted.order_id,
                invoice_number=posted.invoice_number,
            ),
        )
        record_event(
            session,
            "order.posted",
            "extraction",
            record.id,
            actor=actor,
            order_id=posted.order_id,
            invoice_number=posted.invoice_number,
        )
    elif decision.duplicate_of_order_id is not None:  # same customer + PO + total again, other bytes/channel
        original = order_reference(session, decision.duplicate_of_order_id)
        source = session.get(ExtractionRecord, original["source_extraction_id"] or -1)
        conclude(
            record,
            BusinessDocumentStatus.REJECTED,
            Outcome(
                status=DUPLICATE,
                customer_id=decision.customer_id,
                order_id=original["order_id"],
                invoice_number=original["invoice_number"],
                extra={"duplicate_of": source.document_id if source else None},
            ),
        )
        record_event(session, "order.duplicate", "extraction", record.id, actor=actor, order_id=original["order_id"])
    else:
        _open_exception(session, record, decision)


def _decide_remittance(
    ctx, session, record, extraction, actor, *, cash_confirmed: bool = False, reviewed: ReviewedCash | None = None
) -> int | None:
    """An advice posts as cash only when the bank credit confirmed it (cash_confirmed), a reviewer decided it
    (reviewed), or its customer trusts advices from an authenticated sender; otherwise it is a claim awaiting
    the bank credit (docs/cash-model.md). Returns the payment posted, if any."""
    if reviewed is not None:
        decision = _reviewed_decision(extraction, reviewed)
    else:
        extraction = learning.apply_reference_aliases(session, extraction)  # what reviewers taught about references
        decision = decide_remittance(session, extraction, matching=ctx.matching, ledger=ctx.ledger)
    if decision.postable and decision.draft is not None and not (cash_confirmed or reviewed):
        announced = announces_payment(
            decision.draft.payment_date, today=ctx.posting_date(), lead_days=ctx.ledger.advice_lead_days
        )
        if announced or not advice_is_cash(
            session, record, decision.customer_id, store=ctx.store, trusted_channels=ctx.trusted_advice_channels
        ):
            await_cash(session, record, decision, actor, announced=announced)
            return None
    if decision.postable and decision.draft is not None:  # (postable means it has a draft)
        posted = post_payment(session, decision.draft, source_extraction_id=record.id, today=ctx.posting_date())
        manual = {"unapplied_amount": str(posted.unapplied_amount)} if reviewed else {}
        conclude(
            record,
            BusinessDocumentStatus.POSTED,
            Outcome(
                status=POSTED,
                customer_id=decision.customer_id,
                applications=posted.applications,
                exception_id=reviewed.exception_id if reviewed else None,
                extra={"payment_id": posted.payment_id, **manual},
            ),
        )
        record_event(
            session,
            "payment.posted",
            "extraction",
            record.id,
            actor=actor,
            payment_id=posted.payment_id,
            **({"manual": reviewed.action} if reviewed else {}),
        )
        return posted.payment_id
    if decision.duplicate_of_payment_id is not None:  # the same payment again, by another channel
        original = session.get(Payment, decision.duplicate_of_payment_id)
        source = session.get(ExtractionRecord, original.source_extraction_id or -1)
        conclude(
            record,
            BusinessDocumentStatus.REJECTED,
            Outcome(
                status=DUPLICATE,
                customer_id=decision.customer_id,
                extra={
                    "payment_id": original.id,
                    "duplicate_of": source.document_id if source else None,
                    "duplicate_of_payment": original.id,
                },
            ),
        )
        record_event(session, "payment.duplicate", "extraction", record.id, actor=actor, payment_id=original.id)
    else:
        _open_exception(session, record, decision)
    return None


def _reviewed_decision(extraction: Extraction, reviewed: ReviewedCash) -> RemittanceDecision:
    """The reviewer's decision as the draft the decide step posts: the stored advice (payer and currency as the
    reviewer amended them) with the reviewer's applications."""
    remittance = extraction.remittance
    if remittance is None or remittance.amount is None or remittance.currency is None:
        raise InvalidInput("the advice's amount and currency must be read before cash is applied", field="amount")
    draft = PaymentDraft(
        customer_id=remittance.customer_id,
        payer_name=remittance.payer_name,
        payment_date=remittance.payment_date,
        payment_reference=remittance.payment_reference,
        payment_method=remittance.payment_method,
        currency=remittance.currency,
        amount=remittance.amount,
        applications=list(reviewed.applications),
        remittance_lines=[
            RemittanceLineDraft(i.invoice_number, i.amount_paid, i.discount, i.invoice_amount) for i in remittance.items
        ],
    )
    return RemittanceDecision(customer_id=remittance.customer_id, draft=draft)


def settle_claim(ctx: PipelineContext, session: Session, extraction_id: int, *, actor: str = "system") -> int | None:
    """A bank credit confirmed an awaited advice: decide it again now that the cash is real (in the caller's
    transaction); the payment it posted, or None when it went to review (the open items changed meanwhile)."""
    record = reopen_claim(session, extraction_id)
    if record is None:
        return None
    return _decide_remittance(
        ctx, session, record, Extraction.from_contract(record.payload), actor, cash_confirmed=True
    )


def _open_exception(session, record, decision) -> None:
    item = review.open_exception(
        session,
        document_id=record.document_id,
        extraction_id=record.id,
        document_type=record.document_type,
        reasons=decision.reasons,
        evidence=decision.evidence,
        customer_id=decision.customer_id,
        amount_at_risk=decision.amount_at_risk,
        currency=decision.currency,
    )
    conclude(
        record,
        BusinessDocumentStatus.EXCEPTION,
        Outcome(status=EXCEPTION, reasons=item.reasons, customer_id=decision.customer_id, exception_id=item.id),
    )
