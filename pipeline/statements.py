"""Bank statements on the road: store the raw file (pipeline.receive), read its statements outside any
transaction, record every credit once, then decide each credit in its own short transaction:

    receive  -> the bytes are kept first, whatever follows (a bad file stays, rejected, with its error)
    read     -> camt / BAI2 / MT940 into statements whose balances must add up
    record   -> one BankCredit per credit line, unique by key: a file imported twice adds nothing
    decide   -> link to a posted remittance | apply structured remittance | wait for the advice, then
                amount-only | review; never a wrong application

`match_pending` re-decides credits still waiting (run it from a schedule: `o2c bank match`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.db import unit_of_work
from o2c.core.errors import InvalidInput, NotFound, O2CError
from o2c.core.events import record_event
from o2c.core.money import decimal_str, quantize
from o2c.extraction.bank.errors import BankStatementError, MalformedStatement
from o2c.extraction.bank.models import BankStatement
from o2c.extraction.bank.reader import read_statements
from o2c.extraction.models import ExtractionRecord
from o2c.extraction.schema import REMITTANCE_ADVICE
from o2c.intake.models import Document, DocumentStatus
from o2c.ledger import bank as bank_ledger
from o2c.ledger.models import BankCredit, CashApplication, Invoice, Payment
from o2c.matching.bank import (
    LINK,
    POST,
    REVIEW,
    BankCreditDecision,
    BankPolicy,
    decide_bank_credit,
    find_expected_advice,
    payer_of,
)
from o2c.pipeline.decide import settle_claim
from o2c.pipeline.documents import PipelineContext, receive
from o2c.pipeline.outcomes import amend
from o2c.review import service as review
from o2c.review.models import ExceptionItem
from o2c.review.service import OPEN_STATES

log = logging.getLogger(__name__)
BANK_CREDIT = "bank_credit"
ADVICE_IN_REVIEW = "advice_in_review"


def _money(value) -> str | None:
    return decimal_str(quantize(value)) if value is not None else None


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def credit_lines(statements: list[BankStatement]) -> list[bank_ledger.CreditLine]:
    """The credits of a file's statements, as the ledger records them (reversals and debits left out)."""
    lines = []
    for statement in statements:
        if not statement.account:
            raise MalformedStatement(f"statement {statement.statement_id!r} names no account")
        for credit in statement.credits:
            if credit.reversal:
                continue  # a returned debit is no customer's cash
            currency = credit.currency or statement.currency
            if not currency:
                raise MalformedStatement(f"a credit of {credit.amount} on {statement.account} has no currency")
            lines.append(
                bank_ledger.CreditLine(
                    account=statement.account,
                    statement_format=statement.format,
                    statement_id=statement.statement_id,
                    currency=currency,
                    amount=credit.amount,
                    value_date=credit.value_date,
                    booking_date=credit.booking_date,
                    payer_name=credit.payer_name,
                    payer_account=credit.payer_account,
                    remittance_info=credit.remittance_info,
                    references=[
                        {
                            "reference": r.reference,
                            "amount": decimal_str(r.amount),
                            "discount": decimal_str(r.discount),
                            "invoice_amount": decimal_str(r.invoice_amount),
                            "kind": r.kind,
                        }
                        for r in credit.references
                    ],
                    end_to_end_id=credit.end_to_end_id,
                    bank_reference=credit.bank_reference,
                )
            )
    return lines


def import_statement(
    ctx: PipelineContext,
    content: bytes,
    filename: str,
    *,
    policy: BankPolicy | None = None,
    now: datetime | None = None,
    channel: str = "cli",
) -> list[dict[str, Any]]:
    """Keep the file, read it, record its credits once and decide each; one outcome per credit (or one for a
    rejected file, with the error)."""
    policy = policy or BankPolicy()
    arrival = receive(ctx, content=content, filename=filename, channel=channel)
    try:
        statements = read_statements(content, filename=filename)
        lines = credit_lines(statements)
    except BankStatementError as exc:
        return [_reject(ctx, arrival.document_id, filename, exc)]
    with unit_of_work(ctx.session_factory) as session:
        recorded = bank_ledger.record_credits(session, lines, source_document_id=arrival.document_id)
        credits = [(row.id, created) for row, created in recorded]
        document = session.get(Document, arrival.document_id)
        if document is None:
            raise NotFound(f"document {arrival.document_id} does not exist")
        if document.status in (DocumentStatus.RECEIVED, DocumentStatus.REJECTED):
            document.move_to(DocumentStatus.PROCESSED)
        record_event(
            session,
            "bank_statement.imported",
            "document",
            arrival.document_id,
            statements=len(statements),
            credits=len(lines),
            new=sum(c for _, c in credits),
        )
    for credit_id, _created in credits:
        decide_credit(ctx, credit_id, policy=policy, now=_now(now))
    with unit_of_work(ctx.session_factory) as session:
        return [
            dict(
                credit_outcome(session, _credit(session, credit_id)),
                source=filename,
                document_id=arrival.document_id,
                new=created,
                duplicate=arrival.is_duplicate,
            )
            for credit_id, created in credits
        ]


