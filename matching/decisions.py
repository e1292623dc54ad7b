"""What matching decides, shared by orders and remittances: reason codes, decision objects, confidence checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.core.currencies import in_minor_units, minor_units
from o2c.core.money import decimal_str, storable
from o2c.extraction.schema import Extraction
from o2c.ledger.cash import PaymentDraft
from o2c.ledger.orders import OrderDraft
from o2c.matching.customers import CustomerMatch
from o2c.matching.policy import MatchingPolicy

LOW_CONFIDENCE, UNSUPPORTED = "low_confidence", "unsupported_document"
UNKNOWN_CUSTOMER, UNKNOWN_PRODUCT, MISSING_FIELD = "unknown_customer", "unknown_product", "missing_field"
UNMATCHED_INVOICE, AMOUNT_MISMATCH, AMBIGUOUS = "unmatched_invoice", "amount_mismatch", "ambiguous_match"
CURRENCY_MISMATCH, UNEARNED_DISCOUNT = "currency_mismatch", "unearned_discount"
DUPLICATE_ORDER = "duplicate_order"
AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
PAYMENT_BEFORE_INVOICE = "payment_before_invoice"
REFERENCE_REUSED = "payment_reference_reused"  # ledger/reuse.py: this reference already paid one of the invoices
PAGE_DISAGREES, OVERPAYMENT, DUPLICATE_PAYMENT = "xml_page_mismatch", "overpayment", "duplicate_payment"
UNREAD_COLUMN = "unread_column"  # a table's money column no field reads (extraction/structured/tabular.py)
# a visible page that disagrees with its embedded XML on money, a quantity or an id (extraction/structured/
# reconcile.py words the warning); the buyer's spelling and the date stay warnings
_PAGE_DISAGREEMENT = re.compile(
    r"visible page disagrees with embedded XML on order\.(po_number|currency|lines|total): "
    r"(.*)"
)

# Fields whose misreading could post something wrong. Left out because a later check verifies them: names and
# printed customer ids (customer resolution: exact key, or fuzzy score plus margin), currencies (customer and
# invoice currency checks), and a remittance's payment date unless a discount is taken (the discount window).
ORDER_REQUIRED_FIELDS = re.compile(
    r"order\.(po_number|order_date|total|lines\[\d+\]\.(sku|quantity|unit_price|amount))"
)
_REMITTANCE_REQUIRED = re.compile(
    r"remittance\.(amount|"
    r"items\[\d+\]\.(invoice_number|amount_paid|discount|po_number))"
)
_PAYMENT_DATE = re.compile(r"remittance\.payment_date")
# amounts of money (not unit prices or quantities, which may carry more decimals than the currency)
# (an order line's amount may be computed from qty x price: the ledger rounds it, so only the printed totals)
_MONEY_FIELD = re.compile(
    r"^(order\.(total|subtotal|tax)|remittance\.(amount|items\[\d+\]\.(amount_paid|discount|invoice_amount)))$"
)
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

    def flagged(self, reason: str, field_path: str | None) -> bool:
        """True when this reason was already raised for this field."""
        return any(e["reason"] == reason and e.get("field") == field_path for e in self.evidence)


@dataclass
class OrderDecision(_Decision):
    """What matching decided for a purchase order: a draft to post, or the reasons and evidence for review."""

    draft: OrderDraft | None = None
    # the same customer + PO + total was posted before (another channel, other bytes): the original order
    duplicate_of_order_id: int | None = None

    @property
    def postable(self) -> bool:
        """True when nothing stands in the way of posting."""
        return not self.reasons and self.draft is not None


@dataclass
class RemittanceDecision(_Decision):
    """What matching decided for a remittance advice: a payment draft with its applications, or reasons."""

    draft: PaymentDraft | None = None
    # the same payment was posted before (another channel): the original payment
    duplicate_of_payment_id: int | None = None

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


def check_confidence(
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


def clear_low_confidence(decision: _Decision, confirmed: set[str]) -> None:
    """Drop the low-confidence reasons of fields independent evidence confirmed (the reason goes when none is left)."""
    kept = [e for e in decision.evidence if not (e["reason"] == LOW_CONFIDENCE and e.get("field") in confirmed)]
    if len(kept) == len(decision.evidence):
        return
    decision.evidence = kept
    if not any(e["reason"] == LOW_CONFIDENCE for e in kept):
        decision.reasons = [r for r in decision.reasons if r != LOW_CONFIDENCE]


def check_storable(decision: _Decision, extraction: Extraction) -> bool:
    """An amount or quantity the ledger cannot keep exactly (more than 15 significant digits: a misread, a merged
    column, or an adversary) stops the document: it is never posted rounded, and no lookup is made with it (the
    caller returns the decision at once on False). So does a printed amount with more decimals than its currency
    has (4,000.005 USD: a misread, or a sub-cent posting). The amount at risk is dropped when it is such a value, so the
    exception itself can be stored."""
    storable_amounts = True
    found = [(path, value, storable(value)) for path, value in _decimal_fields(extraction)]  # one walk, one check
    for path, value, kept in found:
        if not kept:
            decision.flag(
                AMOUNT_OUT_OF_RANGE,
                field=path,
                read=_jsonable(value) if value.is_finite() else str(value),
                provenance=extraction.provenance.get(path),
                rule="at most 15 significant digits, 15 before the point",
            )
            storable_amounts = False
    currency = _document_currency(extraction)
    for path, value, kept in found:
        if kept and _MONEY_FIELD.search(path) and not in_minor_units(value, currency):
            decision.flag(
                AMOUNT_OUT_OF_RANGE,
                field=path,
                read=_jsonable(value),
                provenance=extraction.provenance.get(path),
                rule=f"an amount in {currency or 'an unread currency'} has at most {minor_units(currency)} decimals",
            )
            storable_amounts = False
    if decision.amount_at_risk is not None and not storable(decision.amount_at_risk):
        decision.amount_at_risk = None
    return storable_amounts


def _document_currency(extraction: Extraction) -> str | None:
    root = extraction.order if extraction.order is not None else extraction.remittance
    return getattr(root, "currency", None)


def _decimal_fields(extraction: Extraction) -> list[tuple[str, Decimal]]:
    found: list[tuple[str, Decimal]] = []
    for root_name in ("order", "remittance"):
        root = getattr(extraction, root_name, None)
        if root is not None:
            _walk_decimals(root, root_name, found)
    return found


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # dataclass type -> its field names (fields() is slow per call)


def _walk_decimals(value: Any, path: str, found: list[tuple[str, Decimal]]) -> None:
    if isinstance(value, Decimal):
        found.append((path, value))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_decimals(item, f"{path}[{index}]", found)
    elif value is None or isinstance(value, str | int | date):  # the leaves a document holds besides Decimal
        return
    elif isinstance(value, type):
        if is_dataclass(value):  # a class, not an instance: walk it as fields() would
            for f in fields(value):
                _walk_decimals(getattr(value, f.name), f"{path}.{f.name}", found)
    else:
        kind = type(value)
        names = _FIELD_NAMES.get(kind)
        if names is None:
            names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value)) if is_dataclass(value) else ()
        for name in names:
            child = getattr(value, name)
            if child is not None and type(child) is not str:  # most fields: no call for a leaf without money
                _walk_decimals(child, f"{path}.{name}", found)


def check_page_agreement(decision: _Decision, extraction: Extraction) -> None:
    """An Order-X/Factur-X whose visible page disagrees with its XML on money, quantity or an id is an exception
    (the person who signed the page and the system that wrote the XML must agree before anything posts)."""
    for warning in extraction.warnings:
        found = _PAGE_DISAGREEMENT.match(warning)
        if found and "not found on the page" not in found.group(2):
            decision.flag(
                PAGE_DISAGREES,
                field=f"order.{found.group(1)}",
                read=found.group(2),
                rule="the visible page must agree with the embedded XML on money, quantities and ids",
            )


def sender_domain(sender: str | None) -> str | None:
    """The domain of a sender address ('Ann <ann@acme.com>' -> 'acme.com')."""
    found = re.search(r"@([\w.-]+)", sender or "")
    return found.group(1).lower().rstrip(".") if found else None


def customer_evidence(match: CustomerMatch, field_path: str, read: str | None) -> dict:
    return {
        "field": field_path,
        "read": read,
        "rule": "; ".join(match.reasons),
        "candidates": match.candidates,
    }
