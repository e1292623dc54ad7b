"""Dense order tables: header cells wrapped over several lines, tall rows, gross and net prices, price units."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.extraction.pages import read_text_layer
from o2c.extraction.service import extract_document

D = Decimal

HEADER = [  # three tightly stacked lines (7 pt apart at 8 pt type) make one header row
    (40, 150, "Pos."),
    (70, 157, "Artikel-Nr."),
    (150, 157, "Bezeichnung"),
    (290, 150, "Brutto-"),
    (290, 164, "preis"),
    (340, 157, "Rabatt"),
    (385, 150, "Netto-"),
    (385, 164, "Einzelpreis"),
    (440, 150, "Preis-"),
    (440, 164, "einheit"),
    (490, 157, "Menge"),
    (530, 150, "Positions-"),
    (530, 164, "wert"),
]
ROWS = [
    (40, 185, "1"),
    (70, 185, "WID-100"),
    (150, 185, "Widget groß"),
    (290, 185, "12,50"),
    (340, 185, "-0,50"),
    (385, 185, "12,00"),
    (440, 185, "1"),
    (490, 185, "10"),
    (530, 185, "120,00"),
    (150, 195, "Farbe: blau"),
    (150, 215, "Hinweis: Entsorgungsgebühr enthalten"),
    (530, 215, "5,00"),  # a note inside the row, not a row
    (40, 235, "2"),
    (70, 235, "BRK-200"),
    (150, 235, "Bremse"),
    (290, 235, "40,00"),
    (385, 235, "36,00"),
    (440, 235, "2"),
    (490, 235, "5"),
    (530, 235, "90,00"),
]
HEAD = [
    (40, 40, "Käufer: Müller Maschinenbau GmbH"),
    (400, 40, "BESTELLUNG"),
    (40, 54, "Hauptstraße 5, 70173 Stuttgart"),
    (400, 70, "Bestellnummer: B-2026-0117"),
    (400, 84, "Datum: 14.03.2026"),
    (400, 98, "Währung: EUR"),
]
TOTALS = [
    (400, 270, "Nettobetrag"),
    (530, 270, "210,00"),
    (400, 284, "MwSt. 19%"),
    (530, 284, "39,90"),
    (400, 298, "Gesamtbetrag"),
    (530, 298, "249,90"),
]


def test_stacked_header_tall_rows_and_price_units(pdf):
    content = pdf([HEAD + HEADER + ROWS + TOTALS], size=8)
    (extraction,) = extract_document(content, filename="bestellung.pdf")
    order = extraction.order
    assert extraction.document_type == "purchase_order"
    assert (order.po_number, order.order_date, order.buyer_name, order.currency) == (
        "B-2026-0117",
        date(2026, 3, 14),
        "Müller Maschinenbau GmbH",
        "EUR",
    )
    # the net price, not the gross one; 36,00 per 2 units is 18 a unit
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in order.lines] == [
        ("WID-100", D(10), D(12), D("120.00")),
        ("BRK-200", D(5), D(18), D("90.00")),
    ]
    assert (order.subtotal, order.tax, order.total) == (D("210.00"), D("39.90"), D("249.90"))
    assert extraction.confidence["order.lines[1].unit_price"] >= 0.97  # 5 x 18 = 90 and lines sum to 210


def test_page_that_draws_nothing_is_not_ocrd(pdf):
    content = pdf([[]])
    (page,) = read_text_layer(content, max_pages=5)
    assert page.blank and not page.words
    (extraction,) = extract_document(content, filename="empty.pdf")
    assert extraction.document_type == "other" and extraction.channel == "digital"
    assert "no text could be read" in extraction.warnings
