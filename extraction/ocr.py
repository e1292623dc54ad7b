"""OCR: rasterise PDF pages (pypdfium2) and images (Pillow), read words with boxes and confidences (Tesseract)."""

from __future__ import annotations

import functools
import io
import os
import re
import tempfile
import warnings
from typing import TYPE_CHECKING

import pypdfium2
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from o2c.core.errors import EngineMissing
from o2c.core.lazy import LazyModule
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.pages import OCR, Page, Word
from o2c.extraction.raster import check_pixels, raster_dpi
from o2c.extraction.straighten import rotated_smoothed

if TYPE_CHECKING:
    import numpy as np
else:
    np = LazyModule("numpy")  # imported at the first scan, not with extraction (core/lazy.py)

POINTS_PER_INCH = 72.0
# below this word confidence (0-100) a word of no letter or digit is dust or a rule end: read as a word of its own
# it splits a table row into two lines
SPECK_CONFIDENCE = 50.0
_DEFAULT_IMAGE_DPI = 300


def ocr_pdf_page(content: bytes, index: int, *, dpi: int, languages: str, max_pixels: int = 60_000_000) -> Page:
    """OCR one PDF page (0-based index), boxes in PDF points like the text layer's; the pixel cap comes first."""
    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError as exc:
        raise UnreadableDocument(f"PDF cannot be rendered: {exc}", reason="corrupt") from exc
    try:
        pdf_page = pdf[index]
        width, height = pdf_page.get_size()
        dpi = round(raster_dpi(width, height, dpi=dpi, max_pixels=max_pixels, page=index + 1))
        image = pdf_page.render(scale=dpi / POINTS_PER_INCH, grayscale=True).to_pil()
    finally:
        pdf.close()
    image = prepared(image, dpi) or image
    words = ocr_words(image, dpi=dpi, languages=languages)
    return _ocr_page(index + 1, float(width), float(height), words, image)


