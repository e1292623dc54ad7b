"""ANSI X12: the shared 850s against their mapped values, generated 820s, and envelopes that must be refused."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.structured import read_structured
from o2c.extraction.structured.x12 import read_x12
from o2c.intake.sniff import X12, sniff_media_type
from tests.conftest import SHARED
from tests.extraction.structured.generators import DEFAULT_ITEMS, Order, Paid, x12, x12_820_body, x12_850_body

X12_DIR = SHARED / "external" / "purchase_orders" / "x12_850"
needs_shared = pytest.mark.skipif(not X12_DIR.is_dir(), reason="../shared/external is not present")


def _one(content: bytes, name: str = "test.edi"):
    results = read_structured(content, filename=name, media_type=sniff_media_type(content, name))
    assert results is not None and len(results) == 1
    return results[0]


@needs_shared
def test_850_agrees_with_the_mapped_json():
    edi = (X12_DIR / "nodex12_850.edi").read_bytes()
    expected = json.loads((X12_DIR / "nodex12_850.map_result.json").read_text())
    extraction = _one(edi, "nodex12_850.edi")
    order = extraction.order
    assert extraction.document_type == "purchase_order" and extraction.channel == "structured"
    assert order.po_number == expected["OrderNumber"]
    ship_to = expected["ShipTo"]
    for part in ("Name", "Address", "City", "State", "Zip"):
        assert ship_to[part] in order.ship_to
    assert [line.quantity for line in order.lines] == [Decimal(x["Quantity"]) for x in expected["OrderLines"]]
    # values the mapping left out, read from the EDI itself
    assert order.order_date == date(2010, 11, 27)
    assert order.requested_delivery_date == date(2010, 12, 14)
    assert order.payment_terms == "2/45 Net 46"
    assert [line.sku for line in order.lines] == ["AB3542", "RD5322", "XY5266", "VX2332", "RV0524", "DX1875"]
    assert order.lines[0].description == "SMALL WIDGET" and order.lines[0].unit_price == Decimal("9.25")
    assert order.total == Decimal("13045.94") == sum(line.amount for line in order.lines)
    assert extraction.confidence["order.po_number"] == 1.0
    assert extraction.provenance["order.po_number"] == {"element": "ST*850*000000010/BEG03@4", "text": "08292233294"}
    assert sniff_media_type(edi, "po.txt") == X12


@needs_shared
def test_850_with_newline_terminators_and_an_855():
    petco = _one((X12_DIR / "nodex12_850_3_petco.edi").read_bytes())
    assert petco.order.order_date == date(2016, 4, 26)
    assert petco.order.lines[0].quantity == Decimal("1") and petco.order.lines[0].unit_price == Decimal("225")
    assert petco.order.buyer_name == "PETCO - CORPORATE"
    assert petco.confidence["order.buyer_name"] < 1.0 and any("N1*BY" in w for w in petco.warnings)
    ack = _one((X12_DIR / "nodex12_855.edi").read_bytes())
    assert ack.document_type == "other" and "855" in ack.warnings[0]


def test_generated_850_with_other_separators():
    order = Order()
    content = x12([x12_850_body(order)], element="|", segment="\n", component="^", newline=False)
    extraction = _one(content)
    o = extraction.order
    assert (o.po_number, o.order_date, o.buyer_name, o.currency) == (order.po, order.order_date, order.buyer, "EUR")
    assert [(x.sku, x.quantity, x.unit_price) for x in o.lines] == [(x.sku, x.quantity, x.price) for x in order.lines]
    assert o.total == order.total and o.payment_terms == "2/10 Net 30"
    assert "Hamburg" in o.ship_to and not extraction.warnings


def test_820_remittance():
    extraction = _one(x12([x12_820_body()]))
    r = extraction.remittance
    assert extraction.document_type == "remittance_advice" and extraction.channel == "structured"
    assert r.amount == Decimal("1230.50") and r.currency == "USD" and r.payment_method == "ACH"
    assert r.payment_date == date(2026, 3, 5) and r.payment_reference == "ACH-55012"
    assert r.payer_name == "Acme Industrial Supply"
    assert [(i.invoice_number, i.amount_paid, i.invoice_amount, i.discount, i.po_number) for i in r.items] == [
        (p.invoice, p.paid, p.invoice_amount, p.discount, p.po) for p in DEFAULT_ITEMS
    ]
    assert extraction.provenance["remittance.items[0].amount_paid"]["text"] == "980.00"
    assert all(v == 1.0 for v in extraction.confidence.values())
    assert extraction.to_contract()["remittance"]["amount"] == "1230.50"


def test_two_transaction_sets_give_two_documents_and_a_total_mismatch_warns():
    content = x12(
        [x12_820_body(), x12_820_body([Paid("INV-2001", Decimal("10.00"))], amount=Decimal("12.00"), reference="ACH-2")]
    )
    first, second = read_x12(content, source="pay.edi")
    assert (first.part, second.part) == ("ST 820 0001", "ST 820 0002")
    assert second.remittance.payment_reference == "ACH-2"
    assert any("differs" in w for w in second.warnings) and not first.warnings


def test_two_interchanges_in_one_file():
    content = x12([x12_820_body()]) + x12([x12_850_body()], control="000000906")
    assert [e.document_type for e in read_x12(content, source="both.edi")] == ["remittance_advice", "purchase_order"]
    with pytest.raises(UnreadableDocument):
        read_x12(x12([x12_820_body()]) + x12([x12_850_body()])[:-30], source="both.edi")


# --- bad input: a clear UnreadableDocument, never a crash -------------------------------------------------------


def _reason(content: bytes) -> UnreadableDocument:
    with pytest.raises(UnreadableDocument) as caught:
        read_x12(content, source="bad.edi")
    assert caught.value.message
    return caught.value


def test_truncated_interchange():
    good = x12([x12_820_body()])
    for cut in (len(good) // 2, len(good) - 20, 50):
        assert _reason(good[:cut]).reason in ("truncated", "malformed")


def test_wrong_segment_count():
    good = x12([x12_820_body()]).decode()
    bad = good.replace("SE*12*0001", "SE*11*0001")
    assert "SE*12*0001" in good
    error = _reason(bad.encode())
    assert error.reason == "segment_count" and "SE01" in error.message and "11" in error.message


def test_mismatched_control_numbers_and_group_counts():
    good = x12([x12_820_body()]).decode()
    assert _reason(good.replace("SE*12*0001", "SE*12*0009").encode()).reason == "control_number"
    assert _reason(good.replace("GE*1*1", "GE*2*1").encode()).reason == "segment_count"
    assert _reason(good.replace("IEA*1*000000905", "IEA*1*000000906").encode()).reason == "control_number"
    assert _reason(good.replace("SE*12*0001", "SE*x*0001").encode()).reason == "segment_count"


def test_bad_values_are_named():
    good = x12([x12_820_body()]).decode()
    error = _reason(good.replace("RMR*IV*INV-1001**980.00", "RMR*IV*INV-1001**98O.00").encode())
    assert error.reason == "bad_value" and "RMR04" in error.message
    assert _reason(good.replace("*20260305~", "*20261305~", 1).encode()).reason == "bad_value"


def test_a_file_named_edi_without_an_envelope():
    with pytest.raises(UnreadableDocument) as caught:
        read_structured(b"hello, this is not EDI", filename="order.edi", media_type=X12)
    assert caught.value.reason == "malformed"