def _reject(ctx: PipelineContext, document_id: int, filename: str, exc: BankStatementError) -> dict[str, Any]:
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} does not exist")
        if document.status != DocumentStatus.REJECTED:  # the same bad bytes again: one exception is enough
            document.move_to(DocumentStatus.REJECTED, error=exc.message)
            review.open_exception(
                session,
                document_id=document_id,
                extraction_id=None,
                document_type="bank_statement",
                reasons=[exc.code],
                evidence=[{"field": "document", "read": exc.message, "rule": exc.__doc__, **exc.detail}],
            )
            record_event(session, "document.rejected", "document", document_id, reason=exc.code, error=exc.message)
    return {
        "source": filename,
        "document_id": document_id,
        "status": "rejected",
        "error": exc.code,
        "message": exc.message,
    }


def decide_credit(
    ctx: PipelineContext, credit_id: int, *, policy: BankPolicy, now: datetime, actor: str = "system"
) -> None:
    """Decide one unmatched credit in its own transaction (a no-op once it is decided)."""
    try:
        with unit_of_work(ctx.session_factory) as session:
            credit = bank_ledger.lock_credit(session, credit_id)
            if credit is None or credit.status != bank_ledger.UNMATCHED:
                return
            if _confirm_claim(ctx, session, credit, policy, actor):
                return
            decision = decide_bank_credit(
                session, credit, matching=ctx.matching, ledger=ctx.ledger, policy=policy, now=now
            )
            if decision.action == POST and (advice := _advice_in_review(session, credit)) is not None:
                # the advice that explains this cash waits for a reviewer: posting now would count it twice
                _review(
                    session,
                    credit,
                    [ADVICE_IN_REVIEW],
                    [
                        {
                            "reason": ADVICE_IN_REVIEW,
                            "field": "bank_credit.amount",
                            "read": _money(credit.amount),
                            "rule": f"remittance advice exception {advice} has the same amount; decide them together",
                            "candidates": [{"exception_id": advice}],
                        }
                    ],
                    decision.customer_id,
                )
                _decided(session, credit, decision.action, decision.rule, actor)
            else:
                apply_credit_decision(ctx, session, credit, decision, actor=actor)
    except O2CError as exc:  # a posting rule refused at the last moment (a concurrent change): a person decides
        log.warning("bank credit %s: %s", credit_id, exc.message)
        with unit_of_work(ctx.session_factory) as session:
            credit = bank_ledger.lock_credit(session, credit_id)
            if credit is None:
                raise NotFound(f"bank credit {credit_id} does not exist") from exc
            if credit.status == bank_ledger.UNMATCHED:
                _review(
                    session,
                    credit,
                    [exc.code],
                    [{"reason": exc.code, "field": "bank_credit", "read": exc.message, "rule": exc.__doc__}],
                    None,
                )


def apply_credit_decision(
    ctx: PipelineContext, session, credit: BankCredit, decision: BankCreditDecision, *, actor: str
) -> None:
    """Carry out a credit's decision — link it, post it, or send it to review — and say so: the one ending of
    the decide step for a credit, whether matching decided it or a reviewer did (pipeline/resolutions.py)."""
    if decision.action == LINK:
        payment = session.get(Payment, decision.payment_id)
        if payment is None or decision.rule is None:  # a link names its posted payment and rule
            raise NotFound(f"payment {decision.payment_id} does not exist")
        bank_ledger.link_payment(session, credit, payment, rule=decision.rule)
    elif decision.action == POST:
        if decision.draft is None or decision.rule is None:  # a post carries its draft and rule
            raise InvalidInput(f"bank credit {credit.id}: a post decision without a draft", field="draft")
        bank_ledger.post_credit(session, credit, decision.draft, rule=decision.rule, today=ctx.posting_date())
    elif decision.action == REVIEW:
        _review(session, credit, decision.reasons, decision.evidence, decision.customer_id)
    if decision.action != "wait":
        _decided(session, credit, decision.action, decision.rule, actor)


def _decided(session, credit: BankCredit, action: str, rule: str | None, actor: str, **detail: Any) -> None:
    record_event(
        session, "bank_credit.decided", "bank_credit", credit.id, actor=actor, action=action, rule=rule, **detail
    )


