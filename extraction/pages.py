"""The page model (words with boxes in PDF points) and reading it from a PDF's text layer, OCR where none.

The text layer is read with pypdfium2: its characters and their boxes, grouped into words here by the same
arithmetic pdfplumber's `extract_words(x_tolerance=1.5, y_tolerance=3)` uses (lines clustered by top within 3
points, characters sorted left to right, a new word at whitespace, at a gap over 1.5 points or a jump back).
That costs a few milliseconds a page instead of pdfplumber's tens. Where the arithmetic cannot be trusted — a
rotated or cropped page, characters set at an angle, text pdfium cannot map to Unicode, a page pdfium cannot
read — that page is read with pdfplumber instead, and says so (`Page.reader`, and `reader` in the provenance).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c

from o2c.extraction.errors import UnreadableDocument

TEXT, OCR = "text", "ocr"
PDFIUM, PDFPLUMBER = "pdfium", "pdfplumber"
_MIN_TEXT_CHARS = 20  # a page with less real text than this is treated as a scan
X_TOLERANCE, Y_TOLERANCE = 1.5, 3.0  # pdfplumber's extract_words tolerances, the ones o2c always used
_LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_LIGATURE_TABLE = str.maketrans(_LIGATURES)
_NOT_TEXT = re.compile(r"\(cid:\d+\)|\W")  # what needs_ocr does not count as text
_UNMAPPED = re.compile(r"[\ufffd\ufffe\x00-\x08\x0b\x0c\x0e-\x1f]")


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
    reader: str | None = None  # for a text layer: "pdfium" (our own word arithmetic) or "pdfplumber" (fallback)
    # an OCR'd page: the grey image Tesseract read (straightened), so a doubtful field can be read a second time
    image: Any = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The page's words joined in reading order (for classification)."""
        return " ".join(w.text for w in self.words)


def read_text_layer(content: bytes, *, max_pages: int) -> list[Page]:
    """Every page of a PDF as its text layer; a page without one comes back empty (see needs_ocr)."""
    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError:  # encrypted, corrupt, no pages: pdfplumber's reading names the reason
        return _read_with_pdfplumber(content, max_pages=max_pages, numbers=None)
    try:
        count = len(pdf)
        if count == 0:
            raise UnreadableDocument("PDF has no pages", reason="empty")
        if count > max_pages:
            raise UnreadableDocument(
                f"PDF has {count} pages, over the limit of {max_pages}", reason="too_many_pages", pages=count
            )
        pages: list[Page | None] = []
        for index in range(count):
            try:
                pdf_page = pdf[index]
            except pypdfium2.PdfiumError:  # a damaged page object (found by the fuzz run): pdfplumber says why
                pages.append(None)
                continue
            try:
                pages.append(_pdfium_page(pdf_page, index + 1))
            except pypdfium2.PdfiumError:
                pages.append(None)  # pdfplumber reads it, or marks it for OCR
            finally:
                pdf_page.close()
    finally:
        pdf.close()
    fallback = [n for n, page in enumerate(pages, 1) if page is None]
    if fallback:
        by_number = {p.number: p for p in _read_with_pdfplumber(content, max_pages=max_pages, numbers=fallback)}
        pages = [page or by_number[n] for n, page in enumerate(pages, 1)]
    return [page for page in pages if page is not None]  # (none is: pdfplumber read those pdfium could not)


def _pdfium_page(pdf_page, number: int) -> Page | None:
    """The page's words from pypdfium2's characters and loose boxes; None where pdfplumber must read it."""
    if pdf_page.get_rotation() or pdf_page.get_cropbox() != pdf_page.get_mediabox():
        return None  # pdfplumber's coordinates for turned or cropped pages are its own: keep them
    width, height = pdf_page.get_size()
    textpage = pdf_page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count > 0 else ""
        if len(text) != count or _UNMAPPED.search(text):
            return None  # surrogate pairs or glyphs without Unicode: pdfplumber's (cid:N) reading is the contract
        chars = _chars(textpage.raw, text, height)
    finally:
        textpage.close()
    if chars is None:
        return None
    words = words_from_chars(chars)
    blank = not words and not _draws_anything(pdf_page)
    return Page(number, float(width), float(height), words, TEXT, blank=blank, reader=PDFIUM)


