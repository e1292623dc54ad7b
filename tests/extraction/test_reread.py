"""A second reading of a doubtful OCR'd header field (extraction/reread.py), on the committed scan fixture
(tests/fixtures/generate.py::scan_pdf of scan_order()): one page OCR'd once for the module, then small crops."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from o2c.extraction import reread
from o2c.extraction.evidence import Evidence
from o2c.extraction.pages import Page
from o2c.extraction.service import ExtractionLimits, read_pages

SCAN = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "scan_po.pdf"
PO = "RP-40135"  # scan_order()'s PO number

pytestmark = pytest.mark.ocr


@pytest.fixture(scope="module")
def page() -> Page:
    [page] = read_pages(SCAN.read_bytes(), "application/pdf", ExtractionLimits())
    return page


def _po_word(page: Page):
    [word] = [w for w in page.words if w.text == PO]
    return word


def _doubtful(page: Page, word) -> Evidence:
    """Evidence for the PO number as if Tesseract had been unsure of its word (confidence 0.7)."""
    evidence = Evidence.for_pages([page])
    evidence.record("order.po_number", 0.95, [replace(word, confidence=0.7)], page=page.number)
    return evidence


def test_the_ocr_page_keeps_the_image_it_read_and_a_box_reads_again(page):
    assert page.image is not None
    word = _po_word(page)
    assert reread.read_box(page, [word.x0, word.top, word.x1, word.bottom]) == PO


def test_a_low_word_confidence_caps_a_field_and_is_remembered(page):
    evidence = _doubtful(page, _po_word(page))
    assert evidence.confidence["order.po_number"] == pytest.approx(0.78)  # 0.5 + 0.4 x 0.7
    assert evidence.word_capped["order.po_number"] == (0.78, 0.9)  # 0.95 less the OCR penalty


def test_agreeing_second_reading_gives_back_what_the_word_cap_took(page):
    evidence = _doubtful(page, _po_word(page))
    reread.confirm_by_second_reading(evidence, [page])
    assert evidence.confidence["order.po_number"] == 0.9
    assert evidence.provenance["order.po_number"]["second_reading"] == PO


def test_a_second_reading_that_spells_otherwise_changes_nothing(page):
    word = _po_word(page)
    misread = replace(word, text="RP-40185")  # the page reading had a digit wrong: the crop reads the page
    evidence = _doubtful(page, misread)
    reread.confirm_by_second_reading(evidence, [page])
    assert evidence.confidence["order.po_number"] == 0.78
    assert "second_reading" not in evidence.provenance["order.po_number"]


def test_a_field_lowered_for_another_reason_or_not_capped_is_not_read_again(page):
    word = _po_word(page)
    evidence = _doubtful(page, word)
    evidence.adjust("order.po_number", 0.6)  # e.g. a reference without digits: OCR was not the doubt
    reread.confirm_by_second_reading(evidence, [page])
    assert evidence.confidence["order.po_number"] == 0.6
    sure = Evidence.for_pages([page])
    sure.record("order.po_number", 0.95, [replace(word, confidence=0.97)], page=page.number)
    assert "order.po_number" not in sure.word_capped
    reread.confirm_by_second_reading(sure, [page])
    assert sure.confidence["order.po_number"] == 0.9


def test_a_field_read_short_of_its_ink_or_beside_a_digit_word_is_not_read_again(page):
    """'450635' read of '4506351425': agreeing on the piece Tesseract saw would confirm a wrong PO number."""
    word = _po_word(page)
    half = [word.x0, word.top, (word.x0 + word.x1) / 2, word.bottom]
    piece = replace(word, text="RP-4", x1=half[2])
    short = replace(page, words=[piece if w is word else w for w in page.words])  # the rest is unread ink
    assert reread.stands_alone(page, [word.x0, word.top, word.x1, word.bottom])
    assert not reread.stands_alone(short, half)
    assert reread.second_reading(short, {"bbox": half, "ocr_confidence": 0.8, "text": "RP-4"}) is None
    neighbour = replace(word, text="1425", x0=word.x1 + 2, x1=word.x1 + 20)
    crowded = replace(page, words=[*page.words, neighbour])
    assert not reread.stands_alone(crowded, [word.x0, word.top, word.x1, word.bottom])
    shaky = {"bbox": [word.x0, word.top, word.x1, word.bottom], "ocr_confidence": 0.5, "text": PO}
    assert reread.second_reading(page, shaky) is None  # Tesseract barely saw it: both readings share misreads


def test_readings_agree_on_letters_and_digits_not_on_a_speck_or_stop_the_second_reading_adds():
    assert reread.same_text("23/06/2026.", "23/06/2026")  # a speck after the date read as a full stop
    assert not reread.same_text("Micro shaft 7mm", "Micro shaft 7mm.")  # the value itself holds the speck
    assert reread.same_text("PO - 4512", "PO-4512")
    assert not reread.same_text("PO-4S12", "PO-4512")
    assert not reread.same_text("2026-0612", "2026-06-12")  # a separator inside is a character of its own
    assert not reread.same_text("4512", "")
