"""The matching façade the pipeline calls: turn an Extraction into a postable draft, or reasons for review."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.money import decimal_str
from extraction.schema import PURCHASE_ORDER, REMITTANCE_ADVICE, Extraction
from ledger.cash import PaymentDraft, PlannedApplication, RemittanceLineDraft
from ledger.models import Customer
from ledger.orders import DraftLine, OrderDraft, validate_order
from ledger.policy import LedgerPolicy
from ledger.terms import allowed_discount, parse_terms
from matching.customers import CustomerMatch, resolve_customer
from matching.open_items import (
    _candidate,
    amount_only_match,
    invoices_by_reference,
    match_item,
    open_invoices,
)
from matching.policy import MatchingPolicy
from matching.products import resolve_product

LOW_CONFIDENCE, UNSUPPORTED = "low_confidence", "unsupported_document"
UNKNOWN_CUSTOMER, UNKNOWN_PRODUCT, MISSING_FIELD = "unknown_customer", "unknown_product", "missing_field"
UNMATCHED_INVOICE, AMOUNT_MISMATCH, AMBIGUOUS = "unmatched_invoice", "amount_mismatch", "ambiguous_match"
CURRENCY_MISMATCH, UNEARNED_DISCOUNT = "currency_mismatch", "unearned_discount"

# Fields whose misreading could post something wrong. Left out because a later check verifies them: names and
# printed customer ids (customer resolution: exact key, or fuzzy score plus margin), currencies (customer and
# invoice currency checks), and a remittance's payment date unless a discount is taken (the discount window).
_ORDER_REQUIRED = re.compile(r"order\.(po_number|order_date|total|lines\[\d+\]\.(sku|quantity|unit_price|amount))")
_REMITTANCE_REQUIRED = re.compile(
    r"remittance\.(amount|"
    r"items\[\d+\]\.(invoice_number|amount_paid|discount|po_number))"
)
_PAYMENT_DATE = re.compile(r"remittance\.payment_date")
_PATH_PART = re.compile(r"(\w+)(?:\[(\d+)\])?")


@dataclass
class _Decision:
    customer_id: str | None = None
    reasons: list[str] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    amount_at_risk: Decimal | None = None
    currency: str | None = None

    def flag(self, reason: str, **evidence: Any) -> None:
        """Add a reason (once) and its evidence (always)."""
        if reason not in self.reasons:
            self.reasons.append(reason)
        self.evidence.append({"reason": reason, **evidence})

    def flagged(self, reason: str, field_path: str) -> bool:
        """True when this reason was already raised for this field."""
        return any(e["reason"] == reason and e.get("field") == field_path for e in self.evidence)


@dataclass
class OrderDecision(_Decision):
    """What matching decided for a purchase order: a draft to post, or the reasons and evidence for review."""

    draft: OrderDraft | None = None

    @property
    def postable(self) -> bool:
        """True when nothing stands in the way of posting."""
        return not self.reasons and self.draft is not None


@dataclass
class RemittanceDecision(_Decision):
    """What matching decided for a remittance advice: a payment draft with its applications, or reasons."""

    draft: PaymentDraft | None = None

    @property
    def postable(self) -> bool:
        """True when nothing stands in the way of posting."""
        return not self.reasons and self.draft is not None


def read_field(extraction: Extraction, path: str) -> Any:
    """The value at a field path such as 'order.lines[1].unit_price' (None when absent)."""
    value: Any = extraction
    for name, index in _PATH_PART.findall(path):
        value = getattr(value, name, None)
        if value is not None and index:
            value = value[int(index)] if int(index) < len(value) else None
        if value is None:
            return None
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _check_confidence(
    decision: _Decision,
    extraction: Extraction,
    required: re.Pattern,
    policy: MatchingPolicy,
    *,
    classification: bool = True,
) -> None:
    doc_conf = extraction.confidence.get("document_type")
    if classification and doc_conf is not None and doc_conf < policy.classification_confidence:
        decision.flag(
            LOW_CONFIDENCE,
            field="document_type",
            read=extraction.document_type,
            confidence=doc_conf,
            rule=f"classification confidence < {policy.classification_confidence}",
        )
    for path, conf in sorted(extraction.confidence.items()):
        if required.fullmatch(path) and conf < policy.auto_post_confidence:
            decision.flag(
                LOW_CONFIDENCE,
                field=path,
                read=_jsonable(read_field(extraction, path)),
                confidence=conf,
                provenance=extraction.provenance.get(path),
                rule=f"confidence < {policy.auto_post_confidence}",
            )


def sender_domain(sender: str | None) -> str | None:
    """The domain of a sender address ('Ann <ann@acme.com>' -> 'acme.com')."""
    found = re.search(r"@([\w.-]+)", sender or "")
    return found.group(1).lower().rstrip(".") if found else None


def _customer_evidence(match: CustomerMatch, field_path: str, read: str | None) -> dict:
    return {
        "field": field_path,
        "read": read,
        "rule": "; ".join(match.reasons),
        "candidates": match.candidates,
    }


def _net_total(order) -> Decimal | None:
    """The printed total net of tax (the draft's total is compared with the sum of the lines)."""
    if order.subtotal is not None:
        return order.subtotal
    if order.total is not None and order.tax is not None:
        return order.total - order.tax
    return order.total


def decide_order(
    session: Session,
    extraction: Extraction,
    *,
    matching: MatchingPolicy,
    ledger: LedgerPolicy,
    today: date | None = None,
) -> OrderDecision:
    """Resolve customer and products, check confidence, then validate prices, credit and duplicates."""
    decision = OrderDecision()
    order = extraction.order
    if extraction.document_type != PURCHASE_ORDER or order is None:
        decision.flag(
            UNSUPPORTED,
            field="document_type",
            read=extraction.document_type,
            rule="expected a purchase order",
        )
        return decision
    decision.amount_at_risk, decision.currency = order.total, order.currency
    _check_confidence(decision, extraction, _ORDER_REQUIRED, matching)
    customer = resolve_customer(
        session,
        customer_id_hint=order.customer_id,
        name=order.buyer_name,
        email_domain=sender_domain(extraction.sender),
        address=order.bill_to,
        policy=matching,
    )
    if not customer.resolved:
        decision.flag(UNKNOWN_CUSTOMER, **_customer_evidence(customer, "order.buyer_name", order.buyer_name))
    lines = []
    for index, line in enumerate(order.lines):
        product = resolve_product(session, customer_id=customer.customer_id, sku=line.sku, description=line.description)
        if product.sku is None:
            decision.flag(
                UNKNOWN_PRODUCT,
                field=f"order.lines[{index}].sku",
                read=line.sku,
                rule="; ".join(product.reasons),
                candidates=product.candidates,
            )
        lines.append(
            DraftLine(
                product.sku or line.sku,
                line.description,
                line.quantity,
                line.uom,
                line.unit_price,
                line.amount,
            )
        )
    if not customer.resolved:
        return decision
    decision.customer_id = customer.customer_id
    master = session.scalar(select(Customer).where(Customer.customer_id == customer.customer_id))
    decision.currency = order.currency or master.currency
    draft = OrderDraft(
        customer_id=customer.customer_id,
        po_number=order.po_number,
        order_date=order.order_date,
        currency=decision.currency,
        ship_to=order.ship_to,
        requested_delivery_date=order.requested_delivery_date,
        lines=lines,
        total=_net_total(order),
    )
    decision.draft = draft
    if decision.amount_at_risk is None:
        decision.amount_at_risk = draft.lines_total()
    for issue in validate_order(session, draft, ledger, on_date=today or date.today()):
        if not decision.flagged(issue.reason, issue.evidence.get("field")):
            decision.flag(issue.reason, **issue.evidence)
    return decision


def _resolve_payer(
    session: Session, extraction: Extraction, matching: MatchingPolicy, decision: RemittanceDecision
) -> str | None:
    remittance = extraction.remittance
    match = resolve_customer(
        session,
        customer_id_hint=remittance.customer_id,
        name=remittance.payer_name,
        email_domain=sender_domain(extraction.sender),
        address=None,
        policy=matching,
    )
    if match.resolved:
        return match.customer_id
    references = [item.invoice_number for item in remittance.items if item.invoice_number]
    owners = {inv.customer_id for inv in invoices_by_reference(session, references)}
    if len(owners) == 1:
        return owners.pop()  # every referenced invoice belongs to one customer: that customer paid
    evidence = _customer_evidence(match, "remittance.payer_name", remittance.payer_name)
    if owners:
        evidence["invoice_owners"] = sorted(owners)
    decision.flag(UNKNOWN_CUSTOMER, **evidence)
    return None


def decide_remittance(
    session: Session, extraction: Extraction, *, matching: MatchingPolicy, ledger: LedgerPolicy
) -> RemittanceDecision:
    """Resolve the payer and every item to an open invoice; amounts, discounts and totals must reconcile."""
    decision = RemittanceDecision()
    remittance = extraction.remittance
    if extraction.document_type != REMITTANCE_ADVICE or remittance is None:
        decision.flag(
            UNSUPPORTED,
            field="document_type",
            read=extraction.document_type,
            rule="expected a remittance advice",
        )
        return decision
    decision.amount_at_risk, decision.currency = remittance.amount, remittance.currency
    _check_confidence(decision, extraction, _REMITTANCE_REQUIRED, matching)
    if any(item.discount for item in remittance.items):
        _check_confidence(decision, extraction, _PAYMENT_DATE, matching, classification=False)
    if remittance.amount is None or remittance.amount <= 0:
        decision.flag(
            MISSING_FIELD,
            field="remittance.amount",
            read=_jsonable(remittance.amount),
            rule="a positive payment amount is required",
        )
    payer = _resolve_payer(session, extraction, matching, decision)
    if payer is None:
        return decision
    decision.customer_id = payer
    master = session.scalar(select(Customer).where(Customer.customer_id == payer))
    currency = decision.currency = remittance.currency or master.currency
    if remittance.amount is None or remittance.amount <= 0:
        return decision
    if any(item.invoice_number or item.po_number for item in remittance.items):
        applications = _by_reference(session, extraction, payer, currency, master, decision)
    else:
        applications = _by_amount(session, remittance.amount, payer, currency, ledger, decision)
    decision.draft = PaymentDraft(
        customer_id=payer,
        payer_name=remittance.payer_name,
        payment_date=remittance.payment_date,
        payment_reference=remittance.payment_reference,
        payment_method=remittance.payment_method,
        currency=currency,
        amount=remittance.amount,
        applications=applications,
        remittance_lines=[
            RemittanceLineDraft(i.invoice_number, i.amount_paid, i.discount, i.invoice_amount) for i in remittance.items
        ],
    )
    return decision


def _by_reference(
    session: Session,
    extraction: Extraction,
    payer: str,
    currency: str,
    master: Customer,
    decision: RemittanceDecision,
) -> list[PlannedApplication]:
    remittance = extraction.remittance
    candidates = open_invoices(session, payer)
    applications: list[PlannedApplication] = []
    used: set[int] = set()
    for index, item in enumerate(remittance.items):
        path = f"remittance.items[{index}]"
        match = match_item(item, candidates)
        invoice = match.invoice
        if invoice is None:
            elsewhere = [
                _candidate(inv, "closed or another customer's")
                for inv in invoices_by_reference(session, [item.invoice_number] if item.invoice_number else [])
                if inv not in candidates
            ]
            decision.flag(
                AMBIGUOUS if match.ambiguous else UNMATCHED_INVOICE,
                field=f"{path}.invoice_number",
                read=item.invoice_number,
                rule="; ".join(match.reasons),
                candidates=match.candidates + elsewhere,
            )
            continue
        if invoice.id in used:
            decision.flag(
                AMBIGUOUS,
                field=f"{path}.invoice_number",
                read=item.invoice_number,
                rule=f"invoice {invoice.invoice_number} is paid by two items",
            )
            continue
        used.add(invoice.id)
        if invoice.currency != currency:
            decision.flag(
                CURRENCY_MISMATCH,
                field="remittance.currency",
                read=currency,
                expected=invoice.currency,
                rule=f"invoice {invoice.invoice_number} currency",
            )
            continue
        if item.amount_paid is None:
            decision.flag(MISSING_FIELD, field=f"{path}.amount_paid", read=None, rule="amount paid required")
            continue
        discount = item.discount or Decimal("0")
        if item.amount_paid + discount != invoice.open_amount or item.amount_paid < 0 or discount < 0:
            decision.flag(
                AMOUNT_MISMATCH,
                field=f"{path}.amount_paid",
                read=decimal_str(item.amount_paid),
                expected=decimal_str(invoice.open_amount),
                discount=decimal_str(discount),
                rule=f"paid + discount must equal the open amount of {invoice.invoice_number}",
            )
            continue
        if discount > 0:
            terms_text = invoice.payment_terms or master.payment_terms
            allowed = allowed_discount(
                parse_terms(terms_text),
                invoice_date=invoice.invoice_date,
                invoice_amount=invoice.amount,
                payment_date=remittance.payment_date,
            )
            if discount > allowed:
                decision.flag(
                    UNEARNED_DISCOUNT,
                    field=f"{path}.discount",
                    read=decimal_str(discount),
                    expected=decimal_str(allowed),
                    rule=f"terms {terms_text!r}, invoice date {invoice.invoice_date.isoformat()}, "
                    f"payment date {_jsonable(remittance.payment_date)}",
                )
                continue
        applications.append(PlannedApplication(invoice.id, item.amount_paid, discount, match.rule))
    paid = sum((item.amount_paid or Decimal("0") for item in remittance.items), Decimal("0"))
    if paid != remittance.amount:
        decision.flag(
            AMOUNT_MISMATCH,
            field="remittance.amount",
            read=decimal_str(remittance.amount),
            expected=decimal_str(paid),
            rule="items must sum to the payment amount",
        )
    return applications


def _by_amount(
    session: Session,
    amount: Decimal,
    payer: str,
    currency: str,
    ledger: LedgerPolicy,
    decision: RemittanceDecision,
) -> list[PlannedApplication]:
    invoices = open_invoices(session, payer, currency, max_open=amount, limit=ledger.max_combination_candidates + 1)
    result = amount_only_match(
        invoices,
        amount,
        max_size=ledger.max_invoices_per_payment,
        max_candidates=ledger.max_combination_candidates,
    )
    by_id = {inv.id: inv for inv in invoices}
    if result.unique:
        return [PlannedApplication(i, by_id[i].open_amount, Decimal("0"), "amount_only") for i in result.unique]
    if result.too_many_candidates or len(result.solutions) > 1:
        sets = [[by_id[i].invoice_number for i in solution] for solution in result.solutions]
        decision.flag(
            AMBIGUOUS,
            field="remittance.amount",
            read=decimal_str(amount),
            rule=(
                "too many open invoices to search"
                if result.too_many_candidates
                else "several sets of open invoices sum to the amount"
            ),
            candidates=sets,
        )
    else:
        decision.flag(
            UNMATCHED_INVOICE,
            field="remittance.amount",
            read=decimal_str(amount),
            rule=f"no set of at most {ledger.max_invoices_per_payment} open invoices sums to the amount",
            candidates=[_candidate(inv, "open item") for inv in invoices[:10]],
        )
    return []
