"""Numbers a scan breaks: amounts split at a thousands separator (a typewriter face prints ',' in a full character
cell), decimal points lost or read as digits, glyphs in place of digits, and a row that admits several repairs
until the document's sum picks one. Tesseract's rows and OCR'd words are built by hand; one real OCR of a small
grainy typewriter scan."""

from __future__ import annotations

import io
import random
from decimal import Decimal

import pypdfium2
import pytest

from bench.corpus import degrade
from o2c.extraction import ocr
from o2c.extraction.evidence import Evidence
from o2c.extraction.fields import amount_in
from o2c.extraction.layout import all_lines
from o2c.extraction.linecells import lost_points, price_from_amount, repair_row, row_repairs
from o2c.extraction.orders import extract_order
from o2c.extraction.pages import OCR, Page, Word
from o2c.extraction.service import extract_document
from tests.extraction.conftest import draw_pdf
from tests.extraction.test_scans import _ocr_remittance

CELL = 20  # a 10 pt typewriter face at 300 dpi: every glyph, ',' and ' ' included, is 20 px wide
HEIGHT = 26


def _raw(*words):
    """Tesseract rows (line key, text, left, top, width, height, conf) on one line, each word's ink a character
    cell per glyph, gaps in pixels between the inks."""
    out, x = [], 100
    for text, gap in words:
        x += gap
        out.append(((1, 1, 1), text, x, 500, CELL * len(text) - 6, HEIGHT, 60.0))
        x += CELL * len(text) - 6
    return out


@pytest.mark.parametrize(
    "words, joined",
    [
        ((("1,", 0), ("234.50", 16)), "1,234.50"),  # the comma's cell reads as a space
        ((("1", 0), (",234.50", 15)), "1,234.50"),
        ((("16.353,", 0), ("21", 15)), "16.353,21"),  # cents apart from a grouped amount, wider than half a glyph
        ((("$12,345,", 0), ("678.90", 15)), "$12,345,678.90"),
        ((("4.", 0), ("210,05", 12)), "4.210,05"),
        ((("9.981,", 0), ("16", -50)), "9.981,16"),  # dust widened the cents' box over the whole part's
    ],
)
def test_an_amount_split_at_a_thousands_separator_is_joined(words, joined):
    assert [r[1] for r in ocr._join_number_fragments(_raw(*words))] == [joined]


@pytest.mark.parametrize(
    "words",
    [
        (("1,", 0), ("234.50", 60)),  # a column gap, not a separator's cell
        (("12,", 0), ("40", 15)),  # ungrouped: a list '12, 40' as well as 12,40; only half a glyph joins it
        (("18,", 0), ("2026", 12)),  # 'August 18, 2026': no three-digit group with cents
        (("1,", 0), ("234", 12)),  # no cents: '1, 234' may be two counts
        (("1,234.50", 0), ("567.00", 15)),  # two whole amounts side by side
        (("9.981,", 0), ("16", -120)),  # not beside it: Tesseract's boxes of two places on the line
    ],
)
def test_pieces_that_are_not_one_grouped_amount_stay_apart(words):
    assert len(ocr._join_number_fragments(_raw(*words))) == len(words)


def test_a_lost_or_misread_decimal_point_is_a_repair_candidate():
    assert lost_points(Decimal("1573537")) == {Decimal("15735.37"), Decimal("1573.37")}
    assert lost_points(Decimal("211328")) == {Decimal("2113.28"), Decimal("211.28")}
    assert lost_points(Decimal("1573.37")) == set() and lost_points(Decimal("250")) == set()
    assert repair_row(Decimal(4), Decimal("1573537"), Decimal("6293.48")) == ("unit_price", Decimal("1573.37"))
    assert repair_row(Decimal(100), Decimal("2113.28"), Decimal("21132800")) == ("amount", Decimal("211328.00"))
    # a quantity never gains a decimal point: '1200' is no lost '12.00'
    assert ("quantity", Decimal("12.00")) not in row_repairs(Decimal(1200), Decimal("5.00"), Decimal("60.00"))