def read_image_pages(content: bytes, *, max_pixels: int, max_pages: int, languages: str) -> list[Page]:
    """OCR every frame of a PNG, JPEG or (multi-page) TIFF; refuses images over max_pixels."""
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow warns at this size and raises at twice it; we refuse both
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            check_pixels(image.width, image.height, max_pixels=max_pixels)
            pages: list[Page] = []
            frames = getattr(image, "n_frames", 1)
            if frames > max_pages:
                raise UnreadableDocument(
                    f"image has {frames} frames, over the limit of {max_pages}", reason="too_many_pages"
                )
            if frames == 1 and _tesseract_reads_as_is(image):
                return [_ocr_encoded(content, image, languages)]
            for frame in range(frames):
                image.seek(frame)
                pages.append(_ocr_frame(image.copy(), frame + 1, languages))
            return pages
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableDocument(f"image over the pixel limit: {exc}", reason="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableDocument(f"image cannot be decoded: {exc}", reason="corrupt") from exc


def _tesseract_reads_as_is(image: Image.Image) -> bool:
    """A plain PNG or JPEG Tesseract can open itself: decoding it here and handing it over again costs time."""
    if image.format not in ("PNG", "JPEG") or image.mode not in ("1", "L", "RGB"):
        return False
    # no EXIF rotation to apply (a PNG's getexif() would decode the whole image to look for a late eXIf chunk)
    orientation = image.getexif().get(0x0112, 1) if image.format == "JPEG" or "exif" in image.info else 1
    return orientation == 1


def _ocr_encoded(content: bytes, image: Image.Image, languages: str) -> Page:
    """A PNG or JPEG page: Tesseract opens the file's own bytes unless the page must be straightened or smoothed."""
    dpi = _image_dpi(image)
    scale = POINTS_PER_INCH / dpi
    page = prepared(_grey(image), dpi)
    if page is None:
        words = ocr_words(image, dpi=dpi, languages=languages, encoded=content)
    else:
        words = ocr_words(page, dpi=dpi, languages=languages)
    return _ocr_page(1, image.width * scale, image.height * scale, words, page or image)


def _ocr_frame(image: Image.Image, number: int, languages: str) -> Page:
    dpi = _image_dpi(image)
    image = ImageOps.exif_transpose(image).convert("L")
    image = prepared(image, dpi) or image
    words = ocr_words(image, dpi=dpi, languages=languages)
    scale = POINTS_PER_INCH / dpi
    return _ocr_page(number, image.width * scale, image.height * scale, words, image)


# the pages whose image is kept for a second reading of a doubtful header field (extraction/reread.py): a
# document's header is on its first page, a continuation page repeats it at most; every page's image kept would
# hold 8 MB a 300 dpi page (400 MB for 50 scanned pages) until the extraction ends
IMAGE_KEPT_PAGES = 2


def _ocr_page(number: int, width: float, height: float, words: list[Word], image: Image.Image) -> Page:
    return Page(number, width, height, words, OCR, image=image if number <= IMAGE_KEPT_PAGES else None)


MAX_SKEW_DEGREES = 3.0  # a page fed crooked through a scanner; beyond this it is turned, not skewed
# below SMOOTH_MIN_DPI, bicubic: the most digits read right and Tesseract's word confidences kept (bilinear blurs
# them down a little); a page of SMOOTH_MIN_DPI and over is turned bicubic in the smoothing's own pass
# (extraction/straighten.py: a quarter of Pillow's rotation and the mean; nearest neighbour read fewer cells right)
RESAMPLE = Image.Resampling.BICUBIC
MIN_DESKEW_DEGREES = 0.1  # below this a table row drifts less than a tenth of a line height across a page
_SKEW_DPI = 75  # the skew is measured on a reduced copy: lines of text are still lines at this resolution
SMOOTH_MIN_DPI = 200  # below it a pixel is a large part of a stroke: averaging 3x3 of them blurs glyphs together


def prepared(image: Image.Image, dpi: int) -> Image.Image | None:
    """The grey page as Tesseract reads it best, or None when that is the page as scanned: rotated so its text
    lines run level, and averaged over 3x3 pixels at SMOOTH_MIN_DPI and over (see smoothed), in one pass when both.

    Tesseract finds lines on a skewed page, but a 2° tilt over a table's width is a line and a half: rows of
    small print run into each other, cells are cut between two lines and digits are read from slanted strokes.
    Straightening the image first reads markedly more numbers right than correcting word boxes afterwards.
    """
    angle = skew_angle(image, dpi)
    level = abs(angle) < MIN_DESKEW_DEGREES
    if dpi >= SMOOTH_MIN_DPI:
        return smoothed(image) if level else rotated_smoothed(image, angle)
    return None if level else image.rotate(angle, resample=RESAMPLE, expand=False, fillcolor=255)


def skew_angle(image: Image.Image, dpi: int) -> float:
    """The rotation in degrees (counter-clockwise, as Pillow's rotate) that levels the page's text lines.

    Projection profile: dark pixels are projected onto the vertical along candidate slopes; text lines stack
    into the sharpest profile (the largest sum of squared row counts) at the page's own slope. A coarse sweep
    over ±MAX_SKEW_DEGREES, then a fine one around the best."""
    step = max(1, round(dpi / _SKEW_DPI))
    small = image.reduce(step) if step > 1 else image
    pixels = np.asarray(small, dtype=np.uint8)
    ys, xs = np.nonzero(pixels < 128)
    if len(ys) < 200:
        return 0.0  # a blank page, or a few specks: nothing to level
    ys = ys.astype(np.float64) + pixels.shape[0] * 0.1  # keep projections non-negative (tan 3° < 0.1)
    xs = xs.astype(np.float64) - pixels.shape[1] / 2

    def sharpness(degrees: float) -> float:
        rows = np.bincount(np.round(ys - xs * np.tan(np.radians(degrees))).astype(np.int64).clip(0))
        return float(np.dot(rows, rows))

    coarse = max(np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.25), key=sharpness)
    fine = max(np.arange(coarse - 0.25, coarse + 0.26, 0.05), key=sharpness)
    return float(fine)


