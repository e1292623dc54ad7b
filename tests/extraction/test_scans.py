"""Scanned pages: straightening before OCR, numbers Tesseract reads in pieces, labels that lost their accents,
and a one-unit row found by arithmetic. One real OCR page (a skewed table), the rest without Tesseract."""

from __future__ import annotations

import io
import math
import random
from decimal import Decimal

import numpy as np
import pypdfium2
import pytest
from PIL import Image, ImageChops, ImageFilter

from o2c.extraction import ocr
from o2c.extraction.arithrows import row_by_arithmetic
from o2c.extraction.evidence import Evidence
from o2c.extraction.fields import code_text
from o2c.extraction.grounding import Grounding
from o2c.extraction.layout import all_lines
from o2c.extraction.lexicon import label_set
from o2c.extraction.linecells import folded_number, price_from_amount, repair_row, repair_sum
from o2c.extraction.orders import extract_order
from o2c.extraction.pages import OCR, TEXT, Page, Word
from o2c.extraction.remittances import extract_remittance
from o2c.extraction.service import extract_document
from o2c.extraction.straighten import rotated_smoothed
from o2c.extraction.tables import find_header
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


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("angle", [-2.0, -0.8, 1.3])
def test_skew_angle_is_the_rotation_that_levels_the_page(angle, dpi):
    page = _page(_order_pdf(), dpi)
    tilted = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    assert ocr.skew_angle(tilted, dpi) == pytest.approx(-angle, abs=0.1)
    assert abs(ocr.skew_angle(ocr.prepared(tilted, dpi), dpi)) <= 0.1


def test_a_straight_or_blank_page_is_left_alone_below_the_smoothing_dpi():
    assert ocr.prepared(_page(_order_pdf(), 150), 150) is None
    assert ocr.prepared(Image.new("L", (600, 800), 255), 150) is None


def _grainy(page: Image.Image, seed: int) -> Image.Image:
    rng = random.Random(seed)
    grain = Image.frombytes("L", page.size, rng.randbytes(page.width * page.height)).point(lambda v: v % 30)
    return ImageChops.subtract(page, grain)


def test_a_straight_page_at_300_dpi_is_only_smoothed():
    page = _grainy(_page(_order_pdf(), 300), 4)
    assert ocr.prepared(page, 300).tobytes() == page.filter(ImageFilter.BoxBlur(1)).tobytes()


@pytest.mark.parametrize("angle", [-2.5, -0.6, 1.7])
def test_levelling_and_smoothing_in_one_pass_match_a_bicubic_turn_then_the_3x3_mean(angle):
    """Two shears (columns up or down, then rows sideways), each resampled bicubic with the 3-pixel mean folded
    in: on the printed strokes nearer Pillow's bicubic resampling of the same two shears followed by the 3x3 mean
    than its bilinear one is (3-4 grey levels against 4.5-5.5; nearest neighbour: 18); the page comes out level."""
    tilted = _grainy(_page(_order_pdf(), 300), 5).rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    ours = np.asarray(rotated_smoothed(tilted, -angle), dtype=np.int16)
    w, h = tilted.size
    s = math.sin(math.radians(-angle))
    shears = (1, -s, s * h / 2, s, 1 - s * s, s * s * h / 2 - s * w / 2)  # output pixel -> where it reads

    def two_step(resample):
        turned = tilted.transform(tilted.size, Image.Transform.AFFINE, shears, resample=resample, fillcolor=255)
        return np.asarray(turned.filter(ImageFilter.BoxBlur(1)), dtype=np.int16)[40:-40, 40:-40]

    bicubic = two_step(Image.Resampling.BICUBIC)
    ink = bicubic < 200  # the printed strokes and their edges, not the white paper around them
    ours_off = np.abs(ours[40:-40, 40:-40] - bicubic)[ink].mean()
    assert ours.shape == tilted.size[::-1]
    assert ours_off < np.abs(two_step(Image.Resampling.BILINEAR) - bicubic)[ink].mean()
    assert ours_off < np.abs(two_step(Image.Resampling.NEAREST) - bicubic)[ink].mean() / 3
    assert abs(ocr.skew_angle(Image.fromarray(ours.astype(np.uint8)), 300)) <= 0.1


