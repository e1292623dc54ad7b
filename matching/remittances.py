"""Remittance decisions: resolve the payer, then each item to an open invoice (indexed, bounded queries).

Short pays and unearned discounts post with a deduction for follow-up; an over-paid item leaves the excess
unapplied on account; payments without references go to the bounded amount-only search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from o2c.core.collector import CASH_BATCH, batch_collector
from o2c.core.errors import InvalidInput
from o2c.core.money import decimal_str
from o2c.extraction.schema import REMITTANCE_ADVICE, Extraction
from o2c.ledger.cash import PaymentDraft, PlannedApplication, RemittanceLineDraft, SamePaymentIndex
from o2c.ledger.deductions import SHORT_PAYMENT, UNEARNED_DISCOUNT, PlannedDeduction
from o2c.ledger.models import Customer
from o2c.ledger.policy import LedgerPolicy
from o2c.ledger.reuse import ReferenceReuseIndex
from o2c.ledger.terms import allowed_discount, parse_terms
from o2c.matching.customers import CustomerLookup, customer_keys, resolve_customer
from o2c.matching.decisions import (
    _PAYMENT_DATE,
    _REMITTANCE_REQUIRED,
    AMBIGUOUS,
    AMOUNT_MISMATCH,
    CURRENCY_MISMATCH,
    DUPLICATE_PAYMENT,
    LOW_CONFIDENCE,
    MISSING_FIELD,
    OVERPAYMENT,
    PAYMENT_BEFORE_INVOICE,
    REFERENCE_REUSED,
    UNKNOWN_CUSTOMER,
    UNMATCHED_INVOICE,
    UNREAD_COLUMN,
    UNSUPPORTED,
    RemittanceDecision,
    _jsonable,
    check_confidence,
    check_storable,
    clear_low_confidence,
    customer_evidence,
    sender_domain,
)
from o2c.matching.open_items import OpenItemLookup, _candidate, amount_only_match, match_item
from o2c.matching.policy import MatchingPolicy
from o2c.matching.remittance_evidence import SETTLING, recover_paid_amount

__all__ = ["decide_remittance", "decide_remittances", "RemittanceDecision"]


@dataclass
class _Sources:
    """Where one decision reads: per-document queries (decide_remittance) or a batch's prefetched indexes."""

    customers: CustomerLookup
    items: OpenItemLookup
    payments: SamePaymentIndex | None = None
    reuse: ReferenceReuseIndex | None = None

    @classmethod
    def for_session(cls, session: Session) -> _Sources:
        """One indexed query per look-up."""
        return cls(CustomerLookup(session), OpenItemLookup(session))


def _resolve_payer(
    session: Session,
    extraction: Extraction,
    matching: MatchingPolicy,
    decision: RemittanceDecision,
    *,
    cash_received: bool = False,
    sources: _Sources,
) -> str | None:
    remittance = extraction.remittance
    if remittance is None:
        raise InvalidInput("not a remittance advice", field="document_type")
    match = resolve_customer(
        session,
        customer_id_hint=remittance.customer_id,
        name=remittance.payer_name,
        email_domain=sender_domain(extraction.sender),
        address=None,
        policy=matching,
        lookup=sources.customers,
    )
    if match.resolved:
        return match.customer_id
    # "whoever owns the named invoices" is never evidence: invoice numbers are sequential and easy to guess.
    # The owners are shown to the reviewer, nothing more.
    references = [item.invoice_number for item in remittance.items if item.invoice_number]
    owners = {inv.customer_id for inv in sources.items.by_reference(references)}
    if cash_received and len(owners) == 1:
        return owners.pop()  # a bank credit is money already in our account: its structured reference says
        # which customer's invoice it pays (a third party paying someone's invoice loses us nothing)
    evidence = customer_evidence(match, "remittance.payer_name", remittance.payer_name)
    if owners:
        evidence["invoice_owners"] = sorted(owners)
    decision.flag(UNKNOWN_CUSTOMER, **evidence)
    return None


def _master(session: Session, customer_id: str, sources: _Sources) -> Customer:
    """The payer's master record; cached for the session (a lockbox batch decides thousands in one session)."""
    cache = session.info.setdefault("o2c.matching.customers", {})
    if customer_id not in cache:
        cache[customer_id] = sources.customers.customer(customer_id)
    return cache[customer_id]