def smoothed(image: Image.Image) -> Image.Image:
    """The grey page averaged over 3x3 pixels before Tesseract binarises it (pages of SMOOTH_MIN_DPI and over).

    A scan's grain and dust are a pixel or two wide: Tesseract's thresholding turns them into holes in thin
    strokes and specks beside them, which breaks a typewriter face's one-pixel-wide separators apart from their
    digits ('17,986.15' read as '172986;' '15', '1,573.37' as '1573537'). At 200 dpi and over, a stroke is
    several pixels wide and a 3x3 mean keeps it while it evens out the grain (a median would too, at fifteen
    times the cost); at 150 dpi it smudges small print, so those pages are left as scanned."""
    return _grey(image).filter(ImageFilter.BoxBlur(1))


def _grey(image: Image.Image) -> Image.Image:
    """The page in 8-bit grey; a grey page as it is (convert would copy its 8 MB at 300 dpi)."""
    return image if image.mode == "L" else image.convert("L")


def _image_dpi(image: Image.Image) -> int:
    dpi = image.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else 0
    except (TypeError, ValueError):
        value = 0
    return value if 70 <= value <= 1200 else _DEFAULT_IMAGE_DPI


def ocr_words(image: Image.Image, *, dpi: int, languages: str, encoded: bytes | None = None) -> list[Word]:
    """Tesseract's words with boxes converted from pixels to points and confidences in [0, 1].

    encoded: the image file's own bytes, when Tesseract can read them as they are (PNG, JPEG).
    """
    # Tesseract's OpenMP threads fight each other on small machines: one thread is several times faster.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    data = _tesseract(image, dpi, languages, encoded)
    if languages == "eng" and "deu" in _installed_languages() and _looks_german(data["text"]):
        # English alone reads 'Müller' as 'Miller'; German alone misreads '40B18': a second pass only when needed
        data = _tesseract(image, dpi, "deu+eng", encoded)
    return words_from_data(data, dpi)


def words_from_data(data: dict, dpi: int) -> list[Word]:
    """Words from Tesseract's image_to_data table (lists by column): specks dropped, split numbers joined,
    the page's residual skew undone, boxes in points."""
    scale = POINTS_PER_INCH / dpi
    raw = []
    for i, text in enumerate(data["text"]):
        text = _clean_ocr_word(text or "")
        conf = float(data["conf"][i])
        if not text or conf < 0 or (conf < SPECK_CONFIDENCE and not any(c.isalnum() for c in text)):
            continue  # no word, Tesseract's block/line rows (conf -1), or a mark it barely saw ('-' at conf 0)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        raw.append((key, text, data["left"][i], data["top"][i], data["width"][i], data["height"][i], conf))
    raw = _join_number_fragments(raw)
    slope = _skew(raw)
    words: list[Word] = []
    for _key, text, left, top, w, h, conf in raw:
        # undo a slightly rotated scan so that a table row's words share one baseline again
        # rotate the word back (small angle): a 2° skew moves a column ~25 pt sideways from the top of the page
        # to its bottom, enough to put a row's cells under the wrong header
        shift = slope * (left + w / 2)
        drift = slope * (top + h / 2)
        for piece, x0, x1 in _split_rule(text, left, left + w):
            words.append(
                Word(
                    piece,
                    (x0 + drift) * scale,
                    (top - shift) * scale,
                    (x1 + drift) * scale,
                    (top + h - shift) * scale,
                    confidence=max(0.0, min(conf / 100.0, 1.0)),
                )
            )
    return words


def _tesseract(image: Image.Image, dpi: int, languages: str, encoded: bytes | None = None) -> dict:
    # psm 4 (one column of lines of varying size) keeps table rows that psm 3 drops beside dashed rules.
    # pytesseract would hand the image over as a compressed PNG (a third of the OCR time on a page); an
    # uncompressed TIFF costs a millisecond to write and next to nothing for Leptonica to read, where a PGM
    # is read a byte at a time (~70 ms more of Tesseract's time on a 300 dpi page, the same words read).
    # raw said outright: a page from a Group 4 TIFF carries that compression along, which no grey page can take.
    with tempfile.NamedTemporaryFile(suffix=".img" if encoded else ".tif") as handle:
        if encoded:
            handle.write(encoded)
        else:
            _grey(image).save(handle, format="TIFF", compression="raw")
        handle.flush()
        pytesseract = _pytesseract()
        try:
            return pytesseract.image_to_data(
                handle.name, lang=languages, config=f"--psm 4 --dpi {dpi}", output_type=pytesseract.Output.DICT
            )
        except pytesseract.TesseractNotFoundError as exc:  # the machine's fault, not the page's: retry later
            raise EngineMissing("Tesseract is not installed or not on PATH", engine="tesseract") from exc
        except pytesseract.TesseractError as exc:
            if _missing_language(str(exc)):
                raise EngineMissing(
                    f"Tesseract language data missing for {languages!r}: {exc}", engine="tesseract", languages=languages
                ) from exc
            raise UnreadableDocument(f"OCR failed: {exc}", reason="ocr_failed") from exc


