"""The embedded XML against the visible page: one warning per disagreeing field, none when they agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from extraction.schema import ExtractedOrder, Extraction, OrderLine
from extraction.structured.reconcile import order_disagreements, reconcile_with_visible


def _order(**changes) -> ExtractedOrder:
    values = {"po_number": "PO-77", "order_date": date(2026, 3, 2), "buyer_name": "Acme Industrial Supply GmbH",
              "currency": "EUR", "total": Decimal("71.70"),
              "lines": [OrderLine(sku="WID-1", quantity=Decimal("12"), unit_price=Decimal("4.25"),
                                  amount=Decimal("51.00")),
                        OrderLine(sku="BRK-2", quantity=Decimal("1"), unit_price=Decimal("20.70"),
                                  amount=Decimal("20.70"))]}
    values.update(changes)
    return ExtractedOrder(**values)


def test_agreement_gives_no_warning():
    page = _order(po_number="PO 77", buyer_name="ACME Industrial Supply", total=Decimal("71.7"))
    assert order_disagreements(_order(), page) == []


def test_each_disagreement_is_one_warning():
    page = _order(po_number="PO-78", order_date=date(2026, 3, 3), buyer_name="Globex", currency="USD",
                  total=Decimal("70.00"), lines=_order().lines[:1])
    warnings = order_disagreements(_order(), page)
    assert [w.split(":")[0].rsplit(" ", 1)[1] for w in warnings] == [
        "order.po_number", "order.order_date", "order.buyer_name", "order.currency", "order.lines", "order.total"]
    assert "XML 71.70, page 70.00" in warnings[-1]


def test_line_values_are_compared():
    lines = _order().lines
    page = _order(lines=[OrderLine(sku="WID-1", quantity=Decimal("10"), unit_price=Decimal("4.25"),
                                   amount=Decimal("51.00")), lines[1]])
    (warning,) = order_disagreements(_order(), page)
    assert "line 1 quantity: XML 12, page 10" in warning


def test_unreadable_page_is_said_once():
    extraction = Extraction(source="po.pdf", document_type="purchase_order", order=_order())
    reconcile_with_visible([extraction], None)
    assert extraction.warnings == ["visible page could not be read: the embedded XML was not cross-checked"]