def decide_remittance(
    session: Session,
    extraction: Extraction,
    *,
    matching: MatchingPolicy,
    ledger: LedgerPolicy,
    cash_received: bool = False,
) -> RemittanceDecision:
    """Resolve the payer and every item to an open invoice; amounts, discounts and totals must reconcile.

    cash_received: the remittance is a bank credit's own (the cash is in the account), not an advice's claim."""
    return _decide(session, extraction, matching, ledger, cash_received, _Sources.for_session(session))


def decide_remittances(
    session: Session,
    extractions: Sequence[Extraction],
    *,
    matching: MatchingPolicy,
    ledger: LedgerPolicy,
    cash_received: bool = False,
) -> list[RemittanceDecision]:
    """decide_remittance for a whole batch (a lockbox file), with set-based reads instead of per-document ones.

    The payers' master data, every invoice any item's reference, OCR or PO key could mean, the open items of
    the payers who pay by amount alone and the posted payments a repeat could match are each loaded with a few
    chunked IN queries; every rule then runs per document exactly as in decide_remittance, on those in-memory
    indexes. The decisions are those of calling decide_remittance on each document in turn with nothing posted
    in between (each sees the state at the start of the batch; post_payments re-checks every application under
    row locks)."""
    with batch_collector(CASH_BATCH):  # the batch's rows, indexes, decisions: short-lived (core/collector.py)
        return _decide_batch(session, extractions, matching, ledger, cash_received)


def _decide_batch(session, extractions, matching, ledger, cash_received) -> list[RemittanceDecision]:
    from_batch = [e.remittance for e in extractions if e.document_type == REMITTANCE_ADVICE and e.remittance]
    sources = _Sources(
        CustomerLookup(session),
        OpenItemLookup(session),
        payments := SamePaymentIndex(session, window_days=ledger.payment_duplicate_window_days),
        reuse := ReferenceReuseIndex(session),
    )
    hints, keys = set(), set()
    for extraction in extractions:
        remittance = extraction.remittance
        if extraction.document_type != REMITTANCE_ADVICE or remittance is None:
            continue
        if remittance.customer_id and remittance.customer_id.strip():
            hints.add(remittance.customer_id.strip())
        keys |= set(customer_keys(remittance.payer_name, sender_domain(extraction.sender)))
    sources.customers.prefetch(hints, keys)
    sources.items.prefetch([r.items for r in from_batch])
    payers = sources.customers.known_ids() | {
        inv.customer_id for r in from_batch for inv in sources.items.by_reference(_references(r.items))
    }
    sources.customers.prefetch_customers(payers)
    amounts = {r.amount for r in from_batch if r.amount is not None and r.amount > 0}
    payments.prefetch(payers, amounts)
    reuse.prefetch([r.payment_reference for r in from_batch if _references(r.items)])
    advices = [(e, e.remittance) for e in extractions if e.document_type == REMITTANCE_ADVICE and e.remittance]
    by_amount = [(e, r) for e, r in advices if not _has_references(r.items)]
    by_amount = [(e, r) for e, r in by_amount if r.amount and r.amount > 0]
    if by_amount:  # only these payers' open items: an amount-only payment searches its payer's open AR
        who = set()
        for e, r in by_amount:
            hint = (r.customer_id or "").strip()
            who |= sources.customers.possible_ids(hint, customer_keys(r.payer_name, sender_domain(e.sender)))
        sources.items.prefetch_open(who, max(r.amount for _, r in by_amount if r.amount))
    return [_decide(session, e, matching, ledger, cash_received, sources) for e in extractions]


def _references(items) -> list[str]:
    return [item.invoice_number for item in items if item.invoice_number]


def _has_references(items) -> bool:
    return any(item.invoice_number or item.po_number for item in items)