def _missing_language(message: str) -> bool:
    return "Failed loading language" in message or "Error opening data file" in message


@functools.cache
def _pytesseract():
    """pytesseract, imported at the first OCR rather than with extraction (it probes numpy and pandas: ~0.3 s)."""
    import pytesseract

    return pytesseract


def warm_up() -> None:
    """Import pytesseract and ask Tesseract for its languages now rather than at the first page."""
    _pytesseract()
    _installed_languages()


@functools.lru_cache(maxsize=1)
def _installed_languages() -> frozenset[str]:
    pytesseract = _pytesseract()
    try:
        return _languages_of(pytesseract.pytesseract.tesseract_cmd)
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineMissing("Tesseract is not installed or not on PATH", engine="tesseract") from exc


@functools.lru_cache(maxsize=4)
def _languages_of(_command: str) -> frozenset[str]:
    pytesseract = _pytesseract()
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except pytesseract.TesseractError:
        return frozenset()


def engine_status(languages: str) -> dict:
    """Tesseract's version and the configured languages it lacks (for `o2c doctor`); raises EngineMissing."""
    pytesseract = _pytesseract()
    try:
        version = str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineMissing("Tesseract is not installed or not on PATH", engine="tesseract") from exc
    installed = _installed_languages()
    wanted = [lang for lang in languages.split("+") if lang]
    return {
        "version": version,
        "installed": sorted(installed),
        "missing": [lang for lang in wanted if lang not in installed],
    }


_GERMAN = re.compile(
    r"(?i)^(bestell\S*|menge|datum|zahlungs\S*|rechnung\S*|lieferadresse|lieferanschrift|"
    r"gesamtbetrag|gesamtsumme|einzelpreis|bezeichnung|mwst\.?|währung|wahrung|skonto)$"
)


def _looks_german(texts) -> bool:
    return sum(1 for t in texts if t and _GERMAN.match(t.strip(":"))) >= 2


_DESCENDERS = re.compile(r"[gjpqyQ,;()\[\]{}|/_$@]")