def test_a_price_with_glyphs_for_some_digits_is_amount_over_quantity():
    assert price_from_amount(Decimal(250), Decimal("40355.00"), "T6T.42") == Decimal("161.42")
    assert price_from_amount(Decimal(250), Decimal("40355.00"), "T6T.47") is None  # a digit read disagrees
    assert price_from_amount(Decimal(250), Decimal("40355.00"), "T6TT.42") is None  # one glyph too many
    assert price_from_amount(Decimal(250), Decimal("40355.00"), "TTT.T2") is None  # one digit is not enough


def _ocr_order(rows, subtotal):
    """An order read from OCR'd words: one row per (sku, qty, price, amount), then a subtotal line."""
    evidence = Evidence(page_sources={1: OCR})
    items = [(40, 140, "Item"), (130, 140, "Qty"), (220, 140, "Unit Price"), (320, 140, "Amount")]
    for k, row in enumerate(rows):
        items += [(x, 160 + 15 * k, text) for x, text in zip((40, 130, 220, 320), row, strict=True)]
    items += [(220, 160 + 15 * len(rows) + 10, "Subtotal"), (320, 160 + 15 * len(rows) + 10, subtotal)]
    words = [Word(t, x, y, x + 6 * len(t), y + 9, confidence=0.95) for x, y, t in items]
    return extract_order(all_lines([Page(1, 612, 792, words, OCR)]), evidence), evidence


def test_a_row_admitting_two_repairs_takes_the_one_the_documents_sum_confirms():
    # 6 x 1,675.92 = 10,055.52 was read with its amount's 1 as a 7: the price gaining a leading 1 (11675.92) fits
    # the row as well, so the row alone cannot choose; the subtotal can, and then row and sum vouch for it
    rows = [("BRG-6204", "100", "440.72", "44,072.00"), ("VLV-1180", "6", "1,675.92", "70,055.52")]
    order, evidence = _ocr_order(rows, "54,127.52")
    assert (order.lines[1].unit_price, order.lines[1].amount) == (Decimal("1675.92"), Decimal("10055.52"))
    sure = evidence.confidence["order.lines[0].amount"]  # a row read right that the sum confirms
    assert sure >= 0.9
    assert evidence.confidence["order.lines[1].amount"] == evidence.confidence["order.lines[1].unit_price"] == sure


def test_no_repair_the_sum_does_not_single_out():
    rows = [("BRG-6204", "100", "440.72", "44,072.00"), ("VLV-1180", "6", "1,675.92", "70,055.52")]
    order, evidence = _ocr_order(rows, "99,999.99")  # the sum confirms neither repair
    assert order.lines[1].amount == Decimal("70055.52")
    assert evidence.confidence["order.lines[1].amount"] < 0.9
    assert evidence.confidence["order.lines[1].unit_price"] < 0.9


@pytest.mark.parametrize(
    "read, value",
    [("1,043,82", "1043.82"), ("12.345.67", "12345.67"), ("1,043.82", "1043.82"), ("1,043,821", "1043821")],
)
def test_a_decimal_point_read_as_the_grouping_sign_still_reads_as_cents(read, value):
    got, _ = amount_in([Word(read, 0, 0, 40, 9)], False)
    assert got == (Decimal(value) if value else None)


TYPEWRITER_ROWS = [
    ("BRG-6204", 12, "4,110.25"),
    ("VLV-1180", 3, "17,986.15"),
    ("CPL-3311", 50, "1,573.37"),
    ("FLT-0907", 1, "23,855.32"),
    ("SPR-4417", 200, "9,981.16"),
    ("HSE-2201", 8, "13,002.44"),
]