def _decide(
    session: Session,
    extraction: Extraction,
    matching: MatchingPolicy,
    ledger: LedgerPolicy,
    cash_received: bool,
    sources: _Sources,
) -> RemittanceDecision:
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
    check_confidence(decision, extraction, _REMITTANCE_REQUIRED, matching)
    if not check_storable(decision, extraction):
        return decision
    if any(item.discount for item in remittance.items):
        check_confidence(decision, extraction, _PAYMENT_DATE, matching, classification=False)
        _require_payment_date(decision, remittance)
    if remittance.amount is None or remittance.amount <= 0:
        decision.flag(
            MISSING_FIELD,
            field="remittance.amount",
            read=_jsonable(remittance.amount),
            rule="a positive payment amount is required",
        )
    payer = _resolve_payer(session, extraction, matching, decision, cash_received=cash_received, sources=sources)
    if payer is None:
        return decision
    decision.customer_id = payer
    master = _master(session, payer, sources)
    currency = decision.currency = remittance.currency or master.currency
    if _has_references(remittance.items):
        extraction = recover_paid_amount(extraction, sources.items, payer)
        remittance = extraction.remittance or remittance
    if remittance.amount is None or remittance.amount <= 0:
        return decision
    same = (sources.payments or SamePaymentIndex(session, window_days=ledger.payment_duplicate_window_days)).find(
        customer_id=payer,
        currency=currency,
        amount=remittance.amount,
        payment_date=remittance.payment_date,
        payment_reference=remittance.payment_reference,
        invoice_references=_references(remittance.items),
    )
    if same is not None:  # the same payment by another channel (email and upload, bank credit then advice)
        decision.duplicate_of_payment_id = same.id
        decision.flag(
            DUPLICATE_PAYMENT,
            field="remittance.payment_reference",
            read=remittance.payment_reference,
            rule=f"payment {same.id} has the same payer, amount and reference or invoice",
            original_payment_id=same.id,
        )
        return decision
    reused = (sources.reuse or ReferenceReuseIndex(session)).find(
        customer_id=payer,
        payment_reference=remittance.payment_reference,
        invoice_references=_references(remittance.items),
    )
    if reused is not None:  # re-sent after the window, corrected, or misread: not new cash (ledger/reuse.py)
        decision.flag(
            REFERENCE_REUSED,
            field="remittance.payment_reference",
            read=remittance.payment_reference,
            rule=f"payment {reused.id} ({decimal_str(reused.amount)} {reused.currency}, "
            f"{_jsonable(reused.payment_date)}) already carries this reference for an invoice named here",
            original_payment_id=reused.id,
        )
        return decision
    deductions: list[PlannedDeduction] = []
    if _has_references(remittance.items):
        applications, deductions = _by_reference(sources, extraction, payer, currency, master, decision)
        _check_unread_columns(decision, extraction, deductions)
        _check_overpayment(decision, remittance.items, applications, ledger)
        _confirmed_by_open_items(decision, remittance, applications)
    else:
        applications = _by_amount(sources, remittance.amount, payer, currency, ledger, decision)
    decision.draft = PaymentDraft(
        customer_id=payer,
        payer_name=remittance.payer_name,
        payment_date=remittance.payment_date,
        payment_reference=remittance.payment_reference,
        payment_method=remittance.payment_method,
        currency=currency,
        amount=remittance.amount,
        applications=applications,
        deductions=deductions,
        remittance_lines=[
            RemittanceLineDraft(i.invoice_number, i.amount_paid, i.discount, i.invoice_amount) for i in remittance.items
        ],
    )
    return decision


def _confirmed_by_open_items(decision: RemittanceDecision, remittance, applications) -> None:
    """Master data vouches for a low-confidence read when it settles an open invoice exactly.

    An item whose invoice number is the payer's open invoice read exactly, and whose paid amount plus discount is
    that invoice's open amount to the cent, was not misread: a wrong number would have to name another open
    invoice of this payer and a wrong amount would have to hit its open amount exactly. Its invoice number,
    paid amount and discount need no further confidence, and when every item is so confirmed and they sum to
    the payment amount, neither does the amount. Anything else (a short pay, an OCR-folded reference, a
    deduction, the payment date of a discount) keeps its low-confidence reason."""
    if not any(r == LOW_CONFIDENCE for r in decision.reasons) or len(applications) != len(remittance.items):
        return
    confirmed: set[str] = set()
    for index, (item, planned) in enumerate(zip(remittance.items, applications, strict=True)):
        if planned.rule in SETTLING and (planned.amount, planned.discount) == (item.amount_paid, item.discount or 0):
            confirmed |= {f"remittance.items[{index}].{f}" for f in ("invoice_number", "amount_paid", "discount")}
    if (
        len(confirmed) == 3 * len(remittance.items)
        and sum((i.amount_paid for i in remittance.items), Decimal("0")) == remittance.amount
    ):
        confirmed.add("remittance.amount")
    clear_low_confidence(decision, confirmed)


