"""Reviewer resolutions: record the decision, then put the business document back on the road exactly where an
automatic decision would have taken it, so the same ledger rules judge it. What a reviewer chose is learned."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.db import unit_of_work
from o2c.core.errors import O2CError
from o2c.core.events import Event, record_event
from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord
from o2c.extraction.schema import PURCHASE_ORDER, REMITTANCE_ADVICE, Extraction
from o2c.ledger import bank as bank_ledger
from o2c.ledger import deductions as deduction_ledger
from o2c.ledger.cash import PlannedApplication
from o2c.ledger.models import BankCredit
from o2c.matching.bank import POST, BankCreditDecision
from o2c.pipeline.decide import ReviewedCash, decide_in_session
from o2c.pipeline.documents import PipelineContext, document_outcomes
from o2c.pipeline.outcomes import REJECTED, Outcome, conclude
from o2c.pipeline.statements import apply_credit_decision
from o2c.review import learning
from o2c.review import service as review
from o2c.review.errors import InvalidResolution, NotApplicable
from o2c.review.models import ExceptionItem

RERUN = {"correct", "choose_customer", "choose_product", "choose_invoice", "approve_price"}
CASH = {"apply_cash", "on_account"}
BANK_CREDIT_ACTIONS = {"apply_cash", "on_account", "return"}  # cash that arrived is never just dismissed
_PATH_PART = re.compile(r"(\w+)(?:\[(\d+)\])?")


def resolve_exception(
    ctx: PipelineContext, exception_id: int, resolution: review.Resolution, *, reviewer: str
) -> dict[str, Any]:
    """Record a reviewer's decision and put the document back on the road exactly where automation would.

    The resolution and its re-decision commit together or not at all: when the ledger refuses the posting (a
    rule broken, a lost race), nothing of the resolution stays, the exception stays open with the refusal in
    its evidence, and the error (naming the rule) goes back to the reviewer."""
    try:
        return _resolve(ctx, exception_id, resolution, reviewer=reviewer)
    except O2CError as exc:
        if resolution.action in RERUN | CASH and getattr(exc, "status", 400) == 409:
            _note_refusal(ctx, exception_id, resolution, exc, reviewer)
        raise


def _note_refusal(
    ctx: PipelineContext, exception_id: int, resolution: review.Resolution, exc: O2CError, reviewer: str
) -> None:
    """The re-decision was refused: the (still open) exception shows which rule, for the next look."""
    with unit_of_work(ctx.session_factory) as session:
        item = session.get(ExceptionItem, exception_id)
        if item is None:
            return
        refusal = {
            "reason": exc.code,
            "field": "ledger",
            "read": exc.message,
            "rule": (type(exc).__doc__ or "").strip(),
            "action": resolution.action,
        }
        item.evidence = [*(item.evidence or []), refusal]
        record_event(
            session,
            "resolution.refused",
            "exception",
            item.id,
            actor=reviewer,
            action=resolution.action,
            rule=exc.code,
            message=exc.message,
        )


def _resolve(
    ctx: PipelineContext, exception_id: int, resolution: review.Resolution, *, reviewer: str
) -> dict[str, Any]:
    with unit_of_work(ctx.session_factory) as session:
        item = review.record_resolution(session, exception_id, resolution, reviewer=reviewer)
        extraction_id, document_id = item.extraction_id, item.document_id
        record = session.get(ExtractionRecord, extraction_id, with_for_update=True) if extraction_id else None
        credit = bank_ledger.credit_for_review_item(session, item.id) if record is None else None
        if credit is not None:
            return _decide_bank_credit(ctx, session, item, credit, resolution, reviewer)
        if resolution.action == "return":
            raise NotApplicable(
                f"exception {exception_id} holds no bank credit to return", rule="only bank credits are returned"
            )
        if record is None and resolution.action not in ("reject", "dismiss"):
            raise NotApplicable(
                f"exception {exception_id} has no business document to {resolution.action}; reject or dismiss it"
            )
        policy_ctx, reviewed = ctx, None
        if record is not None and resolution.action in RERUN:  # (record is None only to reject or dismiss)
            changes = _changes(session, item, record, resolution, reviewer)
            _apply_changes(session, item, record, changes, reviewer, certain=_named_cells(resolution, changes))
            if resolution.action == "approve_price":
                policy_ctx = _with_price_override(ctx, item)
        elif record is not None and resolution.action in CASH:
            reviewed = _reviewed_cash(session, item, record, resolution, reviewer)
        elif record is not None and resolution.action == "dismiss":
            conclude(
                record,
                BusinessDocumentStatus.OTHER,
                Outcome(status=REJECTED, reasons=["unsupported_document"], exception_id=item.id),
            )
        elif record is not None:
            conclude(
                record,
                BusinessDocumentStatus.REJECTED,
                Outcome(status=REJECTED, reasons=item.reasons, exception_id=item.id),
            )
        if record is not None and resolution.action in RERUN | CASH:
            session.flush()  # same transaction: all or nothing
            decide_in_session(policy_ctx, session, record, actor=reviewer, reviewed=reviewed)
    outcomes = document_outcomes(ctx, document_id)
    return next((o for o in outcomes if o.get("extraction_id") == extraction_id), outcomes[0] if outcomes else {})


def _changes(
    session: Session, item: ExceptionItem, record: ExtractionRecord, resolution: review.Resolution, reviewer: str
) -> dict[str, Any]:
    """The extraction fields this resolution sets; a choice of candidate is also learned for next time."""
    payload, action = record.payload, resolution.action
    if action == "correct":
        return resolution.changes or {}
    if action == "choose_customer":
        if resolution.customer_id is None:  # record_resolution requires it
            raise InvalidResolution("action 'choose_customer' needs customer_id", fields=["customer_id"])
        learning.require_customer(session, resolution.customer_id)
        part = "order" if record.document_type == PURCHASE_ORDER else "remittance"
        name_field = "buyer_name" if part == "order" else "payer_name"
        learning.learn_customer_alias(
            session,
            name=(payload.get(part) or {}).get(name_field),
            customer_id=resolution.customer_id,
            reviewer=reviewer,
            exception_id=item.id,
        )
        return {part: {"customer_id": resolution.customer_id}}
    if action == "choose_product":
        lines = list(_part(payload, PURCHASE_ORDER, record).get("lines") or [])
        if resolution.line is None or resolution.sku is None:  # record_resolution requires them
            raise InvalidResolution("action 'choose_product' needs line, sku", fields=["line", "sku"])
        if not 0 <= resolution.line < len(lines):
            raise InvalidResolution(f"the order has no line {resolution.line}", field="line")
        learning.require_product(session, resolution.sku)
        learning.learn_part_number(
            session,
            customer_id=_customer_of(item, payload, "order"),
            part_number=lines[resolution.line].get("sku"),
            sku=resolution.sku,
            reviewer=reviewer,
            exception_id=item.id,
        )
        lines[resolution.line] = {**lines[resolution.line], "sku": resolution.sku}
        return {"order": {"lines": lines}}
    if action == "choose_invoice":
        items = list(_part(payload, REMITTANCE_ADVICE, record).get("items") or [])
        if resolution.item is None or resolution.invoice_number is None:  # record_resolution requires them
            raise InvalidResolution(
                "action 'choose_invoice' needs item, invoice_number", fields=["item", "invoice_number"]
            )
        if not 0 <= resolution.item < len(items):
            raise InvalidResolution(f"the remittance has no item {resolution.item}", field="item")
        invoice = learning.require_invoice(session, resolution.invoice_number)
        learning.learn_reference(
            session,
            customer_id=invoice.customer_id,
            reference=items[resolution.item].get("invoice_number"),
            invoice_number=invoice.invoice_number,
            reviewer=reviewer,
            exception_id=item.id,
        )
        items[resolution.item] = {**items[resolution.item], "invoice_number": invoice.invoice_number}
        return {"remittance": {"items": items}}
    return {}  # approve_price changes no field: the price read stands


def _part(payload: dict, document_type: str, record: ExtractionRecord) -> dict:
    if record.document_type != document_type:
        raise NotApplicable(f"this resolution needs a {document_type}, not a {record.document_type}")
    return payload.get("order" if document_type == PURCHASE_ORDER else "remittance") or {}


def _customer_of(item: ExceptionItem, payload: dict, part: str) -> str | None:
    return item.customer_id or (payload.get(part) or {}).get("customer_id")


def _named_cells(resolution: review.Resolution, changes: dict[str, Any]) -> list[str]:
    """The cells a resolution names (only these become certain): one SKU, one invoice reference, the customer;
    a correction names every cell it sets."""
    if resolution.action == "choose_product":
        return [f"order.lines[{resolution.line}].sku"]
    if resolution.action == "choose_invoice":
        return [f"remittance.items[{resolution.item}].invoice_number"]
    return _paths(changes)


def _apply_changes(
    session: Session,
    item: ExceptionItem,
    record: ExtractionRecord,
    changes: dict[str, Any],
    reviewer: str,
    *,
    certain: list[str],
) -> None:
    """Merge the changes, mark the cells the reviewer named certain (no other: a shaky quantity on another line
    still blocks), mark the document undecided, audit before/after."""
    paths = _paths(changes)
    before = {path: read_path(record.payload, path) for path in paths}
    corrected = merge_corrections(record.payload, changes)
    corrected["confidence"] = {**corrected.get("confidence", {}), **{path: 1.0 for path in certain}}
    record.payload = corrected
    record.move_to(BusinessDocumentStatus.EXTRACTED)
    changed = [
        {"field": p, "before": before[p], "after": read_path(corrected, p)}
        for p in paths
        if before[p] != read_path(corrected, p)
    ]
    record_event(
        session, "extraction.corrected", "exception", item.id, actor=reviewer, extraction_id=record.id, changed=changed
    )


def _with_price_override(ctx: PipelineContext, item: ExceptionItem) -> PipelineContext:
    """The same rules with the tolerance widened just enough for the prices the reviewer approved."""
    differences = [
        abs(Decimal(str(e["difference"])))
        for e in item.evidence or []
        if e.get("reason") == "price_mismatch" and e.get("difference") is not None
    ]
    if not differences:
        raise NotApplicable("there is no price mismatch to approve", rule="approve_price needs a price_mismatch")
    widened = max([ctx.ledger.price_tolerance_abs, *differences])
    # the reviewer approved these prices: the per-line cap (which only ever narrows the tolerance) is lifted too
    return dataclasses.replace(
        ctx, ledger=dataclasses.replace(ctx.ledger, price_tolerance_abs=widened, price_tolerance_line_cap=None)
    )


def _reviewed_cash(
    session: Session,
    item: ExceptionItem,
    record: ExtractionRecord,
    resolution: review.Resolution,
    reviewer: str,
) -> ReviewedCash:
    """A cash decision on an advice: the payer (and the customer's currency when none was read) amended on the
    stored extraction, the reviewer's applications (or none: on account) for the decide step to post."""
    _part(record.payload, REMITTANCE_ADVICE, record)
    remittance = Extraction.from_contract(record.payload).remittance
    if remittance is None:
        raise NotApplicable("the remittance was not read; correct it first", rule="a payment needs its remittance")
    customer_id = resolution.customer_id or item.customer_id
    if not customer_id:
        raise InvalidResolution("the payer is unknown: give customer_id", fields=["customer_id"])
    customer = learning.require_customer(session, customer_id)
    if remittance.amount is None or remittance.amount <= 0:
        raise NotApplicable("the payment amount was not read; correct it first", rule="a payment must be positive")
    if resolution.customer_id and resolution.customer_id != item.customer_id:
        learning.learn_customer_alias(
            session, name=remittance.payer_name, customer_id=customer_id, reviewer=reviewer, exception_id=item.id
        )
    plans = (
        [_plan(session, entry) for entry in (resolution.applications or [])]
        if resolution.action == "apply_cash"
        else []
    )
    changes = {"remittance": {"customer_id": customer_id, "currency": remittance.currency or customer.currency}}
    _apply_changes(session, item, record, changes, reviewer, certain=_paths(changes))
    return ReviewedCash(action=resolution.action, exception_id=item.id, applications=tuple(plans))


def _decide_bank_credit(
    ctx: PipelineContext,
    session: Session,
    item: ExceptionItem,
    credit: BankCredit,
    resolution: review.Resolution,
    reviewer: str,
) -> dict[str, Any]:
    """A bank credit in review: apply it to invoices, put it on a customer's account, or return it to the payer
    (money that arrived is never rejected or dismissed); the same ledger rules as automatic matching."""
    if resolution.action not in BANK_CREDIT_ACTIONS:
        raise NotApplicable(
            f"a bank credit cannot be resolved with {resolution.action}",
            rule="a bank credit is applied, put on account or returned",
        )
    if resolution.action == "return":
        bank_ledger.return_credit(session, credit, reason=resolution.note or "")
    elif resolution.action in CASH:
        customer_id = resolution.customer_id or item.customer_id or credit.customer_id
        if not customer_id:
            raise InvalidResolution("the payer is unknown: give customer_id", fields=["customer_id"])
        learning.require_customer(session, customer_id)
        plans = (
            [_plan(session, entry) for entry in resolution.applications or []]
            if resolution.action == "apply_cash"
            else []
        )
        decision = BankCreditDecision(
            action=POST,
            rule="manual" if resolution.action == "apply_cash" else "on_account",
            draft=bank_ledger.credit_draft(credit, customer_id=customer_id, applications=plans),
            customer_id=customer_id,
        )
        apply_credit_decision(ctx, session, credit, decision, actor=reviewer)  # the decide step's own ending
    record_event(
        session,
        "bank_credit.resolved",
        "exception",
        item.id,
        actor=reviewer,
        credit_id=credit.id,
        action=resolution.action,
        status=credit.status,
        payment_id=credit.payment_id,
    )
    return {
        "exception_id": item.id,
        "document_id": item.document_id,
        "document_type": "bank_credit",
        "status": "posted" if credit.payment_id else credit.status,
        "bank_status": credit.status,
        "credit_id": credit.id,
        "customer_id": credit.customer_id,
        "payment_id": credit.payment_id,
        "reasons": [],
        "applications": [],
    }


def settle_deduction(
    ctx: PipelineContext, deduction_id: int, *, outcome: str, reason_code: str, note: str | None, reviewer: str
) -> dict[str, Any]:
    """A reviewer settles a deduction (write_off, credit_memo, rebill, dispute) with a reason code; audited."""
    with unit_of_work(ctx.session_factory) as session:
        settled = deduction_ledger.settle_deduction(
            session, deduction_id, outcome=outcome, reason_code=reason_code, note=note, today=ctx.posting_date()
        )
        record_event(
            session, "deduction.settled", "deduction", deduction_id, actor=reviewer, note=note, **settled.as_dict()
        )
        return settled.as_dict()


def deduction_trail(session: Session, deduction_id: int) -> list[dict[str, Any]]:
    """Who settled a deduction, when, how and why, oldest first."""
    events = session.scalars(
        select(Event).where(Event.subject_type == "deduction", Event.subject_id == deduction_id).order_by(Event.id)
    )
    return [
        {"id": e.id, "at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "payload": e.payload} for e in events
    ]


def _plan(session: Session, entry: dict) -> PlannedApplication:
    try:
        amount = Decimal(str(entry["amount"]))
        discount = Decimal(str(entry.get("discount") or "0"))
    except (KeyError, InvalidOperation) as exc:
        raise InvalidResolution(
            f"an application needs invoice_number and a decimal amount: {entry}", field="applications"
        ) from exc
    invoice = learning.require_invoice(session, str(entry.get("invoice_number") or ""))
    return PlannedApplication(invoice.id, amount, discount, "manual")


def merge_corrections(payload: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge a reviewer's corrected fields into an extraction's JSON (lists are replaced whole)."""
    merged = dict(payload)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_corrections(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_path(payload: Any, path: str) -> Any:
    """The value at a field path such as order.lines[0].quantity (None when absent)."""
    value = payload
    for name, index in _PATH_PART.findall(path):
        value = value.get(name) if isinstance(value, dict) else None
        if value is not None and index:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        if value is None:
            return None
    return value


def _paths(changes: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, value in changes.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            paths += _paths(value, path + ".")
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                paths += _paths(entry, f"{path}[{i}].") if isinstance(entry, dict) else [f"{path}[{i}]"]
        else:
            paths.append(path)
    return paths
