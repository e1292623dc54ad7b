"""Layouts the samples do not use, images of every kind, mixed PDFs, 'other' documents and provenance.

Tesseract is the true boundary here: image tests replace ``extraction.ocr.ocr_words`` with a fake that returns
the words of the page the image was drawn from, so they check decoding, paging and layout reading without
spending OCR time (the golden scan test runs the real Tesseract once).
"""

from __future__ import annotations

import io
import random
from datetime import date
from decimal import Decimal

import pdfplumber
import pypdfium2
import pytest
from PIL import Image

from bench.corpus import _order_spec, _remit_spec, expected_order
from o2c.extraction import ocr
from o2c.extraction.pages import OCR, TEXT, Word
from o2c.extraction.service import ExtractionLimits, extract_document, read_pages
from tests.fixtures.generate import remittance_contract
from tests.fixtures.layouts_more import TRAITS, render

D = Decimal


def _contract(extraction) -> dict:
    return extraction.to_contract()


def _same(expected: dict, got: dict, kind: str) -> list[str]:
    diffs = []
    for key, value in expected[kind].items():
        if key in ("lines", "items"):
            for i, (want, have) in enumerate(zip(value, got[kind][key], strict=False)):
                for f, v in want.items():
                    if not _eq(v, have.get(f)):
                        diffs.append(f"{key}[{i}].{f}: {v!r} != {have.get(f)!r}")
            if len(value) != len(got[kind][key]):
                diffs.append(f"{key}: {len(value)} rows != {len(got[kind][key])}")
        elif not _eq(value, got[kind].get(key)):
            diffs.append(f"{key}: {value!r} != {got[kind].get(key)!r}")
    return diffs


def _eq(a, b) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return D(str(a)) == D(str(b))
    except ArithmeticError:
        return str(a) == str(b)


@pytest.mark.parametrize("layout", sorted(TRAITS))
def test_unseen_po_layout_reads_exactly(layout):
    """Six layouts no rule was written for: header grids, values below labels, columns in any order."""
    spec = _order_spec(random.Random(layout), layout, 1)
    [e] = extract_document(render(spec), filename=f"{layout}.pdf")
    assert e.document_type == "purchase_order"
    assert _same(expected_order(spec, f"{layout}.pdf"), _contract(e), "order") == []
    assert e.confidence["order.po_number"] >= 0.9


@pytest.mark.parametrize("layout", ["remit_eft", "remit_wire", "remit_german"])
def test_unseen_remittance_layout_reads_exactly(layout):
    """Amount Paid as the first column, German headers and amounts, Discount Taken / Net Amount."""
    spec = _remit_spec(random.Random(layout), layout)
    [e] = extract_document(render(spec), filename=f"{layout}.pdf")
    assert e.document_type == "remittance_advice"
    assert _same(remittance_contract(spec, f"{layout}.pdf"), _contract(e), "remittance") == []


def test_multipage_table_with_wrapped_descriptions_and_repeated_header():
    spec = _order_spec(random.Random(5), "multipage", 1)
    assert any("\n" in ln.description for ln in spec.lines) and len(spec.lines) > 8
    [e] = extract_document(render(spec), filename="long.pdf")
    assert _same(expected_order(spec, "long.pdf"), _contract(e), "order") == []
    assert {e.provenance[f"order.lines[{i}].sku"]["page"] for i in range(len(spec.lines))} == {1, 2}


def test_every_field_has_provenance():
    for layout in ("grid", "bestell", "landscape", "orderform", "modern"):
        [e] = extract_document(render(_order_spec(random.Random(3), layout, 1)), filename="p.pdf")
        missing = [p for p in e.confidence if p != "document_type" and p not in e.provenance]
        assert missing == [], layout
        where = e.provenance["order.po_number"]
        assert where["page"] == 1 and len(where["bbox"]) == 4 and where["text"] == e.order.po_number


# --- images and mixed PDFs (fake OCR) --------------------------------------------------------------------


@pytest.fixture
def fake_ocr(monkeypatch):
    """ocr_words returns the text-layer words of queued PDF pages, one page per call."""
    queue: list[list[Word]] = []
    calls: list[int] = []

    def words_of(pdf: bytes, pages: list[int] | None = None) -> None:
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for index, page in enumerate(doc.pages):
                if pages is not None and index not in pages:
                    continue
                queue.append(
                    [
                        Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], 0.97)
                        for w in page.extract_words(x_tolerance=1.5, y_tolerance=3)
                    ]
                )

    def fake(image, *, dpi, languages, encoded=None):
        calls.append(dpi)
        return queue.pop(0)

    monkeypatch.setattr(ocr, "ocr_words", fake)
    return words_of, calls