def _skew(raw) -> float:
    """The page's skew (dy/dx), the median over Tesseract's own text lines that span some width."""
    lines: dict[tuple, list[tuple[float, float]]] = {}
    for key, text, left, top, w, h, _conf in raw:
        if _DESCENDERS.search(text):
            continue  # a box's bottom is the baseline only for words without descenders ('p', ',', brackets)
        lines.setdefault(key, []).append((left + w / 2, top + h))
    slopes = []
    for points in lines.values():
        if len(points) < 3 or points[-1][0] - points[0][0] < 150:
            continue
        n = len(points)
        mx = sum(x for x, _ in points) / n
        my = sum(y for _, y in points) / n
        sxx = sum((x - mx) ** 2 for x, _ in points)
        if sxx:
            slopes.append(sum((x - mx) * (y - my) for x, y in points) / sxx)
    if not slopes:
        return 0.0
    slopes.sort()
    slope = slopes[len(slopes) // 2]
    return slope if abs(slope) < 0.1 else 0.0


_CENTS_HEAD = re.compile(r"^[.,]\d{1,2}$")  # ',89' read apart from '2.257'
# the whole part of an amount: digits grouped by thousands or not, after a currency sign or not ('£4748', '2.257')
_MONEY_HEAD = re.compile(r"^[$€£¥]?(?:\d{1,3}(?:[.,]\d{3})+|\d+)$")
_NUMBER_TAIL = re.compile(r"^[$€£¥]?(?:\d{1,3}(?:[.,]\d{3})+|\d+)[.,]$")  # '2.257,' read apart from '89'
# an amount grouped by thousands with its cents, one grouping sign throughout ('1,234.50', '12.345.678,90')
_GROUPED_AMOUNT = re.compile(r"^[$€£¥]?\d{1,3}(?:(?:,\d{3})+\.\d{1,2}|(?:\.\d{3})+,\d{1,2})$")


def _one_amount(head: str, tail: str) -> str:
    """How strongly two neighbouring words read as one amount split by OCR: 'cents' (its decimal part read apart,
    '2.257' ',89'), 'grouped' (split at a separator inside an amount grouped by thousands, '1,' '234.50',
    '1' ',234.50', '16.353,' '21'), else ''."""
    joined = head + tail
    at_separator = head[-1:] in ".," or tail[:1] in ".,"
    if at_separator and _GROUPED_AMOUNT.match(joined):
        return "grouped"
    if (_CENTS_HEAD.match(tail) and _MONEY_HEAD.match(head)) or (
        _NUMBER_TAIL.match(head) and re.fullmatch(r"\d{1,2}", tail)
    ):
        return "cents"
    return ""


def _join_number_fragments(raw: list) -> list:
    """'2.257 ,89' -> '2.257,89', '£4748 .16' -> '£4748.16', '1, 234.50' -> '1,234.50': an amount read in pieces.

    Tesseract splits a number where speckle or a thin separator widens the gap: a monospaced (typewriter) face
    prints ',' and '.' in a full character cell, so the gap beside one looks like a space. The pieces join only
    when they sit on one Tesseract line and the first is an amount's whole part (digits, thousands separators, a
    currency sign before them) or that and its separator, closer than half the glyph height: a gap that small
    between a number and its cents is no column gap. Pieces that together make an amount grouped by thousands,
    split at one of its separators, may stand up to a character cell apart (the pieces' mean glyph width, which
    in a typewriter face is the width of a space): no two values print as '1,' and '234.50' side by side."""
    out: list = []
    for entry in raw:
        if out:
            key, text, left, top, w, h, conf = entry
            pkey, ptext, pleft, ptop, pw, ph, pconf = out[-1]
            gap = left - (pleft + pw)
            kind = _one_amount(ptext, text) if key == pkey else ""
            most = 0.5 * max(h, ph)
            if kind == "grouped":
                most = max(most, (w + pw) / (len(text) + len(ptext)))
            # a speck of dust beside the cents can widen their box over the whole part's: overlapping boxes join
            if kind and -0.5 * pw <= gap < most:
                bottom = max(ptop + ph, top + h)
                new_top = min(ptop, top)
                out[-1] = (key, ptext + text, pleft, new_top, left + w - pleft, bottom - new_top, min(conf, pconf))
                continue
        out.append(entry)
    return out


_RULE = re.compile(r"^(\d+(?:[.,]\d+)?)[|)\]/!}{\\]{1,3}([A-Za-z]{1,4})$")
_BAR = re.compile(r"^(.*?\w)[|]+[/)\]}{(\\!]*(\w.*)$")  # '4|MTR-1HP': a ruling line between two cells


_SPECKS = "~_«»—–‘’“”`©®"  # dust and rule ends read as marks no printed value starts or ends with
_DUST = frozenset("~_«»—–‘’“”`;,.'\"*^=°")  # a word of nothing but these is a speck of dust, not text


def _clean_ocr_word(text: str) -> str:
    """Drop table rules and specks read as characters ('|', '[', '~', '«', '—_-') at a word's edges, and words
    that are nothing but such marks ('~', ';' alone on a line between two table rows)."""
    text = text.strip().strip("|[]{}")
    core = text.strip(_SPECKS)
    if core != text:
        head = text[: len(text) - len(text.lstrip(_SPECKS))]
        text = core.lstrip("-") if head and core.startswith("-") else core  # '—_-BU8-8448': the dash is a speck
    return "" if set(text) <= _DUST else text


def _split_rule(text: str, x0: float, x1: float):
    """'24)EA' (a quantity, a ruling line read as ')', a unit) becomes two words."""
    m = _RULE.match(text) or _BAR.match(text)
    if not m:
        return [(text, x0, x1)]
    cut = x0 + (x1 - x0) * len(m.group(1)) / len(text)
    return [(m.group(1), x0, cut), (m.group(2), cut + (x1 - x0) / len(text), x1)]
