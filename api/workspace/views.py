"""What the workspace pages show, gathered from the same services the JSON API uses. No business rule here:
reasons are put in words, fields flattened for display, and a form turned back into a resolution."""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.api.routes.pages import page_count
from o2c.core.money import decimal_str
from o2c.erp.records import exception_to_dict
from o2c.extraction.models import ExtractionRecord
from o2c.intake.models import Document
from o2c.ledger import deductions as deduction_ledger
from o2c.ledger.models import BankCredit, Payment
from o2c.matching.suggestions import customer_choices, open_invoice_candidates, product_choices
from o2c.pipeline.resolutions import read_path
from o2c.review import service as review

REASON_TEXT = {
    "unknown_customer": "The buyer or payer could not be tied to one customer in master data.",
    "unknown_product": "A line's product code is not in the catalogue or the customer's part numbers.",
    "price_mismatch": "A unit price differs from the contract or list price beyond the tolerance.",
    "duplicate_order": "This PO number was already posted for the customer with a different total.",
    "credit_hold": "Posting this order would take the customer over its credit limit.",
    "unmatched_invoice": "A remittance item names an invoice that is not open for this payer.",
    "amount_mismatch": "The amounts paid do not reconcile with the invoices or the payment total.",
    "ambiguous_match": "More than one set of open invoices fits the amount; o2c will not guess.",
    "low_confidence": "Some fields were read with low confidence; check them against the page.",
    "unreadable": "The file could not be read.",
    "unsupported_document": "This is not a purchase order or a remittance advice.",
    "no_remittance": "A bank credit arrived without a remittance advice that explains it.",
    "amount_out_of_range": (
        "An amount has more digits than the ledger keeps exactly (15), or more decimals than its currency has."
    ),
    "payment_before_invoice": (
        "The payment is dated before the invoice it pays was issued: a misread date or reference."
    ),
    "payment_reference_reused": (
        "A payment already posted carries this reference for an invoice named here: a re-sent or corrected advice."
    ),
    "fractional_quantity": "A line orders a fraction of a unit that is counted in whole units (EA, PC, CS, …).",
    "unread_column": "The file has a money column o2c does not read; it may explain the short pay.",
}
WORDS = {"sku": "SKU", "po_number": "PO number", "uom": "UOM", "invoice_number": "Invoice number"}
CONFIDENCE_BANDS = ((0.9, "high"), (0.7, "medium"), (0.0, "low"))
_PATH = re.compile(r"(\w+)(?:\[(\d+)\])?")
PAGE_SIZE = 50


def reason_text(code: str) -> str:
    """A reason code in words (unknown codes shown as they are)."""
    return REASON_TEXT.get(code, code.replace("_", " ").capitalize() + ".")


def field_label(path: str) -> str:
    """order.lines[0].unit_price -> 'Line 1 · Unit price'."""
    parts = path.split(".")[1:]
    words = []
    for part in parts:
        found = _PATH.match(part)
        if found is None:  # not a field name (an empty or odd path part): shown as it is
            words.append(part)
            continue
        name, index = found.groups()
        noun = {"lines": "Line", "items": "Item"}.get(name)
        words.append(
            f"{noun} {int(index) + 1}"
            if noun and index is not None
            else WORDS.get(name, name.replace("_", " ").capitalize())
        )
    return " · ".join(words)


def band(confidence: float | None) -> str:
    """high / medium / low, for colouring a confidence."""
    value = confidence if confidence is not None else 0.0
    return next(name for floor, name in CONFIDENCE_BANDS if value >= floor)


def queue_page(
    session: Session,
    *,
    reason: str | None,
    customer_id: str | None,
    min_amount: Decimal | None,
    older_than,
    sort: str,
    page: int,
) -> dict:
    """One page of the open queue (PAGE_SIZE rows; offset paging over an indexed sort) and whether more follow."""
    items = review.list_exceptions(
        session,
        status="open",
        reason=reason,
        customer_id=customer_id,
        min_amount=min_amount,
        older_than=older_than,
        sort=sort,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    rows = [exception_to_dict(i) for i in items[:PAGE_SIZE]]
    for row in rows:
        row["reason_words"] = [reason_text(r) for r in row["reasons"]]
    return {"rows": rows, "has_next": len(items) > PAGE_SIZE, "page": page}


def _flatten(part_name: str, part: dict) -> list[str]:
    paths = []
    for key, value in part.items():
        if key == "customer_id":
            continue
        if isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, dict):
                    paths += [f"{part_name}.{key}[{i}].{k}" for k in entry]
        elif not isinstance(value, dict):
            paths.append(f"{part_name}.{key}")
    return paths


def fields_of(record: ExtractionRecord, flagged: set[str]) -> tuple[str | None, list[dict]]:
    """(part name, every field with value, confidence band and provenance) of an extraction."""
    payload = record.payload or {}
    part_name = "order" if payload.get("order") else "remittance" if payload.get("remittance") else None
    if part_name is None:
        return None, []
    confidence, provenance = payload.get("confidence") or {}, payload.get("provenance") or {}
    fields = []
    for path in _flatten(part_name, payload[part_name]):
        where = provenance.get(path) or {}
        value = read_path(payload, path)
        fields.append(
            {
                "path": path,
                "label": field_label(path),
                "value": "" if value is None else str(value),
                "confidence": confidence.get(path),
                "band": band(confidence.get(path)),
                "page": where.get("page"),
                "text": where.get("text"),
                "ocr": where.get("ocr"),
                "source": "page" if where.get("page") else "email part" if where.get("part") else None,
                "flagged": path in flagged,
                "multiline": isinstance(value, str) and "\n" in value,
            }
        )
    return part_name, fields