def test_tesseract_gets_the_prepared_page_uncompressed(monkeypatch):
    """The page goes to Tesseract as a raw TIFF, whatever compression the scan came in (a bilevel Group 4 TIFF
    cannot hold a grey page)."""
    page = _grainy(_page(_order_pdf(), 300), 6).convert("1")
    buf = io.BytesIO()
    page.save(buf, format="TIFF", compression="group4", dpi=(300, 300))
    seen = []

    def image_to_data(path, **_kw):
        with Image.open(path) as handed:
            seen.append((handed.format, handed.info.get("compression"), handed.mode, handed.tobytes()))
        return {k: [] for k in ("text", "conf", "block_num", "par_num", "line_num", "left", "top", "width", "height")}

    monkeypatch.setattr(ocr._pytesseract(), "image_to_data", image_to_data)
    [read] = ocr.read_image_pages(buf.getvalue(), max_pixels=60_000_000, max_pages=5, languages="eng")
    assert read.words == []
    expected = page.convert("L").filter(ImageFilter.BoxBlur(1)).tobytes()
    assert seen == [("TIFF", "raw", "L", expected)]


def test_only_the_first_pages_keep_their_image_for_a_second_reading(monkeypatch):
    """A long scan does not hold every page's image until the extraction ends (8 MB a 300 dpi page): the pages a
    header's doubtful fields are re-read from keep it, the rest drop it once read."""
    frames = [_page(_order_pdf(), 150) for _ in range(ocr.IMAGE_KEPT_PAGES + 1)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], dpi=(150, 150))
    empty = {k: [] for k in ("text", "conf", "block_num", "par_num", "line_num", "left", "top", "width", "height")}
    monkeypatch.setattr(ocr._pytesseract(), "image_to_data", lambda *_a, **_kw: empty)
    pages = ocr.read_image_pages(buf.getvalue(), max_pixels=60_000_000, max_pages=5, languages="eng")
    assert [p.number for p in pages] == list(range(1, ocr.IMAGE_KEPT_PAGES + 2))
    assert all(p.image is not None for p in pages[: ocr.IMAGE_KEPT_PAGES])
    assert pages[-1].image is None


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
    "words, joined",
    [
        ((("£4748", 0), (".16", 4)), "£4748.16"),  # a total with its currency sign, four digits ungrouped
        ((("4748", 0), (",16", 2)), "4748,16"),
        ((("$12,345", 0), (".67", 3)), "$12,345.67"),
        ((("€4748,", 0), ("16", 3)), "€4748,16"),
    ],
)
def test_an_amount_with_a_currency_sign_or_four_digits_joins_its_cents(words, joined):
    assert [r[1] for r in ocr._join_number_fragments(_raw(*words))] == [joined]


