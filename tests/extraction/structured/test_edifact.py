"""EDIFACT: generated ORDERS and REMADV read field by field; broken envelopes refused with a clear reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.structured import read_structured
from o2c.extraction.structured.edifact import read_edifact
from o2c.intake.sniff import EDIFACT, sniff_media_type
from tests.extraction.structured.generators import DEFAULT_ITEMS, Line, Order, edifact, orders_body, remadv_body


def _one(content: bytes):
    assert sniff_media_type(content, "message.txt") == EDIFACT
    results = read_structured(content, filename="message.edi", media_type=EDIFACT)
    assert results is not None and len(results) == 1
    return results[0]


def test_orders_message():
    order = Order(buyer="O'Brien + Sons: Tools")  # every EDIFACT separator, escaped with '?'
    extraction = _one(edifact([orders_body(order)]))
    o = extraction.order
    assert extraction.document_type == "purchase_order" and extraction.channel == "structured"
    assert (o.po_number, o.order_date, o.requested_delivery_date) == (order.po, order.order_date, order.delivery)
    assert o.buyer_name == "O'Brien + Sons: Tools" and o.currency == "EUR" and o.payment_terms == "30 days net"
    assert o.ship_to == "Acme Plant 2, 12 Harbour Road, Hamburg 20457, DE"
    # PIA's supplier article number (SA) wins over the LIN's EAN: it is what our catalogue knows
    assert [(x.sku, x.description, x.quantity, x.uom, x.unit_price, x.amount) for x in o.lines] == [
        (x.sku, x.description, x.quantity, x.uom, x.price, x.amount) for x in order.lines
    ]
    assert o.total == o.subtotal == order.total
    assert extraction.provenance["order.po_number"]["element"].startswith("UNH M1/BGM02")
    assert all(v == 1.0 for v in extraction.confidence.values()) and not extraction.warnings


def test_remadv_message():
    extraction = _one(edifact([remadv_body()], una=False))
    r = extraction.remittance
    assert extraction.document_type == "remittance_advice"
    assert r.payment_reference == "RA-2026-031" and r.payment_date == date(2026, 3, 5)  # value date wins
    assert r.payer_name == "Acme Industrial Supply" and r.currency == "EUR" and r.payment_method == "Bank transfer"
    assert r.amount == Decimal("1230.50")
    assert [(i.invoice_number, i.amount_paid, i.invoice_amount, i.discount, i.po_number) for i in r.items] == [
        (p.invoice, p.paid, p.invoice_amount, p.discount, p.po) for p in DEFAULT_ITEMS
    ]


def test_several_messages_and_a_line_count_warning():
    one_line = Order(po="PO-2", lines=[Line("X-1", "Thing", Decimal("1"), "EA", Decimal("2.50"))])
    body = orders_body(one_line)
    body[-1] = "CNT+2:3"
    first, second, third = read_edifact(edifact([orders_body(), body, remadv_body()]), source="x.edi")
    assert (first.part, second.part, third.part) == ("UNH M1", "UNH M2", "UNH M3")
    assert second.order.total == Decimal("2.50") and any("CNT" in w for w in second.warnings)
    assert third.document_type == "remittance_advice"


def test_other_message_types_are_other():
    (extraction,) = read_edifact(edifact([["INVOIC", "BGM+380+INV-9+9"]]), source="x.edi")
    assert extraction.document_type == "other" and "INVOIC" in extraction.warnings[0]


def _error(content: bytes) -> UnreadableDocument:
    with pytest.raises(UnreadableDocument) as caught:
        read_edifact(content, source="bad.edi")
    assert caught.value.message
    return caught.value


def test_truncated_interchange():
    good = edifact([orders_body()])
    for cut in (len(good) - 5, len(good) // 2, 40):
        assert _error(good[:cut]).reason in ("truncated", "malformed")


def test_wrong_segment_counts_and_references():
    good = edifact([orders_body()]).decode()
    count = len(orders_body())  # UNH + body[1:] + UNT
    assert f"UNT+{count + 1}+M1" in good
    error = _error(good.replace(f"UNT+{count + 1}+M1", f"UNT+{count}+M1").encode())
    assert error.reason == "segment_count" and "UNT" in error.message
    assert _error(good.replace(f"UNT+{count + 1}+M1", f"UNT+{count + 1}+M7").encode()).reason == "control_number"
    assert _error(good.replace("UNZ+1+IC0042", "UNZ+2+IC0042").encode()).reason == "segment_count"
    assert _error(good.replace("UNZ+1+IC0042", "UNZ+1+IC0043").encode()).reason == "control_number"


def test_bad_numbers_and_dates_are_named():
    good = edifact([orders_body()]).decode()
    assert _error(good.replace("QTY+21:12:EA", "QTY+21:twelve:EA").encode()).reason == "bad_value"
    assert _error(good.replace("DTM+137:20260302:102", "DTM+137:20260231:102").encode()).reason == "bad_value"
