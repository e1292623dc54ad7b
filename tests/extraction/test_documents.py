"""Digital PDFs drawn on the fly: header fields, tables in any column order, totals, classification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.extraction.service import extract_document


def _one(content: bytes, name: str = "doc.pdf"):
    [extraction] = extract_document(content, filename=name)
    return extraction


def test_german_po_with_side_by_side_blocks_and_columns_in_odd_order(pdf):
    page = [
        (56, 50, "Werkzeug Schmidt KG"),
        (330, 50, "Bestellung"),
        (330, 80, "Bestell-Nr.:"),
        (420, 80, "B-7781"),
        (330, 93, "Datum:"),
        (420, 93, "04.03.2026"),
        (330, 106, "Kundennummer:"),
        (420, 106, "C-2040"),
        (56, 150, "Rechnungsadresse:"),
        (300, 150, "Lieferadresse:"),
        (56, 163, "Werkzeug Schmidt KG"),
        (300, 163, "Lager Nord"),
        (56, 176, "Hauptstr. 1"),
        (300, 176, "Hafenweg 9"),
        (56, 240, "Menge"),
        (110, 240, "Art.-Nr."),
        (190, 240, "Bezeichnung"),
        (400, 240, "Einzelpreis"),
        (480, 240, "Betrag"),
        (56, 258, "3"),
        (110, 258, "BRG-6204"),
        (190, 258, "Rillenkugellager"),
        (400, 258, "1.234,50"),
        (480, 258, "3.703,50"),
        (56, 274, "10"),
        (110, 274, "BLT-B55"),
        (190, 274, "Keilriemen"),
        (400, 274, "9,80"),
        (480, 274, "98,00"),
        (330, 300, "Gesamtbetrag EUR"),
        (480, 300, "3.801,50"),
        (56, 330, "Zahlungsbedingungen: 30 Tage netto"),
    ]
    e = _one(pdf([page]))
    assert e.document_type == "purchase_order"
    o = e.order
    assert (o.po_number, o.order_date, o.customer_id, o.currency) == ("B-7781", date(2026, 3, 4), "C-2040", "EUR")
    assert o.bill_to == "Werkzeug Schmidt KG\nHauptstr. 1"
    assert o.ship_to == "Lager Nord\nHafenweg 9"
    assert [(ln.sku, ln.description, ln.quantity, ln.unit_price, ln.amount) for ln in o.lines] == [
        ("BRG-6204", "Rillenkugellager", Decimal("3"), Decimal("1234.50"), Decimal("3703.50")),
        ("BLT-B55", "Keilriemen", Decimal("10"), Decimal("9.80"), Decimal("98.00")),
    ]
    assert o.total == Decimal("3801.50")
    assert o.payment_terms == "30 Tage netto"
    assert e.confidence["order.lines[0].amount"] >= 0.97
    assert e.provenance["order.po_number"]["page"] == 1
    assert e.provenance["order.po_number"]["text"] == "B-7781"
    assert not e.warnings


def test_inconsistent_line_lowers_confidence_and_warns(pdf):
    page = [
        (50, 50, "PURCHASE ORDER"),
        (50, 70, "PO Number: 555"),
        (50, 84, "Date: 03/14/2026"),
        (50, 140, "Qty"),
        (100, 140, "Description"),
        (350, 140, "Unit Price"),
        (450, 140, "Amount"),
        (50, 156, "2"),
        (100, 156, "Widget"),
        (350, 156, "5.00"),
        (450, 156, "12.00"),
        (350, 190, "Total"),
        (450, 190, "12.00"),
    ]
    e = _one(pdf([page]))
    assert e.order.lines[0].amount == Decimal("12.00")
    assert e.confidence["order.lines[0].amount"] < 0.6
    assert any("2 x 5.00" in w for w in e.warnings)


def test_missing_po_number_is_not_invented(pdf):
    page = [
        (50, 50, "PURCHASE ORDER"),
        (50, 140, "Qty"),
        (100, 140, "Description"),
        (450, 140, "Amount"),
        (50, 156, "1"),
        (100, 156, "Widget"),
        (450, 156, "5.00"),
    ]
    e = _one(pdf([page]))
    assert e.order.po_number is None
    assert e.confidence["order.po_number"] == 0.0


def test_supplier_invoice_is_other(pdf):
    page = [
        (50, 50, "INVOICE"),
        (50, 70, "Invoice Number: 9001"),
        (50, 84, "Bill To: Acme Corp"),
        (50, 98, "PO Number: 45810"),
        (50, 140, "Qty"),
        (100, 140, "Description"),
        (450, 140, "Amount"),
        (50, 156, "1"),
        (100, 156, "Widget"),
        (450, 156, "5.00"),
        (350, 190, "Amount Due"),
        (450, 190, "5.00"),
    ]
    e = _one(pdf([page]))
    assert e.document_type == "other"
    assert e.order is None and e.remittance is None


def test_remittance_with_discount_column(pdf):
    page = [
        (50, 50, "Acme Manufacturing Inc."),
        (380, 50, "REMITTANCE ADVICE"),
        (380, 70, "Payment Date: 03/17/2026"),
        (380, 84, "Payment Reference: ACH-7719"),
        (380, 98, "Payment Method: ACH"),
        (50, 160, "Invoice Number"),
        (180, 160, "Invoice Amount"),
        (300, 160, "Discount"),
        (420, 160, "Amount Paid"),
        (50, 176, "INV-10001"),
        (180, 176, "1,000.00"),
        (300, 176, "20.00"),
        (420, 176, "980.00"),
        (50, 192, "INV-10002"),
        (180, 192, "500.00"),
        (420, 192, "500.00"),
        (300, 220, "Total Payment USD"),
        (420, 220, "1,480.00"),
    ]
    e = _one(pdf([page]))
    r = e.remittance
    assert e.document_type == "remittance_advice"
    assert (r.payer_name, r.payment_date, r.payment_reference, r.payment_method, r.currency) == (
        "Acme Manufacturing Inc.",
        date(2026, 3, 17),
        "ACH-7719",
        "ACH",
        "USD",
    )
    assert r.amount == Decimal("1480.00")
    assert [(i.invoice_number, i.invoice_amount, i.discount, i.amount_paid) for i in r.items] == [
        ("INV-10001", Decimal("1000.00"), Decimal("20.00"), Decimal("980.00")),
        ("INV-10002", Decimal("500.00"), None, Decimal("500.00")),
    ]
    assert e.confidence["remittance.items[1].amount_paid"] == 0.99


def test_plain_text_file_goes_through_the_text_parser():
    text = b"Please ship PO 7001: 5 x BRG-6204 at 4.10\nThanks, Acme Manufacturing Inc."
    [e] = extract_document(text, filename="order.txt")
    assert e.document_type == "purchase_order"
    assert e.order.po_number == "7001"
    assert e.order.lines[0].amount == Decimal("20.50")
