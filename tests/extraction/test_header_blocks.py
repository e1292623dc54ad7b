"""Header fields that do not depend on one template: titles in any language are no buyer, address blocks printed
side by side with their lines interleaved, and table headers whose labels never span a column gap."""

from __future__ import annotations

from decimal import Decimal

from o2c.extraction.orders import ORDER_LABELS
from o2c.extraction.pages import Word
from o2c.extraction.service import extract_document
from tests.extraction.conftest import draw_pdf

D = Decimal


def _french_po() -> bytes:
    """A French PO: the title tops the page, the bill-to block (left) and ship-to block (right) interleave."""
    items = [
        (50, 40, "BON DE COMMANDE"),
        (330, 70, "N° de commande"),
        (450, 70, "4561464387"),
        (330, 84, "Date"),
        (450, 84, "17/01/2026"),
        (50, 130, "Fournisseur Northwind Industrial Supply"),
        (330, 130, "Livrer à"),
        (330, 143, "Falcon Robotics SARL"),
        (50, 149, "Adresse de facturation"),
        (330, 156, "365 Mill Lane"),
        (50, 162, "Falcon Robotics SARL"),
        (330, 169, "75011 Paris"),
        (50, 175, "365 Mill Lane"),
        (50, 188, "75011 Paris"),
        (50, 230, "CODE ARTICLE"),
        (160, 230, "DESCRIPTION"),
        (330, 230, "QTÉ"),
        (400, 230, "P.U."),
        (480, 230, "MONTANT"),
        (50, 246, "RAN-53450"),
        (160, 246, "Heavy-duty coupling"),
        (330, 246, "15"),
        (400, 246, "713.02"),
        (480, 246, "10,695.30"),
        (400, 280, "Montant total"),
        (480, 280, "10,695.30"),
    ]
    return draw_pdf([items], size=9)


def test_a_title_in_any_language_is_no_buyer_and_interleaved_blocks_are_read_whole():
    (e,) = extract_document(_french_po(), filename="po.pdf")
    order = e.order
    assert order.buyer_name == "Falcon Robotics SARL"  # not 'BON DE COMMANDE'
    assert order.bill_to == "Falcon Robotics SARL\n365 Mill Lane\n75011 Paris"
    assert order.ship_to == "Falcon Robotics SARL\n365 Mill Lane\n75011 Paris"
    assert order.po_number == "4561464387"


def test_a_header_label_does_not_span_a_column_gap():
    """'Invoice' and 'Date' are two headers, not the label 'Invoice Date' (an ignored column)."""
    items = [
        (50, 40, "Castell Packaging Inc."),
        (400, 40, "REMITTANCE ADVICE"),
        (50, 90, "Value Date"),
        (200, 90, "Amount Paid"),
        (50, 104, "June 12, 2026"),
        (200, 104, "22,228.88"),
        (50, 150, "Pos."),
        (100, 150, "Invoice"),
        (230, 150, "Date"),
        (360, 150, "Net Paid"),
        (50, 166, "1"),
        (100, 166, "INV-47874"),
        (230, 166, "May 12, 2026"),
        (360, 166, "22,228.88"),
        (230, 200, "Total"),
        (360, 200, "22,228.88"),
    ]
    (e,) = extract_document(draw_pdf([items], size=9), filename="advice.pdf")
    items_read = [(i.invoice_number, i.amount_paid) for i in e.remittance.items]
    assert items_read == [("INV-47874", D("22228.88"))]
    assert e.remittance.amount == D("22228.88")


def test_a_date_printed_under_its_label_is_no_letterhead():
    items = [
        (50, 40, "PURCHASE ORDER"),
        (50, 80, "Order Ref"),
        (160, 80, "Date"),
        (280, 80, "Terms"),
        (50, 94, "2036-7751"),
        (160, 94, "April 16, 2026"),
        (280, 94, "Net 30"),
        (50, 130, "Supplier Northwind Industrial Supply"),
        (50, 150, "Invoice To"),
        (50, 163, "Boreal Plastics LLC"),
        (50, 176, "981 Kanaalweg"),
        (50, 220, "Item No."),
        (160, 220, "Description"),
        (300, 220, "Qty"),
        (360, 220, "Price Each"),
        (450, 220, "Ext. Price"),
        (50, 236, "TKG-40089"),
        (160, 236, "Ball gasket"),
        (300, 236, "50"),
        (360, 236, "185.59"),
        (450, 236, "9279.50"),
    ]
    (e,) = extract_document(draw_pdf([items], size=9), filename="po.pdf")
    assert e.order.buyer_name == "Boreal Plastics LLC" and e.order.po_number == "2036-7751"
    assert e.order.order_date.isoformat() == "2026-04-16"


def test_labels_read_without_accents_or_degree_signs_still_name_their_fields():
    """OCR drops accents ('Numero de pedido', 'Direccion de entrega') and reads 'N°' as 'N*'."""

    def words(text: str) -> list[Word]:
        return [Word(t, 10.0 * i, 0, 10.0 * i + 8, 8) for i, t in enumerate(text.split())]

    for printed, field in (
        ("Numero de pedido", "po_number"),
        ("N* de commande", "po_number"),
        ("Direccion de entrega", "ship_to"),
        ("Livrer a", "ship_to"),
    ):
        hit = ORDER_LABELS.match_at(words(printed), 0)
        assert hit is not None and hit[0] == field, printed
    assert ORDER_LABELS.match_at(words("Fecha"), 0)[0] == "order_date"  # exact spellings keep winning


def test_a_block_beside_on_the_same_line_is_not_read_into_the_block_under_the_label():
    items = [
        (50, 40, "Solano Motors LLC"),
        (400, 40, "PURCHASE ORDER"),
        (400, 60, "PO Number: 39416509"),
        (50, 100, "Bill To:"),
        (50, 113, "Solano Motors LLC"),
        (300, 113, "656 Industrial Pkwy"),
        (50, 126, "656 Industrial Pkwy"),
        (300, 126, "Austin, TX 78701"),
        (50, 139, "Austin, TX 78701"),
    ]
    (e,) = extract_document(draw_pdf([items], size=9), filename="po.pdf")
    assert e.order.bill_to == "Solano Motors LLC\n656 Industrial Pkwy\nAustin, TX 78701"