def _draws_anything(pdf_page) -> bool:
    """True when the page (forms included) holds a glyph, an image, a shading or a filled or stroked path;
    a clipping path alone draws nothing (pdfminer, and so pdfplumber, sees no object for it)."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    for obj in pdf_page.get_objects(max_depth=8):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            continue
        if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            return True
        if pdfium_c.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke)) and (
            fill.value or stroke.value
        ):
            return True
    return False


def _unconverted(function, restype):
    """A pdfium function that ctypes calls without converting each argument by its declared type: _chars calls
    two per character, where the conversions cost more than pdfium's own work. Its arguments go in ready-made
    (a c_void_p handle, an int, a byref pointer)."""
    return ctypes.CFUNCTYPE(restype)(ctypes.cast(function, ctypes.c_void_p).value)


_LOOSE_CHAR_BOX = _unconverted(pdfium_c.FPDFText_GetLooseCharBox, ctypes.c_int)
_FONT_SIZE = _unconverted(pdfium_c.FPDFText_GetFontSize, ctypes.c_double)


def _chars(raw_textpage, text: str, height: float) -> list[tuple[float, float, float, float, str]] | None:
    """(top, x0, x1, bottom, char) per character, pdfminer's box: loose x extent, font-size tall from the
    descender up. None when a character is set at an angle (its box is not a font-size-tall upright box)."""
    rect = pdfium_c.FS_RECTF()
    box, handle = ctypes.byref(rect), ctypes.cast(raw_textpage, ctypes.c_void_p)
    loose_box, font_size = _LOOSE_CHAR_BOX, _FONT_SIZE
    chars = []
    for index, char in enumerate(text):
        if char in "\r\n":
            continue  # pdfium's generated line ends: pdfplumber has no character there
        loose_box(handle, index, box)
        size = font_size(handle, index)
        tall = rect.top - rect.bottom
        if size <= 0 or not 0.5 * size <= tall <= 1.6 * size:
            if char.isspace():
                continue
            return None
        bottom = height - rect.bottom
        chars.append((bottom - size, rect.left, rect.right, bottom, char))
    return chars


def words_from_chars(chars: list[tuple[float, float, float, float, str]]) -> list[Word]:
    """pdfplumber's extract_words(keep_blank_chars=False, x_tolerance=1.5, y_tolerance=3) over upright
    characters given as (top, x0, x1, bottom, text), in content order."""
    tops = sorted({c[0] for c in chars})
    cluster: dict[float, int] = {}
    index, last = 0, None
    for top in tops:
        if last is not None and top > last + Y_TOLERANCE:
            index += 1
        cluster[top] = index
        last = top
    lines: list[list[tuple[float, float, float, float, str]]] = [[] for _ in range(index + 1)] if chars else []
    for char in chars:
        lines[cluster[char[0]]].append(char)
    words: list[Word] = []
    for line in lines:
        line.sort(key=_X0)  # left to right; stable, so characters at one x keep their content order
        # the word being read: its glyphs and box (its x0 is its first character's: x0 only grows inside a
        # word), and its last character's x0, x1 and top, which decide whether the next character joins it
        glyphs: list[str] = []
        w_x0 = w_top = w_x1 = w_bottom = last_x0 = last_x1 = last_top = 0.0
        for top, x0, x1, bottom, glyph in line:
            if glyphs:
                if glyph.isspace() or x0 < last_x0 or x0 > last_x1 + X_TOLERANCE or abs(top - last_top) > Y_TOLERANCE:
                    _add_word(words, glyphs, w_x0, w_top, w_x1, w_bottom)
                    glyphs = []
                else:
                    glyphs.append(glyph)
                    if top < w_top:
                        w_top = top
                    if x1 > w_x1:
                        w_x1 = x1
                    if bottom > w_bottom:
                        w_bottom = bottom
                    last_x0, last_x1, last_top = x0, x1, top
                    continue
            if not glyph.isspace():
                glyphs = [glyph]
                w_x0, w_top, w_x1, w_bottom = x0, top, x1, bottom
                last_x0, last_x1, last_top = x0, x1, top
        if glyphs:
            _add_word(words, glyphs, w_x0, w_top, w_x1, w_bottom)
    return words


_X0 = itemgetter(1)


def _add_word(words: list[Word], glyphs: list[str], x0: float, top: float, x1: float, bottom: float) -> None:
    text = "".join(glyphs).translate(_LIGATURE_TABLE)
    if text.strip():
        words.append(Word(text, x0, top, x1, bottom))


@contextlib.contextmanager
def _closing_quietly(pdf):
    """Close a pdfplumber PDF without letting a page tree that breaks while closing hide the error said first."""
    try:
        yield pdf
    finally:
        with contextlib.suppress(Exception):
            pdf.close()


def _read_with_pdfplumber(content: bytes, *, max_pages: int, numbers: list[int] | None) -> list[Page]:
    """Pages read by pdfplumber (all of them when numbers is None), for what pdfium's arithmetic cannot do."""
    import pdfplumber  # deferred: only the fallback needs pdfplumber and pdfminer (~0.3 s to import)
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(content))
    except (PdfminerException, PDFSyntaxError, PSException, PDFEncryptionError, PDFPasswordIncorrect) as exc:
        raise _unreadable(exc) from exc
    except Exception as exc:  # pdfminer raises bare errors (KeyError, TypeError) on mangled files
        raise UnreadableDocument(f"PDF cannot be parsed: {exc!r}", reason="corrupt") from exc
    with _closing_quietly(pdf):
        try:
            count = len(pdf.pages)
        except Exception as exc:  # page tree damage surfaces here
            raise _unreadable(exc) from exc
        if count == 0:
            raise UnreadableDocument("PDF has no pages", reason="empty")
        if count > max_pages:
            raise UnreadableDocument(
                f"PDF has {count} pages, over the limit of {max_pages}", reason="too_many_pages", pages=count
            )
        pages: list[Page] = []
        for index, plumber_page in enumerate(pdf.pages):
            if numbers is not None and index + 1 not in numbers:
                continue
            try:
                page = _text_layer_page(plumber_page, index + 1)
            except Exception:  # a broken content stream on one page: OCR can still read it
                page = Page(index + 1, float(plumber_page.width), float(plumber_page.height), source=OCR)
            pages.append(page)
    return pages


