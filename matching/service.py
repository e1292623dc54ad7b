"""The matching façade the pipeline calls: turn an Extraction into a postable draft, or reasons for review.

Orders are decided here; remittances in matching/remittances.py (re-exported)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.errors import NotFound
from o2c.extraction.schema import PURCHASE_ORDER, Extraction
from o2c.ledger import lookups
from o2c.ledger.models import Order
from o2c.ledger.orders import DUPLICATE_ORDER, DraftLine, OrderDraft, validate_order
from o2c.ledger.policy import LedgerPolicy
from o2c.ledger.references import po_key
from o2c.matching.customers import resolve_customer
from o2c.matching.decisions import (
    LOW_CONFIDENCE,
    ORDER_REQUIRED_FIELDS,
    UNKNOWN_CUSTOMER,
    UNKNOWN_PRODUCT,
    UNSUPPORTED,
    OrderDecision,
    RemittanceDecision,
    check_confidence,
    check_page_agreement,
    check_storable,
    clear_low_confidence,
    customer_evidence,
    read_field,
    sender_domain,
)
from o2c.matching.policy import MatchingPolicy
from o2c.matching.price_evidence import confirm_by_master_prices, part_number_ties, sku_by_price
from o2c.matching.products import ProductMatch, resolve_product
from o2c.matching.remittances import decide_remittance

__all__ = ["decide_order", "decide_remittance", "OrderDecision", "RemittanceDecision", "read_field", "sender_domain"]


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
    check_confidence(decision, extraction, ORDER_REQUIRED_FIELDS, matching)
    if not check_storable(decision, extraction):
        return decision
    check_page_agreement(decision, extraction)
    customer = resolve_customer(
        session,
        customer_id_hint=order.customer_id,
        name=order.buyer_name,
        email_domain=sender_domain(extraction.sender),
        address=order.bill_to,
        policy=matching,
    )
    if not customer.resolved:
        decision.flag(UNKNOWN_CUSTOMER, **customer_evidence(customer, "order.buyer_name", order.buyer_name))
    lines, resolved = [], set()
    lookups.prefetch_products(session, {(line.sku or "").strip() for line in order.lines})
    for index, line in enumerate(order.lines):
        product = resolve_product(session, customer_id=customer.customer_id, sku=line.sku, description=line.description)
        sku_path = f"order.lines[{index}].sku"
        if (
            product.sku is not None
            and customer.customer_id
            and (product.rule or "").startswith("customer_part_number")
            and decision.flagged(LOW_CONFIDENCE, sku_path)
            and part_number_ties(
                session,
                extraction,
                index,
                product.sku,
                customer_id=customer.customer_id,
                on_date=order.order_date or today or date.today(),
                policy=matching,
            )
        ):  # master data's cross-reference names the SKU and its price ties the line: the part number is confirmed
            clear_low_confidence(decision, {sku_path})
        if product.sku is None:
            near = sku_by_price(
                session,
                extraction,
                index,
                customer_id=customer.customer_id,
                on_date=order.order_date or today or date.today(),
                policy=matching,
            )
            if near is not None:  # master data's price says which SKU the misread code is
                clear_low_confidence(decision, {f"order.lines[{index}].sku"})
                product = ProductMatch(near, "sku.misread+price", [f"sku {line.sku!r} -> {near!r} by price"])
        if product.sku is None:
            decision.flag(
                UNKNOWN_PRODUCT,
                field=f"order.lines[{index}].sku",
                read=line.sku,
                rule="; ".join(product.reasons),
                candidates=product.candidates,
            )
        else:
            resolved.add(index)
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
    if customer.customer_id is None:  # not resolved
        return decision
    decision.customer_id = customer.customer_id
    master = lookups.customer(session, customer.customer_id)
    if master is None:
        raise NotFound(f"customer {customer.customer_id} does not exist")
    decision.currency = order.currency or master.currency
    lines = confirm_by_master_prices(
        session,
        extraction,
        lines,
        customer_id=customer.customer_id,
        resolved=resolved,
        on_date=order.order_date or today or date.today(),
        decision=decision,
        policy=matching,
    )
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
    if DUPLICATE_ORDER in decision.reasons:
        decision.duplicate_of_order_id = _same_order(session, draft)
    return decision


def _same_order(session: Session, draft: OrderDraft) -> int | None:
    """The posted order this draft repeats (same customer, PO number and total), else None (a real conflict)."""
    original = session.scalar(
        select(Order).where(
            Order.customer_id == draft.customer_id,
            (Order.po_key == (po_key(draft.po_number) or None)) | (Order.po_number == draft.po_number),
        )
    )
    return original.id if original is not None and original.total == draft.lines_total() else None
