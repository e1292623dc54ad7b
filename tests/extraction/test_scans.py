"""Scanned pages: straightening before OCR, numbers Tesseract reads in pieces, labels that lost their accents,
and a one-unit row found by arithmetic. One real OCR page (a skewed table), the rest without Tesseract."""

from __future__ import annotations

import io
import random
from decimal import Decimal

import pypdfium2
import pytest
from PIL import Image, ImageChops

from o2c.extraction import ocr
from o2c.extraction.lexicon import label_set
from o2c.extraction.orders import _row_by_arithmetic
from o2c.extraction.pages import Word
from o2c.extraction.service import extract_document
from tests.extraction.conftest import draw_pdf

ROWS = [
    ("BRG-6204", "Ball bearing 20mm", 12, "4.10", "49.20"),
    ("VLV-1180", "Flanged valve", 3, "117.95", "353.85"),
    ("CPL-3311", "Coupling", 50, "1.73", "86.50"),
    ("FLT-0907", "Oil filter", 1, "238.99", "238.99"),
    ("SPR-4417", "Spring clip", 200, "0.37", "74.00"),
    ("HSE-2201", "Hose 12V", 8, "19.61", "156.88"),
]


def _order_pdf() -> bytes:
    items = [(40, 50, "PURCHASE ORDER"), (40, 80, "PO Number: 4512"), (40, 95, "Date: 2026-03-14")]
    items += [(40, 140, "Item"), (130, 140, "Description"), (300, 140, "Qty"), (380, 140, "Unit Price")]
    items += [(480, 140, "Amount")]
    for k, (sku, desc, qty, price, amount) in enumerate(ROWS):
        y = 158 + 15 * k
        items += [(40, y, sku), (130, y, desc), (300, y, str(qty)), (380, y, price), (480, y, amount)]
    total = sum(Decimal(r[4]) for r in ROWS)
    items += [(380, 270, "Total"), (480, 270, f"{total:.2f}")]
    return draw_pdf([items], size=9)


def _page(pdf: bytes, dpi: int) -> Image.Image:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()


@pytest.mark.parametrize("angle", [-2.0, -0.8, 1.3])
def test_skew_angle_is_the_rotation_that_levels_the_page(angle):
    page = _page(_order_pdf(), 150)
    tilted = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    assert ocr.skew_angle(tilted, 150) == pytest.approx(-angle, abs=0.1)
    assert abs(ocr.skew_angle(ocr.deskew(tilted, 150), 150)) <= 0.1


def test_a_straight_or_blank_page_is_left_alone():
    assert ocr.deskew(_page(_order_pdf(), 150), 150) is None
    assert ocr.deskew(Image.new("L", (600, 800), 255), 150) is None


def test_a_skewed_scanned_table_reads_every_row():
    """A 2° tilt puts a row's right-hand cells a line lower than its left: straightened, every row reads."""
    page = _page(_order_pdf(), 200).rotate(2.0, resample=Image.Resampling.BICUBIC, fillcolor=255)
    rng = random.Random(3)
    grain = Image.frombytes("L", page.size, rng.randbytes(page.width * page.height)).point(lambda v: v % 30)
    page = ImageChops.subtract(page, grain)
    buf = io.BytesIO()
    page.save(buf, format="PNG", dpi=(200, 200))
    [e] = extract_document(buf.getvalue(), filename="skewed.png")
    got = [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in e.order.lines]
    assert got == [(s, Decimal(q), Decimal(p), Decimal(a)) for s, _d, q, p, a in ROWS]


def _raw(*words):
    """Tesseract rows (line key, text, left, top, width, height, conf), words left to right on one line."""
    out, x = [], 100
    for text, gap in words:
        x += gap
        out.append(((1, 1, 1), text, x, 500, 10 * len(text), 30, 90.0))
        x += 10 * len(text)
    return out


def test_a_number_read_in_two_pieces_is_joined():
    joined = ocr._join_number_fragments(_raw(("2.257", 0), (",89", 4), ("18.063,12", 120)))
    assert [r[1] for r in joined] == ["2.257,89", "18.063,12"]
    assert [r[1] for r in ocr._join_number_fragments(_raw(("1.691,", 0), ("40", 3)))] == ["1.691,40"]


@pytest.mark.parametrize(
    "words",
    [
        (("2.257", 0), (",89", 40)),  # a column gap, not a split
        (("Qty", 0), (",89", 3)),  # no number before the cents
        (("12", 0), ("40", 3)),  # two numbers side by side: no separator to say they are one
    ],
)
def test_words_that_are_not_one_number_stay_apart(words):
    assert len(ocr._join_number_fragments(_raw(*words))) == 2


def test_column_labels_match_with_their_accents_lost():
    columns = label_set("line_columns")
    for printed, field in (("CÓDIGO", "sku"), ("CODIGO", "sku"), ("QTE", "quantity"), ("Qté", "quantity")):
        hit = columns.match_at([Word(printed, 0, 0, 10, 10)], 0)
        assert hit is not None and hit[0] == field, printed
    assert label_set("order").match_at([Word(w, 0, 0, 1, 1) for w in ("Numero", "de", "pedido")], 0)[0] == ("po_number")


def _words(text: str) -> list[Word]:
    return [Word(t, 10.0 * i, 0, 10.0 * i + 8, 10) for i, t in enumerate(text.split())]


def test_a_one_unit_row_is_read_by_arithmetic():
    read = _row_by_arithmetic(_words("1 RL3-8977 Micro hose SET 1 238,99 238,99"), True, None)
    assert read is not None
    (qty, _), (price, _), (amount, _), code, _desc, uom = read
    assert (qty, price, amount, code.text, uom.text) == (1, Decimal("238.99"), Decimal("238.99"), "RL3-8977", "SET")
    assert _row_by_arithmetic(_words("RL3-8977 Micro hose 2 238.99 238.99"), False, None) is None
