"""The text layer read from pypdfium2's characters gives pdfplumber's words, boxes within a point; pages where
that arithmetic cannot be trusted go to pdfplumber and say so."""

from __future__ import annotations

import ctypes
import io
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from bench.corpus import build_corpus
from o2c.extraction.pages import PDFIUM, PDFPLUMBER, _read_with_pdfplumber, read_text_layer, words_from_chars
from o2c.extraction.service import extract_document

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def _fixture_pdfs() -> list[tuple[str, bytes]]:
    files = [(p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.pdf"))]
    files += [(c.name, c.content) for c in build_corpus(1, 1, scans=False) if c.name.endswith(".pdf")]
    return files


def test_both_readers_agree_on_every_fixture_pdf():
    compared = 0
    for name, content in _fixture_pdfs():
        ours = read_text_layer(content, max_pages=200)
        theirs = _read_with_pdfplumber(content, max_pages=200, numbers=None)
        assert len(ours) == len(theirs), name
        for mine, plumber in zip(ours, theirs, strict=True):
            assert (mine.width, mine.height, mine.blank) == pytest.approx(
                (plumber.width, plumber.height, plumber.blank)
            ), name
            assert [w.text for w in mine.words] == [w.text for w in plumber.words], f"{name} p{mine.number}"
            for a, b in zip(mine.words, plumber.words, strict=True):
                assert (a.x0, a.top, a.x1, a.bottom) == pytest.approx((b.x0, b.top, b.x1, b.bottom), abs=1.0), (
                    f"{name} p{mine.number} {a.text}"
                )
            assert mine.reader == PDFIUM and plumber.reader == PDFPLUMBER, name
            compared += len(mine.words)
    assert compared > 2_000


def test_extractions_are_identical_through_either_reader(monkeypatch):
    """extract_document's contract output does not change when pdfplumber reads every page instead."""
    from o2c.extraction import pages

    files = _fixture_pdfs()[:14]
    ours = [[e.to_contract() for e in extract_document(c, filename=n)] for n, c in files]
    monkeypatch.setattr(pages, "_pdfium_page", lambda pdf_page, number: None)
    theirs = [[e.to_contract() for e in extract_document(c, filename=n)] for n, c in files]
    for (name, _), mine, plumber in zip(files, ours, theirs, strict=True):
        assert _without_boxes(mine) == _without_boxes(plumber, drop_reader=True), name


def _without_boxes(value, *, drop_reader: bool = False):
    if isinstance(value, dict):
        return {
            k: _without_boxes(v, drop_reader=drop_reader)
            for k, v in value.items()
            if k != "bbox" and not (drop_reader and k == "reader")
        }
    if isinstance(value, list):
        return [_without_boxes(v, drop_reader=drop_reader) for v in value]
    return value


def _rotated_pdf() -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=LETTER, invariant=1)
    c.setFont("Helvetica", 11)
    c.drawString(72, 700, "PURCHASE ORDER PO-77120 from Acme Industrial Supply")
    c.saveState()
    c.translate(300, 300)
    c.rotate(90)
    c.drawString(0, 0, "sideways note")
    c.restoreState()
    c.showPage()
    c.setFont("Helvetica", 11)
    c.drawString(72, 700, "Page two reads upright text only")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_a_page_with_text_at_an_angle_is_read_by_pdfplumber_and_says_so():
    pages = read_text_layer(_rotated_pdf(), max_pages=10)
    assert [p.reader for p in pages] == [PDFPLUMBER, PDFIUM]
    [plumber] = _read_with_pdfplumber(_rotated_pdf(), max_pages=10, numbers=[1])
    assert pages[0].words == plumber.words and "PO-77120" in pages[0].text
    assert pages[1].text == "Page two reads upright text only"


def _with_sideways_stamp(content: bytes) -> bytes:
    """The PDF with a 'RECEIVED' stamp set at 90 degrees in the right margin of page 1."""
    pdf = pypdfium2.PdfDocument(content)
    page = pdf[0]
    stamp = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", 9.0)
    text = ctypes.create_string_buffer("RECEIVED".encode("utf-16-le") + b"\0\0")
    pdfium_c.FPDFText_SetText(stamp, ctypes.cast(text, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
    pdfium_c.FPDFPageObj_Transform(stamp, 0, 1, -1, 0, 600, 300)
    pdfium_c.FPDFPage_InsertObject(page.raw, stamp)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_provenance_names_the_fallback_reader():
    stamped = _with_sideways_stamp(SAMPLES.joinpath("po_acme_45810.pdf").read_bytes())
    assert read_text_layer(stamped, max_pages=5)[0].reader == PDFPLUMBER
    [turned] = extract_document(stamped, filename="stamped.pdf")
    [upright] = extract_document(SAMPLES.joinpath("po_acme_45810.pdf").read_bytes(), filename="po.pdf")
    assert turned.order is not None and turned.order.po_number == upright.order.po_number
    assert {w.get("reader") for w in turned.provenance.values() if "page" in w} == {PDFPLUMBER}
    assert not any("reader" in w for w in upright.provenance.values())


def test_word_arithmetic_matches_pdfplumbers_rules():
    # (top, x0, x1, bottom, text): a gap over 1.5 pt splits, a space splits, lines cluster within 3 pt
    chars = [
        (10, 0, 5, 20, "A"),
        (10.5, 5.5, 10, 20, "B"),
        (10, 12, 16, 20, "C"),
        (10, 16, 18, 20, " "),
        (11, 18, 22, 21, "D"),
        (30, 0, 4, 40, "E"),
        (12.9, 30, 34, 22, "F"),
    ]
    words = words_from_chars(chars)
    assert [w.text for w in words] == ["AB", "C", "D", "F", "E"]
    assert (words[0].x0, words[0].top, words[0].x1, words[0].bottom) == (0, 10, 10, 20)
