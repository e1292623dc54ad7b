"""Order-X, Factur-X and UBL: the shared Order-X files, a generated UBL Order, and XML that must be refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.service import ExtractionLimits, extract_document, extract_pages, read_pages
from o2c.extraction.structured import read_structured
from o2c.extraction.structured.reconcile import COMPARED
from o2c.intake.sniff import sniff_media_type
from tests.conftest import SHARED
from tests.extraction.structured.generators import Order, ubl_order

ORDER_X = SHARED / "external" / "purchase_orders" / "order_x"
FACTUR_X = SHARED / "external" / "invoices_with_gt" / "facturx_zugferd"
XML_FILES = sorted(ORDER_X.glob("*.xml")) if ORDER_X.is_dir() else []
PDF_FILES = sorted(ORDER_X.glob("*.pdf")) if ORDER_X.is_dir() else []
needs_shared = pytest.mark.skipif(not XML_FILES, reason="../shared/external is not present")


def _read(content: bytes, name: str):
    results = read_structured(content, filename=name, media_type=sniff_media_type(content, name))
    assert results is not None and len(results) == 1
    return results[0]


@needs_shared
@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: p.name)
def test_order_x_xml_parses(path):
    extraction = _read(path.read_bytes(), path.name)
    o = extraction.order
    assert extraction.document_type == "purchase_order" and extraction.channel == "structured"
    assert o.po_number == "PO123456789" and o.buyer_name == "BUYER_NAME" and o.currency == "EUR"
    assert o.order_date in (date(2020, 3, 31), date(2022, 12, 25))
    assert (o.subtotal, o.tax, o.total) == (Decimal("310.00"), Decimal("60.00"), Decimal("360.00"))
    assert len(o.lines) == 3 and o.lines[0].sku == "987654321" and o.lines[0].quantity == Decimal("6")
    assert o.lines[0].unit_price == Decimal("10.00") and o.lines[0].amount == Decimal("60.00")
    assert sum(line.amount for line in o.lines) == o.subtotal
    assert "SHIP_TO_CITY" in o.ship_to
    assert extraction.confidence["order.total"] == 1.0
    assert extraction.provenance["order.po_number"]["element"].endswith("rsm:ExchangedDocument/ram:ID")


@needs_shared
@pytest.mark.parametrize("path", PDF_FILES, ids=lambda p: p.name)
def test_order_x_pdf_xml_wins_and_each_disagreement_with_the_page_warns(path):
    """The visible page must agree with the embedded XML on each compared field, or the difference is a warning."""
    twin = path.with_name(path.stem + ".xml")
    if not twin.exists():
        twin = path.with_name(path.stem + ".embedded.order-x.xml")
    (extraction,) = extract_document(path.read_bytes(), filename=path.name)
    assert extraction.document_type == "purchase_order" and extraction.channel == "structured"
    assert extraction.order == _read(twin.read_bytes(), twin.name).order  # the XML wins, exactly
    visible = _visible_order(path)
    for name in COMPARED:
        xml_value, page_value = getattr(extraction.order, name), getattr(visible, name) if visible else None
        # a page that draws nothing (horstoeko's samples) gets one warning for the whole cross-check
        warned = any(f"order.{name}:" in w or w.startswith("visible page is blank:") for w in extraction.warnings)
        if name == "lines":
            agrees = visible is not None and [(x.quantity, x.unit_price) for x in xml_value] == [
                (x.quantity, x.unit_price) for x in page_value
            ]
        else:
            agrees = xml_value == page_value
        assert agrees or warned, f"{name}: XML {xml_value!r}, page {page_value!r}, warnings {extraction.warnings}"


def _visible_order(path):
    pages = read_pages(path.read_bytes(), "application/pdf", ExtractionLimits())
    return extract_pages(pages, source=path.name, part=None).order


@pytest.mark.skipif(not FACTUR_X.is_dir(), reason="../shared/external is not present")
def test_factur_x_invoice_is_other():
    path = next(FACTUR_X.glob("*.pdf"))
    (extraction,) = extract_document(path.read_bytes(), filename=path.name)
    assert extraction.document_type == "other" and extraction.channel == "structured"
    assert "invoice" in extraction.warnings[0]


def test_ubl_order():
    order = Order()
    extraction = _read(ubl_order(order), "order.xml")
    o = extraction.order
    assert extraction.document_type == "purchase_order"
    assert (o.po_number, o.order_date, o.buyer_name, o.currency) == (order.po, order.order_date, order.buyer, "EUR")
    assert o.requested_delivery_date == order.delivery and o.payment_terms == "30 days net"
    assert o.ship_to == "12 Harbour Road, 20457 Hamburg DE"
    assert [(x.sku, x.description, x.quantity, x.uom, x.unit_price, x.amount) for x in o.lines] == [
        (x.sku, x.description, x.quantity, x.uom, x.price, x.amount) for x in order.lines
    ]
    assert o.total == order.total and extraction.confidence["order.lines[1].unit_price"] == 1.0


def test_ubl_invoice_is_other():
    content = ubl_order(root="Invoice", namespace="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2")
    extraction = _read(content, "invoice.xml")
    assert extraction.document_type == "other" and extraction.order is None


def test_unknown_xml_root_is_refused():
    with pytest.raises(UnreadableDocument) as caught:
        extract_document(
            b'<?xml version="1.0"?><catalog xmlns="urn:example:catalog"><item/></catalog>', filename="feed.xml"
        )
    assert caught.value.reason == "unknown_xml" and "catalog" in caught.value.message


def test_malformed_xml_is_refused():
    with pytest.raises(UnreadableDocument) as caught:
        extract_document(ubl_order()[:-40], filename="order.xml")
    assert caught.value.reason == "malformed"


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    content = ubl_order(Order(po="&xxe;")).replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE Order [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode(),
    )
    try:
        extraction = _read(content, "order.xml")
    except UnreadableDocument:
        return
    assert "TOP-SECRET" not in str(extraction.to_contract())
