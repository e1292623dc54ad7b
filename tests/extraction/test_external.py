"""Every readable file in ../shared/external extracts without crashing; supplier invoices come out as 'other'."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.service import extract_document

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "external"
READABLE = {".pdf", ".eml", ".txt"}  # images are OCR, kept out of the default suite (one scan is enough)
FILES = sorted(p for p in EXTERNAL.rglob("*") if p.suffix.lower() in READABLE) if EXTERNAL.is_dir() else []


@pytest.mark.skipif(not FILES, reason="../shared/external is not present")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXTERNAL)))
def test_external_file_does_not_crash(path):
    try:
        results = extract_document(path.read_bytes(), filename=path.name)
    except UnreadableDocument:
        return
    for extraction in results:
        extraction.to_contract()
        if "invoices_with_gt" in path.parts:
            assert extraction.document_type == "other", extraction.source


SIMPLE_PO = EXTERNAL / "purchase_orders" / "pdf_misc" / "dianneadelgado_sample_purchase_order.pdf"


@pytest.mark.skipif(not SIMPLE_PO.exists(), reason="../shared/external is not present")
def test_a_real_po_pdf_reads_as_its_expected_json():
    """A PO nobody here designed: header, both lines, and totals printed without cents ('$1,725')."""
    expected = json.loads(SIMPLE_PO.with_suffix("").with_suffix(".expected.json").read_text())
    (e,) = extract_document(SIMPLE_PO.read_bytes(), filename=SIMPLE_PO.name)
    order = e.order
    assert e.document_type == "purchase_order"
    assert (order.po_number, str(order.order_date), order.payment_terms) == (
        expected["po_number"],
        expected["po_date"],
        expected["payment_terms"],
    )
    assert [(ln.description, ln.quantity, ln.unit_price, ln.amount) for ln in order.lines] == [
        (x["description"], Decimal(x["qty"]), Decimal(str(x["unit_price"])), Decimal(str(x["total"])))
        for x in expected["lines"]
    ]
    assert (order.subtotal, order.tax, order.total) == (
        Decimal("1725"),
        Decimal(str(expected["tax"]["amount"])),
        Decimal("1932"),
    )
    assert order.bill_to.splitlines()[0] == expected["bill_to"]["name"] == order.buyer_name
    assert e.confidence["order.total"] >= 0.9  # the lines sum to the subtotal, and subtotal + tax to the total
