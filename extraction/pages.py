"""The page model (words with boxes in PDF points) and reading it from a PDF's text layer, OCR where none."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import PdfminerException

from extraction.errors import UnreadableDocument

TEXT, OCR = "text", "ocr"
_MIN_TEXT_CHARS = 20  # a page with less real text than this is treated as a scan


@dataclass(frozen=True)
class Word:
    """One word as read, its box [x0, top, x1, bottom] in points from the page's top left."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0  # OCR confidence in [0, 1]; 1.0 for a text layer
    span: tuple[int, int] | None = None  # character span, for words read from plain text

    @property
    def height(self) -> float:
        """The word's height in points."""
        return max(self.bottom - self.top, 1.0)


@dataclass
class Page:
    """One page: its number (1-based), size, words and where they came from ("text" or "ocr")."""

    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    source: str = TEXT
    tables: list[list[list[str | None]]] = field(default_factory=list)
    blank: bool = False  # the page draws nothing at all (no glyph, image or path): there is nothing to OCR

    @property
    def text(self) -> str:
        """The page's words joined in reading order (for classification)."""
        return " ".join(w.text for w in self.words)


def read_text_layer(content: bytes, *, max_pages: int) -> list[Page]:
    """Every page of a PDF as its text layer; a page without one comes back empty (see needs_ocr)."""
    try:
        return _read_text_layer(content, max_pages=max_pages)
    except PdfminerException as exc:  # closing a broken page tree raises again, over the error said first
        raise _unreadable(exc) from exc


def _read_text_layer(content: bytes, *, max_pages: int) -> list[Page]:
    try:
        pdf = pdfplumber.open(io.BytesIO(content))
    except (PdfminerException, PDFSyntaxError, PSException, PDFEncryptionError, PDFPasswordIncorrect) as exc:
        raise _unreadable(exc) from exc
    except Exception as exc:  # pdfminer raises bare errors (KeyError, TypeError) on mangled files
        raise UnreadableDocument(f"PDF cannot be parsed: {exc!r}", reason="corrupt") from exc
    with pdf:
        try:
            count = len(pdf.pages)
        except Exception as exc:  # page tree damage surfaces here
            raise _unreadable(exc) from exc
        if count == 0:
            raise UnreadableDocument("PDF has no pages", reason="empty")
        if count > max_pages:
            raise UnreadableDocument(f"PDF has {count} pages, over the limit of {max_pages}",
                                     reason="too_many_pages", pages=count)
        pages: list[Page] = []
        for index, plumber_page in enumerate(pdf.pages):
            try:
                page = _text_layer_page(plumber_page, index + 1)
            except Exception:  # a broken content stream on one page: OCR can still read it
                page = Page(index + 1, float(plumber_page.width), float(plumber_page.height), source=OCR)
            pages.append(page)
    return pages


def _text_layer_page(plumber_page, number: int) -> Page:
    words = [
        Word(w["text"], float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"]))
        for w in plumber_page.extract_words(keep_blank_chars=False, x_tolerance=1.5, y_tolerance=3)
        if w["text"].strip()
    ]
    blank = not words and not any(plumber_page.objects.values())
    return Page(number, float(plumber_page.width), float(plumber_page.height), words, TEXT, blank=blank)


def needs_ocr(page: Page) -> bool:
    """True when a page has too little real text to be anything but a scan."""
    if page.blank:
        return False
    real = sum(len(re.sub(r"\(cid:\d+\)|\W", "", w.text)) for w in page.words)
    return real < _MIN_TEXT_CHARS


def _unreadable(exc: Exception) -> UnreadableDocument:
    inner = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError) or "password" in repr(inner).lower():
        return UnreadableDocument("PDF is encrypted", reason="encrypted")
    return UnreadableDocument(f"PDF is corrupt: {inner!r}", reason="corrupt")


CHAR_WIDTH, LINE_PITCH, WORD_HEIGHT = 6.0, 12.0, 10.0


def text_page(text: str, number: int = 1) -> Page:
    """Plain text laid out as a monospaced page, each word keeping its character span (email bodies)."""
    words: list[Word] = []
    offset = 0
    for row, raw_line in enumerate(text.splitlines(keepends=True)):
        line = raw_line.rstrip("\r\n")
        column = 0
        for m in re.finditer(r"\S+|\t| ", line):
            # tabs advance to the next multiple of 8 columns, so tab-aligned tables keep their columns
            if m.group() == "\t":
                column = (column // 8 + 1) * 8
                continue
            if m.group() == " ":
                column += 1
                continue
            x0 = column * CHAR_WIDTH
            words.append(Word(m.group(), x0, row * LINE_PITCH, x0 + len(m.group()) * CHAR_WIDTH,
                              row * LINE_PITCH + WORD_HEIGHT, 1.0, (offset + m.start(), offset + m.end())))
            column += len(m.group())
        offset += len(raw_line)
    rows = max(1, len(text.splitlines()))
    return Page(number, 612.0, rows * LINE_PITCH, words, TEXT)