def _confirm_claim(ctx: PipelineContext, session, credit: BankCredit, policy: BankPolicy, actor: str) -> bool:
    """The credit is the cash an awaited advice announced: the advice posts now, and the two are linked."""
    claim, _candidates = find_expected_advice(
        session, credit, payer_customer=payer_of(session, credit, ctx.matching), policy=policy
    )
    if claim is None:
        return False
    payment_id = settle_claim(ctx, session, claim, actor=actor)
    if payment_id is None:
        return False  # the advice went to review: the credit is decided on its own below
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(f"payment {payment_id} does not exist")
    bank_ledger.link_payment(session, credit, payment, rule="advice.claim")
    record = session.get(ExtractionRecord, claim)  # linked both ways: the advice names its bank credit
    amend(record, bank_credit_id=credit.id)
    _decided(session, credit, LINK, "advice.claim", actor, extraction_id=claim)
    return True


def _advice_in_review(session, credit: BankCredit) -> int | None:
    """An open remittance-advice exception of the same amount and currency (its cash may be this credit)."""
    return session.scalar(
        select(ExceptionItem.id)
        .where(
            ExceptionItem.document_type == REMITTANCE_ADVICE,
            ExceptionItem.status.in_(OPEN_STATES),
            ExceptionItem.amount_at_risk == credit.amount,
            ExceptionItem.currency == credit.currency,
        )
        .order_by(ExceptionItem.id)
        .limit(1)
    )


def _review(session, credit: BankCredit, reasons: list[str], evidence: list[dict], customer_id: str | None) -> None:
    if credit.source_document_id is None:  # credits are recorded from a kept statement file
        raise InvalidInput(f"bank credit {credit.id} has no source document", field="source_document_id")
    evidence = [
        dict(
            e,
            credit={
                "amount": decimal_str(credit.amount),
                "currency": credit.currency,
                "value_date": credit.value_date.isoformat() if credit.value_date else None,
                "payer_name": credit.payer_name,
                "remittance_info": credit.remittance_info,
                "end_to_end_id": credit.end_to_end_id,
                "references": credit.remittance_references,
            },
        )
        for e in evidence
    ]
    item = review.open_exception(
        session,
        document_id=credit.source_document_id,
        extraction_id=None,
        document_type=BANK_CREDIT,
        reasons=reasons,
        evidence=evidence,
        customer_id=customer_id,
        amount_at_risk=credit.amount,
        currency=credit.currency,
    )
    credit.customer_id = customer_id
    bank_ledger.hold_for_review(session, credit, reasons=reasons, review_item_id=item.id)


def match_pending(
    ctx: PipelineContext, *, policy: BankPolicy | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Re-decide every credit still unmatched (its advice may have come, or its wait ended); their outcomes."""
    policy = policy or BankPolicy()
    with unit_of_work(ctx.session_factory) as session:
        ids = list(
            session.scalars(
                select(BankCredit.id).where(BankCredit.status == bank_ledger.UNMATCHED).order_by(BankCredit.id)
            )
        )
    for credit_id in ids:
        decide_credit(ctx, credit_id, policy=policy, now=_now(now))
    with unit_of_work(ctx.session_factory) as session:
        return [credit_outcome(session, _credit(session, i)) for i in ids]


def _credit(session: Session, credit_id: int) -> BankCredit:
    credit = session.get(BankCredit, credit_id)
    if credit is None:
        raise NotFound(f"bank credit {credit_id} does not exist")
    return credit


def credit_outcome(session, credit: BankCredit) -> dict[str, Any]:
    """One credit as the CLI prints it: status, rule, payment and its applications, reasons."""
    applications = []
    if credit.payment_id is not None:
        rows = session.execute(
            select(Invoice.invoice_number, CashApplication.amount, CashApplication.discount)
            .join(Invoice, Invoice.id == CashApplication.invoice_id)
            .where(
                CashApplication.payment_id == credit.payment_id,
                CashApplication.reversed_by_id.is_(None),
                CashApplication.rule != "reversal",
            )
            .order_by(CashApplication.id)
        ).all()
        applications = [{"invoice_number": n, "amount": _money(a), "discount": _money(d)} for n, a, d in rows]
    return {
        "credit_id": credit.id,
        "account": credit.account,
        "status": credit.status,
        "rule": credit.rule,
        "amount": _money(credit.amount),
        "currency": credit.currency,
        "value_date": credit.value_date.isoformat() if credit.value_date else None,
        "payer_name": credit.payer_name,
        "customer_id": credit.customer_id,
        "payment_id": credit.payment_id,
        "applications": applications,
        "reasons": credit.reasons or [],
        "exception_id": credit.review_item_id,
    }


def unapplied(ctx: PipelineContext) -> list[dict[str, Any]]:
    """Cash on the bank statements that is not (fully) applied to invoices."""
    with unit_of_work(ctx.session_factory) as session:
        return bank_ledger.unapplied_cash(session)


__all__ = [
    "import_statement",
    "decide_credit",
    "match_pending",
    "unapplied",
    "credit_outcome",
    "credit_lines",
    "apply_credit_decision",
]