def _images(pdf: bytes, dpi: int = 100) -> list[Image.Image]:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in doc]
    finally:
        doc.close()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_single_page_images(fake_ocr, fmt):
    words_of, calls = fake_ocr
    spec = _order_spec(random.Random(fmt), "modern", 1)
    pdf = render(spec)
    words_of(pdf)
    buf = io.BytesIO()
    _images(pdf)[0].save(buf, format=fmt, dpi=(100, 100))
    [e] = extract_document(buf.getvalue(), filename=f"po.{fmt.lower()}")
    assert calls == [100] and e.channel == "ocr"
    assert e.order.po_number == spec.po_number and len(e.order.lines) == len(spec.lines)
    assert e.provenance["order.po_number"]["ocr"] is True


def test_multipage_tiff_is_one_document_over_its_pages(fake_ocr):
    words_of, calls = fake_ocr
    spec = _order_spec(random.Random(9), "multipage", 1)
    pdf = render(spec)
    words_of(pdf)
    first, *rest = _images(pdf)
    buf = io.BytesIO()
    first.save(buf, format="TIFF", save_all=True, append_images=rest, dpi=(100, 100))
    [e] = extract_document(buf.getvalue(), filename="po.tiff")
    assert len(calls) == 2 and e.pages == 2
    assert [ln.sku for ln in e.order.lines] == [ln.sku for ln in spec.lines]


def test_mixed_pdf_reads_text_where_it_exists_and_ocrs_the_rest(fake_ocr):
    words_of, calls = fake_ocr
    spec = _order_spec(random.Random(11), "multipage", 1)
    pdf = render(spec)
    words_of(pdf, pages=[1])  # only page 2 goes to the (fake) OCR
    # build: page 1 as drawn (text layer), page 2 as a picture of itself (no text layer)
    mixed = pypdfium2.PdfDocument.new()
    mixed.import_pages(pypdfium2.PdfDocument(pdf), [0])
    picture = io.BytesIO()
    _images(pdf)[1].save(picture, format="PDF", resolution=100.0)
    mixed.import_pages(pypdfium2.PdfDocument(picture.getvalue()))
    out = io.BytesIO()
    mixed.save(out)
    content = out.getvalue()
    pages = read_pages(content, "application/pdf", ExtractionLimits(ocr_dpi=100))
    assert [p.source for p in pages] == [TEXT, OCR] and len(calls) == 1
    words_of(pdf, pages=[1])
    [e] = extract_document(content, filename="mixed.pdf", limits=ExtractionLimits(ocr_dpi=100))
    assert [ln.sku for ln in e.order.lines] == [ln.sku for ln in spec.lines]
    assert {e.provenance[f"order.lines[{i}].sku"].get("ocr", False) for i in (0, len(spec.lines) - 1)} == {False, True}


# --- 'other' is never forced into an order -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "STATEMENT OF ACCOUNT\nNorthwind Industrial Supply\nStatement Date: 03/31/2026\nAccount: C-1001\n"
        "Date  Reference  Charges  Payments  Balance\n03/01/2026  INV-10001  8,120.45    8,120.45\n"
        "03/17/2026  Payment ACH  8,120.45  0.00\nBalance due: 0.00\n",
        "ADVANCE SHIPPING NOTICE\nShipment No.: SH-5521  Ship Date: 03/18/2026\nCarrier: UPS Ground  Tracking 1Z999\n"
        "PO Number: 45810\nQty  Item  Description\n200  BRG-6204  Ball bearing 6204-2RS\nPackages: 2  Weight: 14 kg\n",
        "PACKING SLIP\nOrder #: 45810\nShip To: Acme Manufacturing Inc.\nQty Shipped  Item\n200  BRG-6204\n",
        "Northwind Newsletter - March 2026\nSpring product launch: new bearings, belts and couplings.\n"
        "Read our blog, follow us on LinkedIn and save 10% with code SPRING. Unsubscribe here.\n",
    ],
)
def test_other_documents_stay_other(text):
    [e] = extract_document(text.encode(), filename="doc.txt")
    assert e.document_type == "other" and e.order is None and e.remittance is None


def test_order_date_plausible_in_body_order():
    body = "Please ship PO 1006-27577:\n\n  3 x BRG-6204 at 4.10\n\nThanks,\nPurchasing, Acme Manufacturing Inc.\n"
    [e] = extract_document(body.encode(), filename="note.txt")
    assert e.order.po_number == "1006-27577"
    assert e.order.order_date is None or e.order.order_date <= date(2100, 1, 1)


# --- OCR word clean-up -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "pieces"),
    [
        ("12|/EA", ["12", "EA"]),
        ("40|)EA", ["40", "EA"]),
        ("4|MTR-1HP", ["4", "MTR-1HP"]),
        ("24)EA", ["24", "EA"]),
        ("BRG-6204", ["BRG-6204"]),
        ("1,234.50", ["1,234.50"]),
    ],
)
def test_ruling_lines_read_as_characters_split_cells(word, pieces):
    assert [p for p, _x0, _x1 in ocr._split_rule(word, 0, 100)] == pieces


def test_german_second_pass_only_for_german_pages():
    assert ocr._looks_german(["Bestell-Nr.", "Menge", "Bezeichnung", "12"])
    assert not ocr._looks_german(["PO", "Number:", "Qty", "Description", "Datum"])