def _check_overpayment(
    decision: RemittanceDecision, items, applications: list[PlannedApplication], ledger: LedgerPolicy
) -> None:
    """More than the tolerance paid beyond the open items is a person's call, never silently on account.
    (Only once every item matched: an unmatched item's amount is no over-payment.)"""
    if decision.reasons:
        return
    applied = sum((a.amount for a in applications), Decimal("0"))
    amount = sum((item.amount_paid or Decimal("0") for item in items), Decimal("0"))
    if applications and amount - applied > ledger.overpayment_tolerance:
        decision.flag(
            OVERPAYMENT,
            field="remittance.amount",
            read=decimal_str(amount),
            expected=decimal_str(applied),
            rule=f"{decimal_str(amount - applied)} beyond the open items exceeds the over-payment "
            f"tolerance of {decimal_str(ledger.overpayment_tolerance)}",
        )


def _check_unread_columns(decision: RemittanceDecision, extraction: Extraction, deductions) -> None:
    """A deduction is the gap between what was paid and what is open; a money column the reader could not place
    ('Cash Disc.', 'Withholding', 'Adj') may be what explains that gap. No deduction is opened from such a
    reading: a person looks at the column (and corrects the discount, or applies the cash by hand)."""
    if not deductions:
        return
    for path, where in sorted(extraction.provenance.items()):
        if path.startswith("remittance.unread_columns["):
            decision.flag(
                UNREAD_COLUMN,
                field=path,
                read=where.get("text"),
                provenance=where,
                deductions=[
                    {"reason_code": d.reason_code, "amount": decimal_str(d.amount), "invoice_id": d.invoice_id}
                    for d in deductions
                ],
                rule="a money column no field reads may explain the short pay: no deduction from this reading",
            )


def _require_payment_date(decision: RemittanceDecision, remittance) -> None:
    """Rule 4: a missing field stops the decision that needs it. An early-pay discount is judged against the
    payment date; without one it is neither earned nor unearned, so the document goes to review."""
    if remittance.payment_date is None:
        decision.flag(
            MISSING_FIELD,
            field="remittance.payment_date",
            read=None,
            rule="a discount is taken but no payment date was read: whether it was earned cannot be judged",
        )