def _typewriter_scan(seed: int) -> bytes:
    """A 9 pt Courier order table printed and scanned at 300 dpi: grain, dust, blur and JPEG loss (bench's)."""
    items = [(40, 30, "PURCHASE ORDER"), (40, 45, "PO Number: 4512")]
    items += [(40, 60, "Item"), (200, 60, "Qty"), (300, 60, "Unit Price"), (420, 60, "Amount")]
    for k, (sku, qty, price) in enumerate(TYPEWRITER_ROWS):
        amount = f"{Decimal(price.replace(',', '')) * qty:,.2f}"
        items += [(40, 80 + 16 * k, sku), (200, 80 + 16 * k, str(qty)), (300, 80 + 16 * k, price)]
        items += [(420, 80 + 16 * k, amount)]
    doc = pypdfium2.PdfDocument(draw_pdf([items], font="Courier", size=9))
    try:
        page = doc[0].render(scale=300 / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    page = degrade(page.crop((0, 0, page.width, 780)), random.Random(seed), noise=50, blur=0.7, jpeg=50)
    buf = io.BytesIO()
    page.save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def test_a_grainy_typewriter_scan_reads_its_grouped_amounts():
    """A typewriter face's thin strokes and small separators drown in a scan's grain when Tesseract binarises the
    page: a 3x3 average first keeps '17,986.15' one number rather than '172986;' '15'."""
    [e] = extract_document(_typewriter_scan(3), filename="typewriter.png")
    got = [(ln.quantity, ln.unit_price, ln.amount) for ln in e.order.lines]
    want = [(q, Decimal(p.replace(",", "")), Decimal(p.replace(",", "")) * q) for _, q, p in TYPEWRITER_ROWS]
    assert sum(g == w for g, w in zip(got, want, strict=False)) >= 5


def test_an_items_sum_never_vouches_for_an_invoice_amount_its_own_row_contradicts():
    # '5,923.21' read as '57,923.21': the paid amounts still sum to the payment, the row's own arithmetic fails
    rows = [("INV-1001", "1,000.00", "0.00", "1,000.00"), ("INV-1002", "57,923.21", "0.00", "5,923.21")]
    remittance, evidence = _ocr_remittance("6,923.21", rows, gross=True)
    assert remittance.items[1].invoice_amount == Decimal("57923.21")
    assert evidence.confidence["remittance.items[1].invoice_amount"] < 0.9
    assert evidence.confidence["remittance.items[1].amount_paid"] >= 0.9
    assert evidence.confidence["remittance.items[0].invoice_amount"] >= 0.9  # its row held


def _headerless_order(rows, total):
    """An OCR'd order whose column header the reader does not know: rows are found by their arithmetic."""
    items = [(40, 100, "PURCHASE ORDER"), (40, 115, "PO Number: 4512")]
    items += [(40, 140, "Ref"), (130, 140, "Zahl"), (220, 140, "Wert"), (320, 140, "Summe")]
    for k, row in enumerate(rows):
        items += [(x, 160 + 15 * k, text) for x, text in zip((40, 130, 220, 320), row, strict=True)]
    items += [(220, 160 + 15 * len(rows) + 10, "Total"), (320, 160 + 15 * len(rows) + 10, total)]
    words = [Word(t, x, y, x + 6 * len(t), y + 9, confidence=0.95) for x, y, t in items]
    evidence = Evidence(page_sources={1: OCR})
    return extract_order(all_lines([Page(1, 612, 792, words, OCR)]), evidence), evidence


HEADERLESS = [
    ("AA-277-B", "3", "41,297.81", "3,893.43"),  # 1,297.81 read with a stray 4: no longer qty x price = amount
    ("HMJ-8466", "40", "1,971.81", "78,872.40"),
    ("GJV-1122", "2", "1,519.56", "3,039.12"),
]


def test_a_row_one_misread_digit_from_its_arithmetic_is_still_a_row_where_no_header_names_the_columns():
    order, evidence = _headerless_order(HEADERLESS, "85,804.95")
    assert [ln.sku for ln in order.lines] == ["AA-277-B", "HMJ-8466", "GJV-1122"]  # no row lost, none shifted
    assert order.lines[0].unit_price == Decimal("1297.81")
    assert evidence.confidence["order.lines[0].unit_price"] >= 0.9  # the document's total confirms the lines
    order, evidence = _headerless_order(HEADERLESS, "99,999.99")
    assert order.lines[0].unit_price == Decimal("1297.81")
    assert evidence.confidence["order.lines[0].unit_price"] < 0.9  # only its own row's arithmetic vouches for it


def test_a_line_away_from_the_rows_is_not_mended_into_one():
    notes = [("Please", "deliver", "to", "dock"), ("Gate", "B", "before", "noon"), ("Thanks", "and", "best", "wishes")]
    order, _ = _headerless_order([*HEADERLESS[1:], *notes, HEADERLESS[0]], "82,911.52")
    assert [ln.sku for ln in order.lines] == ["HMJ-8466", "GJV-1122"]