@pytest.mark.parametrize(
    "words",
    [
        (("2.257", 0), (",89", 40)),  # a column gap, not a split
        (("Qty", 0), (",89", 3)),  # no number before the cents
        (("12", 0), ("40", 3)),  # two numbers side by side: no separator to say they are one
        (("£4748", 0), (".16", 40)),  # a column gap
        (("£4748", 0), (".167", 3)),  # no cents
        (("PO-4748", 0), (".16", 3)),  # a code, no amount
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
    read = row_by_arithmetic(_words("1 RL3-8977 Micro hose SET 1 238,99 238,99"), True, None)
    assert read is not None
    (qty, _), (price, _), (amount, _), code, _desc, uom = read
    assert (qty, price, amount, code.text, uom.text) == (1, Decimal("238.99"), Decimal("238.99"), "RL3-8977", "SET")
    assert row_by_arithmetic(_words("RL3-8977 Micro hose 2 238.99 238.99"), False, None) is None


@pytest.mark.parametrize(
    "qty, price, amount, fix",
    [
        ("3", "1779.85", "5159.55", ("unit_price", "1719.85")),  # a 1 read as 7
        ("2", "25844.40", "1688.80", ("amount", "51688.80")),  # a leading digit lost
        ("30", "229.77", "11488.50", ("quantity", "50")),  # a 5 read as 3
    ],
)
def test_one_misread_digit_is_mended_when_the_row_admits_one_repair(qty, price, amount, fix):
    assert repair_row(Decimal(qty), Decimal(price), Decimal(amount)) == (fix[0], Decimal(fix[1]))


@pytest.mark.parametrize(
    "qty, price, amount",
    [
        ("3", "307.82", "12695.50"),  # two cells wrong: no single digit mends it
        ("4", "5.00", "20.00"),  # the row agrees: nothing to mend
        ("1", "12.00", "13.00"),  # 1 x 13.00 and 1 x 12.00 -> 12.00 both fit: two repairs, none taken
    ],
)
def test_no_repair_without_a_unique_one(qty, price, amount):
    assert repair_row(Decimal(qty), Decimal(price), Decimal(amount)) is None


def test_a_price_read_as_a_fragment_is_amount_over_quantity():
    assert price_from_amount(Decimal(60), Decimal("33465.00"), "75") == Decimal("557.75")
    assert price_from_amount(Decimal(120), Decimal("216783.60"), "1.80653") == Decimal("1806.53")
    assert price_from_amount(Decimal(60), Decimal("33465.00"), "12") is None  # not its digits
    assert price_from_amount(Decimal(7), Decimal("100.00"), "14") is None  # 100 / 7 is no price to the cent


def _ocr_order(rows, total, grounding=None, item="Item"):
    """An order read from OCR'd words: one row per (sku, qty, price, amount), then a total line."""
    evidence = Evidence(page_sources={1: OCR})
    items = [(40, 140, item), (130, 140, "Qty"), (220, 140, "Unit Price"), (320, 140, "Amount")]
    for k, row in enumerate(rows):
        items += [(x, 160 + 15 * k, text) for x, text in zip((40, 130, 220, 320), row, strict=True)]
    items += [(220, 160 + 15 * len(rows) + 10, "Total"), (320, 160 + 15 * len(rows) + 10, total)]
    words = [Word(t, x, y, x + 6 * len(t), y + 9, confidence=0.95) for x, y, t in items]
    lines = all_lines([Page(1, 612, 792, words, OCR)])
    return extract_order(lines, evidence, grounding=grounding), evidence


def test_a_mended_row_is_confirmed_by_the_documents_total_only():
    rows = [("BRG-6204", "3", "1779.85", "5159.55"), ("VLV-1180", "2", "10.00", "20.00")]
    order, evidence = _ocr_order(rows, "5179.55")
    assert order.lines[0].unit_price == Decimal("1719.85")
    assert evidence.confidence["order.lines[0].unit_price"] >= 0.9  # the total vouches for the mended row
    order, evidence = _ocr_order(rows, "9999.99")
    assert order.lines[0].unit_price == Decimal("1719.85")
    assert evidence.confidence["order.lines[0].unit_price"] < 0.9


def test_a_price_computed_from_amount_and_quantity_never_confirms_itself():
    order, evidence = _ocr_order([("BRG-6204", "60", "75", "33465.00")], "33465.00")
    assert order.lines[0].unit_price == Decimal("557.75")
    assert evidence.confidence["order.lines[0].unit_price"] < 0.9
    assert evidence.confidence["order.lines[0].quantity"] < 0.97  # its own row's arithmetic proves nothing


def test_a_text_layers_disagreeing_row_is_not_mended():
    rows = [("BRG-6204", "3", "1779.85", "5159.55")]
    items = [(40, 140, "Item"), (130, 140, "Qty"), (220, 140, "Unit Price"), (320, 140, "Amount")]
    items += [(x, 160, text) for x, text in zip((40, 130, 220, 320), rows[0], strict=True)]
    words = [Word(t, x, y, x + 6 * len(t), y + 9) for x, y, t in items]
    order = extract_order(all_lines([Page(1, 612, 792, words, TEXT)]), Evidence(page_sources={1: TEXT}))
    assert order.lines[0].unit_price == Decimal("1779.85")


@pytest.mark.parametrize(
    "read, kept",
    [
        ("—_-BU8-8448", "BU8-8448"),
        ("«854.76", "854.76"),
        ("©854.76", "854.76"),
        ("®12", "12"),
        ("©", ""),
        ("~", ""),
        (";", ""),
        ("-5159.55", "-5159.55"),
        ("$", "$"),
        ("-", "-"),
        (":", ":"),
    ],
)
def test_specks_read_as_marks_are_dropped(read, kept):
    assert ocr._clean_ocr_word(read) == kept


def _tesseract_data(*words):
    """image_to_data's table for words (text, conf 0-100) left to right on one Tesseract line."""
    data: dict[str, list] = {k: [] for k in ("text", "conf", "block_num", "par_num", "line_num")}
    data |= {"left": [], "top": [], "width": [], "height": []}
    x = 100
    for text, conf in words:
        for key, value in zip(data, (text, conf, 1, 1, 1, x, 500, 20 * len(text), 40), strict=True):
            data[key].append(value)
        x += 20 * len(text) + 30
    return data


def test_a_mark_tesseract_barely_saw_is_no_word():
    data = _tesseract_data(("BRG-6204", 93), ("-", 0), ("©854.76", 71), ("%", 45), ("3", 40), ("-", 96), ("®", 90))
    assert [w.text for w in ocr.words_from_data(data, 300)] == ["BRG-6204", "854.76", "3", "-"]


def test_description_words_under_an_item_header_and_their_wrapped_line_stay_with_the_description():
    """'Ref.' names the SKU column but holds the customer's part number; 'Our Item' holds our code and the
    description's first words (OCR lost the I of 'Item Description'), and the wrapped line sits under it too."""
    items = [(40, 140, "Ref."), (110, 140, "Our Item"), (240, 140, "tem Description"), (330, 140, "Qty")]
    items += [(380, 140, "Unit Price"), (460, 140, "Amount")]
    items += [(40, 160, "2028-11475"), (110, 160, "BRG-6204"), (190, 160, "Compact"), (262, 160, "gasket")]
    items += [(330, 160, "20"), (380, 160, "2231.52"), (460, 160, "44630.40"), (190, 171, "42mm")]
    words = [
        Word(t, x + 6 * (len(text[:i])), y, x + 6 * (len(text[:i]) + len(t)), y + 9, confidence=0.95)
        for x, y, text in items
        for i, t in ((text.index(t), t) for t in text.split())
    ]
    grounding = Grounding(skus=frozenset({"BRG-6204"}), customer_part_numbers=frozenset({"2028-11475"}))
    order = extract_order(
        all_lines([Page(1, 612, 792, words, OCR)]), Evidence(page_sources={1: OCR}), grounding=grounding
    )
    assert (order.lines[0].sku, order.lines[0].description) == ("BRG-6204", "Compact gasket 42mm")


def test_a_header_label_never_reaches_over_a_column_gap():
    """'Invoice' and 'Date' are two columns apart, not the one label 'Invoice Date'."""
    words = [Word(t, x, 100, x + 6 * len(t), 109) for t, x in (("Pos.", 40), ("Invoice", 80), ("Date", 180))]
    words += [Word("Net", 300, 100, 318, 109), Word("Paid", 321, 100, 345, 109)]
    [line] = all_lines([Page(1, 612, 792, words, OCR)])
    header = find_header(line, label_set("item_columns"))
    assert header is not None
    assert [c.name for c in header if c.name != "_ignored"] == ["invoice_number", "amount_paid"]


def test_a_look_alike_glyph_in_an_amount_counts_only_where_the_row_agrees():
    read = row_by_arithmetic(_words("4 BU8-8448 Heavy-duty spring clip PC 4 1.479,94 §.919,76"), True, None)
    assert read is not None and read[2][0] == Decimal("5919.76")
    assert row_by_arithmetic(_words("4 BU8-8448 Heavy-duty spring clip PC 4 1.479,94 §.919,86"), True, None) is None
    assert folded_number("S1", None) is None and folded_number("5.919,76", True) is None  # no fold to make


def test_a_one_read_as_t_in_a_code_meets_the_known_sku_where_the_row_agrees():
    grounding = Grounding(skus=frozenset({"NU1-3219", "BRG-6204"}))
    assert grounding.folded_code("NUT-3219") == "NU1-3219"
    order, evidence = _ocr_order([("NUT-3219", "4", "10.00", "40.00")], "40.00", grounding, "SKU")
    assert order.lines[0].sku == "NU1-3219"
    order, _ = _ocr_order([("NUT-3219", "4", "10.00", "47.13")], "47.13", grounding, "SKU")  # no single repair
    assert order.lines[0].sku == "NUT-3219"  # the arithmetic does not vouch for the fold
    ambiguous = Grounding(skus=frozenset({"NU1-3219", "NUT-3219"}))
    assert ambiguous.folded_code("NUI-3219") is None and ambiguous.known_code("NUT-3219") == "NUT-3219"


@pytest.mark.parametrize(
    "total, parts, vouched, fix",
    [
        ("36.20", ["14.50", "15.70"], (), (-1, "30.20")),  # the total's 0 read as 6: no part's digit absorbs +6
        ("1730.00", ["1000.00", "200.00"], (), None),  # no one-digit repair of any number fits
        ("1250.00", ["1000.00", "200.00"], (), None),  # 1200 -> 1250 and 200 -> 250 both fit
        ("1250.00", ["1000.00", "200.00"], (0, 1), (-1, "1200.00")),  # parts vouched for by their own rows
        ("1200.00", ["1000.00", "200.00"], (), None),  # the sum holds
    ],
)
def test_a_sum_is_mended_only_where_one_number_admits_a_one_digit_repair(total, parts, vouched, fix):
    got = repair_sum(Decimal(total), [Decimal(p) for p in parts], frozenset(vouched))
    assert got == (None if fix is None else (fix[0], Decimal(fix[1])))


def _ocr_remittance(amount, rows, total=None, *, gross=False):
    """A remittance read from OCR'd words: the payment amount, a table of (invoice, [gross, discount,] paid)."""
    items = [(40, 100, "Payment amount:"), (160, 100, amount)]
    heads = ["Invoice", "Gross", "Discount", "Paid"] if gross else ["Invoice", "Paid"]
    xs = (40, 160, 260, 360) if gross else (40, 360)
    items += list(zip(xs, [140] * len(heads), heads, strict=True))
    for k, row in enumerate(rows):
        items += [(x, 160 + 15 * k, text) for x, text in zip(xs, row, strict=True)]
    if total is not None:
        items += [(260, 160 + 15 * len(rows) + 10, "Total"), (360, 160 + 15 * len(rows) + 10, total)]
    words = [
        Word(t, x + 6 * len(text[: text.index(t)]), y, x + 6 * len(text[: text.index(t)] + t), y + 9, confidence=0.95)
        for x, y, text in items
        for t in text.split()
    ]
    evidence = Evidence(page_sources={1: OCR})
    return extract_remittance(all_lines([Page(1, 612, 792, words, OCR)]), evidence), evidence


def test_a_payment_amount_one_digit_off_the_items_sum_is_mended_where_nothing_else_fits():
    rows = [("INV-1001", "14.50"), ("INV-1002", "15.70")]
    remittance, evidence = _ocr_remittance("36.20", rows)
    assert remittance.amount == Decimal("30.20")
    assert evidence.confidence["remittance.amount"] < 0.9  # only the sum it mends vouches for it
    rows = [("INV-1001", "1000.00"), ("INV-1002", "200.00")]  # a paid amount might be the misread ...
    remittance, evidence = _ocr_remittance("1250.00", rows, total="1200.00")  # ... but it is printed again
    assert remittance.amount == Decimal("1200.00")
    assert evidence.confidence["remittance.amount"] >= 0.9


def test_a_payment_amount_is_not_mended_where_a_paid_amount_may_be_the_misread():
    rows = [("INV-1001", "1000.00"), ("INV-1002", "200.00")]
    remittance, evidence = _ocr_remittance("1250.00", rows)
    assert remittance.amount == Decimal("1250.00")
    assert evidence.confidence["remittance.amount"] < 0.9
    gross = [("INV-1001", "1000.00", "0.00", "1000.00"), ("INV-1002", "200.00", "0.00", "200.00")]
    remittance, evidence = _ocr_remittance("1250.00", gross, gross=True)  # each row vouches for its paid amount
    assert remittance.amount == Decimal("1200.00")
    assert evidence.confidence["remittance.amount"] >= 0.9


def test_a_speck_after_a_code_is_no_part_of_it():
    remittance, _ = _ocr_remittance("30.20", [("INV-97150.", "14.50"), ("INV-97151", "15.70")])
    assert [it.invoice_number for it in remittance.items] == ["INV-97150", "INV-97151"]
    words = [Word(t, 40 + 70 * i, 100, 100 + 70 * i, 109, confidence=0.8) for i, t in enumerate(("PO", "Number:"))]
    words.append(Word("PO-07403.", 200, 100, 254, 109, confidence=0.8))
    order = extract_order(all_lines([Page(1, 612, 792, words, OCR)]), Evidence(page_sources={1: OCR}))
    assert order.po_number == "PO-07403"
    assert code_text("PO-07403.,") == "PO-07403" and code_text("2026/117") == "2026/117" and code_text(".") == "."


def test_sums_never_vouch_for_an_ocr_read_description():
    order, evidence = _ocr_order([("Gasket", "2", "5.00", "10.00"), ("Valve", "1", "7.50", "7.50")], "17.50")
    assert order.lines[0].description == "Gasket"
    assert evidence.confidence["order.lines[0].quantity"] >= 0.9  # the row and the total check the numbers
    assert 0.5 < evidence.confidence["order.lines[0].description"] < 0.9
    items = [(40, 140, "Item"), (130, 140, "Qty"), (220, 140, "Unit Price"), (320, 140, "Amount")]
    items += [(x, 160, t) for x, t in zip((40, 130, 220, 320), ("Gasket", "2", "5.00", "10.00"), strict=True)]
    items += [(220, 180, "Total"), (320, 180, "10.00")]
    words = [Word(t, x, y, x + 6 * len(t), y + 9) for x, y, t in items]
    evidence = Evidence(page_sources={1: TEXT})
    extract_order(all_lines([Page(1, 612, 792, words, TEXT)]), evidence)
    assert evidence.confidence["order.lines[0].description"] >= 0.9  # a text layer's letters are what it says