def _by_reference(
    sources: _Sources,
    extraction: Extraction,
    payer: str,
    currency: str,
    master: Customer,
    decision: RemittanceDecision,
) -> tuple[list[PlannedApplication], list[PlannedDeduction]]:
    remittance = extraction.remittance
    if remittance is None:
        raise InvalidInput("not a remittance advice", field="document_type")
    candidates = sources.items.candidates(payer, remittance.items)
    applications: list[PlannedApplication] = []
    deductions: list[PlannedDeduction] = []
    used: set[int] = set()
    for index, item in enumerate(remittance.items):
        path = f"remittance.items[{index}]"
        match = match_item(item, candidates)
        invoice = match.invoice
        if invoice is None:
            elsewhere = [
                _candidate(inv, "closed or another customer's")
                for inv in sources.items.by_reference([item.invoice_number] if item.invoice_number else [])
                if inv.id not in {c.id for c in candidates}
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
        planned = _plan_item(item, invoice, match.rule, master, remittance.payment_date, path, decision)
        if planned is not None:
            applications.append(planned[0])
            deductions.extend(planned[1])
    paid = sum((item.amount_paid or Decimal("0") for item in remittance.items), Decimal("0"))
    if paid != remittance.amount:
        decision.flag(
            AMOUNT_MISMATCH,
            field="remittance.amount",
            read=decimal_str(remittance.amount),
            expected=decimal_str(paid),
            rule="items must sum to the payment amount",
        )
    return applications, deductions


def _plan_item(item, invoice, rule, master, payment_date, path, decision):
    """One matched item -> (application, deductions), or None with a reason flagged.

    Exact pay (+ earned discount) applies; a short pay applies what was paid and opens a `short_payment`
    deduction; an unearned discount opens an `unearned_discount` deduction; an over-pay applies the open amount
    and leaves the excess unapplied on account. Short pays need a reference read exactly (never OCR-guessed)."""
    discount = item.discount or Decimal("0")
    if item.amount_paid < 0 or discount < 0 or item.amount_paid + discount <= 0:
        decision.flag(
            AMOUNT_MISMATCH,
            field=f"{path}.amount_paid",
            read=decimal_str(item.amount_paid),
            rule="amounts must be positive",
        )
        return None
    if payment_date is not None and payment_date < invoice.invoice_date:
        # a payment cannot settle an invoice not yet issued: the date (or the reference) was misread, and an
        # early-pay discount would be judged on it
        decision.flag(
            PAYMENT_BEFORE_INVOICE,
            field="remittance.payment_date",
            read=payment_date.isoformat(),
            expected=f">= {invoice.invoice_date.isoformat()}",
            rule=f"{invoice.invoice_number} was issued on {invoice.invoice_date.isoformat()}",
        )
        return None
    deductions: list[PlannedDeduction] = []
    allowed = Decimal("0")
    terms_text = invoice.payment_terms or master.payment_terms
    if discount > 0:
        allowed = allowed_discount(
            parse_terms(terms_text),
            invoice_date=invoice.invoice_date,
            invoice_amount=invoice.amount,
            payment_date=payment_date,
        )
    earned = min(discount, allowed)
    if item.amount_paid + earned > invoice.open_amount:
        if discount:  # a discount on top of an over-payment makes no sense: a person looks
            decision.flag(
                AMOUNT_MISMATCH,
                field=f"{path}.amount_paid",
                read=decimal_str(item.amount_paid),
                expected=decimal_str(invoice.open_amount),
                discount=decimal_str(discount),
                rule=f"paid + discount exceed the open amount of {invoice.invoice_number}",
            )
            return None
        # over-payment: settle the invoice, the excess stays on account as unapplied cash
        return PlannedApplication(invoice.id, invoice.open_amount, Decimal("0"), f"{rule}+overpayment"), []
    shortfall = invoice.open_amount - item.amount_paid - earned
    if shortfall > 0 and rule not in ("reference.exact", "reference.normalized", "po_number"):
        decision.flag(
            AMOUNT_MISMATCH,
            field=f"{path}.amount_paid",
            read=decimal_str(item.amount_paid),
            expected=decimal_str(invoice.open_amount),
            discount=decimal_str(discount),
            rule=f"a short pay needs an exact reference; {invoice.invoice_number} matched by {rule}",
        )
        return None
    if shortfall > 0 and not _row_supports_short_pay(item, invoice, discount, path, decision):
        return None
    unearned = min(discount - earned, shortfall)
    if unearned > 0:
        deductions.append(
            PlannedDeduction(
                invoice.id,
                unearned,
                UNEARNED_DISCOUNT,
                f"discount {decimal_str(discount)} taken, {decimal_str(allowed)} allowed by {terms_text!r} "
                f"(invoice {invoice.invoice_date.isoformat()}, paid {_jsonable(payment_date)})",
            )
        )
    rest = shortfall - max(unearned, Decimal("0"))
    if rest > 0:
        deductions.append(
            PlannedDeduction(
                invoice.id,
                rest,
                SHORT_PAYMENT,
                f"paid {decimal_str(item.amount_paid)} of {decimal_str(invoice.open_amount)} open",
            )
        )
    kind = rule + ("+short" if deductions else "")
    return PlannedApplication(invoice.id, item.amount_paid, earned, kind), deductions


def _row_supports_short_pay(item, invoice, discount: Decimal, path: str, decision) -> bool:
    """A deduction is opened only from a row that agrees with itself and with the ledger. A row that prints the
    invoice's amount and a discount, yet pays something else, contradicts itself (a misread amount is likelier
    than a payer who states its deductions and takes another); a printed invoice amount the ledger does not know
    says the reference or the amounts were misread. Either way a person looks, and nothing is deducted."""
    printed = item.invoice_amount
    if printed is None:
        return True
    if printed not in (invoice.amount, invoice.open_amount):
        decision.flag(
            AMOUNT_MISMATCH,
            field=f"{path}.invoice_amount",
            read=decimal_str(printed),
            expected=decimal_str(invoice.amount),
            rule=f"the advice prints {invoice.invoice_number} at another amount than the ledger's; no deduction",
        )
        return False
    if discount > 0 and printed - discount != item.amount_paid:
        decision.flag(
            AMOUNT_MISMATCH,
            field=f"{path}.amount_paid",
            read=decimal_str(item.amount_paid),
            expected=decimal_str(printed - discount),
            discount=decimal_str(discount),
            rule="the row's invoice amount - discount is not what it pays; no deduction from a row that disagrees",
        )
        return False
    return True


def _by_amount(
    sources: _Sources,
    amount: Decimal,
    payer: str,
    currency: str,
    ledger: LedgerPolicy,
    decision: RemittanceDecision,
) -> list[PlannedApplication]:
    invoices = sources.items.open_items(payer, currency, max_open=amount, limit=ledger.max_combination_candidates + 1)
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