def changes_from_form(record: ExtractionRecord, form: dict[str, str]) -> dict:
    """The reviewer's field form as `correct` changes: every field shown is confirmed (so it counts as certain),
    and the edited ones take the new value. Only fields the extraction has are accepted."""
    payload = record.payload or {}
    part_name, fields = fields_of(record, set())
    if part_name is None:
        return {}
    part = copy.deepcopy(payload[part_name])
    touched: set[str] = set()
    for item in fields:
        key = "f." + item["path"]
        if key not in form:
            continue
        value = form[key].strip() or None
        names = _PATH.findall(item["path"])[1:]
        target = part
        for name, index in names[:-1]:
            target = target[name][int(index)] if index else target[name]
        target[names[-1][0]] = value
        touched.add(names[0][0])
    return {part_name: {key: part[key] for key in sorted(touched)}}


def applications_from_form(form: dict[str, str]) -> list[dict]:
    """The apply-cash form's amounts (fields `apply.<invoice number>`) as applications; empty and zero left out."""
    applications = []
    for key, raw in form.items():
        if not key.startswith("apply.") or not raw.strip():
            continue
        try:
            amount = Decimal(raw.strip().replace(",", ""))
        except InvalidOperation:
            applications.append({"invoice_number": key[6:], "amount": raw})  # the ledger rule names it
            continue
        if amount != 0:
            applications.append({"invoice_number": key[6:], "amount": decimal_str(amount)})
    return applications


def exception_page(ctx, session: Session, exception_id: int) -> dict:
    """Everything the exception page shows: the item, the document's pages, fields, evidence, candidates,
    cash to apply, the bank credit (if it is one) and the audit trail."""
    item = review.get_exception(session, exception_id)
    data = exception_to_dict(item)
    document = session.get(Document, item.document_id)
    record = session.get(ExtractionRecord, item.extraction_id) if item.extraction_id else None
    evidence = item.evidence or []
    flagged = {e.get("field") for e in evidence if e.get("field")}
    part_name, fields = fields_of(record, flagged) if record is not None else (None, [])
    payload = record.payload if record is not None else {}
    pages = page_count(ctx.store.get(document.sha256), document.media_type) if document else 0
    first_page = next((f["page"] for f in fields if f["flagged"] and f["page"]), 1)
    credit = session.scalar(select(BankCredit).where(BankCredit.review_item_id == item.id))
    remittance = (payload or {}).get("remittance") or {}
    payment_amount = remittance.get("amount") if remittance else None
    references, amounts = [i.get("invoice_number") for i in remittance.get("items") or []], []
    for i in remittance.get("items") or []:
        try:
            amounts.append(Decimal(str(i.get("amount_paid"))))
        except (InvalidOperation, TypeError):
            continue
    currency = item.currency or remittance.get("currency")
    if credit is not None:
        payment_amount, currency = decimal_str(credit.amount), credit.currency
        references = [r.get("reference") for r in credit.remittance_references or [] if isinstance(r, dict)]
        amounts = [credit.amount]
    is_cash = credit is not None or part_name == "remittance"
    customer_id = (
        item.customer_id
        or (credit.customer_id if credit is not None else None)
        or ((payload.get(part_name) or {}).get("customer_id") if part_name else None)
    )
    invoices = (
        open_invoice_candidates(
            session, customer_id=customer_id, currency=currency, references=references, amounts=amounts
        )
        if is_cash
        else []
    )
    unknown_lines = [e for e in evidence if e.get("reason") == "unknown_product"]
    for entry in unknown_lines:
        match = re.search(r"\[(\d+)\]", entry.get("field") or "")
        entry["line"] = int(match.group(1)) if match else None
    payment = session.scalar(select(Payment).where(Payment.source_extraction_id == record.id)) if record else None
    deductions = []
    if payment is not None:
        deductions = [
            d for d in deduction_ledger.list_deductions(session, status=None, limit=50) if d["payment_id"] == payment.id
        ]
    return {
        "item": data,
        "document": document,
        "record": record,
        "part": part_name,
        "fields": fields,
        "pages": pages,
        "first_page": first_page,
        "flagged_on_page": sorted(f["path"] for f in fields if f["flagged"] and f["page"] == first_page),
        "evidence": [
            dict(
                e,
                words=reason_text(e.get("reason") or ""),
                label=field_label(e["field"]) if "." in (e.get("field") or "") else e.get("field"),
            )
            for e in evidence
        ],
        "reasons": [(r, reason_text(r)) for r in item.reasons or []],
        "unknown_lines": unknown_lines,
        "customer_candidates": [
            c for e in evidence if e.get("reason") == "unknown_customer" for c in e.get("candidates") or []
        ],
        "customers": customer_choices(session),
        "products": product_choices(session) if part_name == "order" else [],
        "is_cash": is_cash,
        "payment_amount": payment_amount,
        "currency": currency,
        "invoices": invoices,
        "customer_id": customer_id,
        "credit": credit,
        "deductions": deductions,
        "has_price_mismatch": "price_mismatch" in (item.reasons or []),
        "open": item.status in review.OPEN_STATES,
        "trail": [
            {"at": e.at, "kind": e.kind, "actor": e.actor, "payload": e.payload}
            for e in review.audit_trail(session, exception_id)
        ],
    }
