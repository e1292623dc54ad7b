"""The embedded XML against the visible page: one warning per disagreeing field, none when they agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c.extraction.pages import read_text_layer
from o2c.extraction.schema import ExtractedOrder, Extraction, OrderLine
from o2c.extraction.service import ExtractionLimits, extract_document, extract_pages, read_pages
from o2c.extraction.structured.reconcile import order_disagreements, reconcile_with_visible
from tests.conftest import SHARED

ORDER_X = SHARED / "external" / "purchase_orders" / "order_x"
MUSTANG = ORDER_X / "mustang_ORDER-X_EX01_ORDER_FULL_DATA-COMFORT.pdf"
HORSTOEKO = [ORDER_X / "horstoeko_reader-order-x-comfort.pdf", ORDER_X / "horstoeko_reader-order-x-extended.pdf"]


def _order(**changes) -> ExtractedOrder:
    values = {
        "po_number": "PO-77",
        "order_date": date(2026, 3, 2),
        "buyer_name": "Acme Industrial Supply GmbH",
        "currency": "EUR",
        "total": Decimal("71.70"),
        "lines": [
            OrderLine(sku="WID-1", quantity=Decimal("12"), unit_price=Decimal("4.25"), amount=Decimal("51.00")),
            OrderLine(sku="BRK-2", quantity=Decimal("1"), unit_price=Decimal("20.70"), amount=Decimal("20.70")),
        ],
    }
    values.update(changes)
    return ExtractedOrder(**values)


def test_agreement_gives_no_warning():
    page = _order(po_number="PO 77", buyer_name="ACME Industrial Supply", total=Decimal("71.7"))
    assert order_disagreements(_order(), page) == []


def test_each_disagreement_is_one_warning():
    page = _order(
        po_number="PO-78",
        order_date=date(2026, 3, 3),
        buyer_name="Globex",
        currency="USD",
        total=Decimal("70.00"),
        lines=_order().lines[:1],
    )
    warnings = order_disagreements(_order(), page)
    assert [w.split(":")[0].rsplit(" ", 1)[1] for w in warnings] == [
        "order.po_number",
        "order.order_date",
        "order.buyer_name",
        "order.currency",
        "order.lines",
        "order.total",
    ]
    assert "XML 71.70, page 70.00" in warnings[-1]


def test_line_values_are_compared():
    lines = _order().lines
    page = _order(
        lines=[
            OrderLine(sku="WID-1", quantity=Decimal("10"), unit_price=Decimal("4.25"), amount=Decimal("51.00")),
            lines[1],
        ]
    )
    (warning,) = order_disagreements(_order(), page)
    assert "line 1 quantity: XML 12, page 10" in warning


def test_unreadable_page_is_said_once():
    extraction = Extraction(source="po.pdf", document_type="purchase_order", order=_order())
    reconcile_with_visible([extraction], None)
    assert extraction.warnings == ["visible page could not be read: the embedded XML was not cross-checked"]


def _line_values(order: ExtractedOrder) -> list[tuple]:
    return [(line.quantity, line.unit_price, line.amount) for line in order.lines]


@pytest.mark.skipif(not MUSTANG.exists(), reason="../shared/external is not present")
def test_order_x_visible_page_agrees_with_its_xml():
    """Mustang's Order-X sample prints its order legibly (text layer, two pages): the page reads as the XML says.

    The page is read by the generic layout reader alone: 'PURCHASE ORDER ID:' and 'BUYER:' labels, a line table
    whose header cells wrap over up to three lines ('Net Unit / Price', 'Requested / (A)greed Qty'), rows several
    lines tall with references printed between them, a gross price beside the net one and a price base quantity
    (20,00 for 2 units is 10.00 a unit, as the XML reader also gives it).
    """
    content = MUSTANG.read_bytes()
    (extraction,) = extract_document(content, filename=MUSTANG.name)
    assert extraction.channel == "structured"
    assert [w for w in extraction.warnings if w.startswith("visible page")] == []

    visible = extract_pages(read_pages(content, "application/pdf", ExtractionLimits()), source=MUSTANG.name, part=None)
    xml, page = extraction.order, visible.order
    assert visible.document_type == "purchase_order" and visible.channel == "digital"
    assert (
        (page.po_number, page.order_date, page.buyer_name, page.currency, page.total)
        == (xml.po_number, xml.order_date, xml.buyer_name, xml.currency, xml.total)
        == ("PO123456789", date(2020, 3, 31), "BUYER_NAME", "EUR", Decimal("360.00"))
    )
    assert (
        _line_values(page)
        == _line_values(xml)
        == [
            (Decimal("6"), Decimal("10"), Decimal("60")),
            (Decimal("10"), Decimal("10"), Decimal("100")),
            (Decimal("6"), Decimal("25"), Decimal("150")),
        ]
    )
    assert (page.subtotal, page.tax) == (Decimal("310.00"), Decimal("60.00"))
    assert not [w for w in visible.warnings if " x " in w or "sum to" in w]  # the page is self-consistent


@pytest.mark.parametrize("path", HORSTOEKO, ids=lambda p: p.stem)
def test_order_x_blank_page_is_said_once_and_not_ocrd(path):
    """horstoeko's Order-X samples carry the XML on a page that draws nothing, so there is nothing to agree with.

    The page's content stream is empty and the one form XObject in its resources holds only a clipping path:
    rendered (pdftoppm) it is pure white and it has no text layer. No reading of the page, by text layer or OCR,
    can show the PO number, date, buyer, currency, lines or total, so the XML is taken as sent and one warning
    says the cross-check could not be made (not six 'not found on the page' warnings), and no OCR is spent on it.
    """
    if not path.exists():
        pytest.skip("../shared/external is not present")
    content = path.read_bytes()
    pages = read_text_layer(content, max_pages=5)
    assert pages and all(p.blank and not p.words for p in pages)
    assert read_pages(content, "application/pdf", ExtractionLimits()) == pages  # blank: nothing to OCR
    (extraction,) = extract_document(content, filename=path.name)
    assert extraction.order.po_number == "PO123456789" and len(extraction.order.lines) == 3  # from the XML
    assert extraction.warnings == ["visible page is blank: the embedded XML was not cross-checked"]