def _text_layer_page(plumber_page, number: int) -> Page:
    words = [
        Word(w["text"], float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"]))
        for w in plumber_page.extract_words(keep_blank_chars=False, x_tolerance=X_TOLERANCE, y_tolerance=Y_TOLERANCE)
        if w["text"].strip()
    ]
    blank = not words and not any(plumber_page.objects.values())
    return Page(
        number, float(plumber_page.width), float(plumber_page.height), words, TEXT, blank=blank, reader=PDFPLUMBER
    )


def needs_ocr(page: Page) -> bool:
    """True when a page has too little real text to be anything but a scan."""
    if page.blank:
        return False
    real = 0
    for word in page.words:  # stops as soon as there is text enough
        real += len(_NOT_TEXT.sub("", word.text))
        if real >= _MIN_TEXT_CHARS:
            return False
    return True


def _unreadable(exc: Exception) -> UnreadableDocument:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

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
            words.append(
                Word(
                    m.group(),
                    x0,
                    row * LINE_PITCH,
                    x0 + len(m.group()) * CHAR_WIDTH,
                    row * LINE_PITCH + WORD_HEIGHT,
                    1.0,
                    (offset + m.start(), offset + m.end()),
                )
            )
            column += len(m.group())
        offset += len(raw_line)
    rows = max(1, len(text.splitlines()))
    return Page(number, 612.0, rows * LINE_PITCH, words, TEXT)
