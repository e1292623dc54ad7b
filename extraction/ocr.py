"""OCR: rasterise PDF pages (pypdfium2) and images (Pillow), read words with boxes and confidences (Tesseract)."""

from __future__ import annotations

import io
import os
import re
import warnings

import pypdfium2
import pytesseract
from PIL import Image, ImageOps, UnidentifiedImageError

from extraction.errors import UnreadableDocument
from extraction.pages import OCR, Page, Word

POINTS_PER_INCH = 72.0
_DEFAULT_IMAGE_DPI = 300


def ocr_pdf_page(content: bytes, index: int, *, dpi: int, languages: str) -> Page:
    """OCR one PDF page (0-based index), boxes in PDF points like the text layer's."""
    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError as exc:
        raise UnreadableDocument(f"PDF cannot be rendered: {exc}", reason="corrupt") from exc
    try:
        pdf_page = pdf[index]
        width, height = pdf_page.get_size()
        image = pdf_page.render(scale=dpi / POINTS_PER_INCH, grayscale=True).to_pil()
    finally:
        pdf.close()
    words = ocr_words(image, dpi=dpi, languages=languages)
    return Page(index + 1, float(width), float(height), words, OCR)


def read_image_pages(content: bytes, *, max_pixels: int, max_pages: int, languages: str) -> list[Page]:
    """OCR every frame of a PNG, JPEG or (multi-page) TIFF; refuses images over max_pixels."""
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow warns at this size and raises at twice it; we refuse both
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.width * image.height > max_pixels:
                raise UnreadableDocument(
                    f"image is {image.width}x{image.height} pixels, over the limit of {max_pixels}",
                    reason="image_too_large")
            pages: list[Page] = []
            frames = getattr(image, "n_frames", 1)
            if frames > max_pages:
                raise UnreadableDocument(f"image has {frames} frames, over the limit of {max_pages}",
                                         reason="too_many_pages")
            for frame in range(frames):
                image.seek(frame)
                pages.append(_ocr_frame(image.copy(), frame + 1, languages))
            return pages
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableDocument(f"image over the pixel limit: {exc}", reason="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableDocument(f"image cannot be decoded: {exc}", reason="corrupt") from exc


def _ocr_frame(image: Image.Image, number: int, languages: str) -> Page:
    dpi = _image_dpi(image)
    image = ImageOps.exif_transpose(image).convert("L")
    words = ocr_words(image, dpi=dpi, languages=languages)
    scale = POINTS_PER_INCH / dpi
    return Page(number, image.width * scale, image.height * scale, words, OCR)


def _image_dpi(image: Image.Image) -> int:
    dpi = image.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else 0
    except (TypeError, ValueError):
        value = 0
    return value if 70 <= value <= 1200 else _DEFAULT_IMAGE_DPI


def ocr_words(image: Image.Image, *, dpi: int, languages: str) -> list[Word]:
    """Tesseract's words with boxes converted from pixels to points and confidences in [0, 1]."""
    # Tesseract's OpenMP threads fight each other on small machines: one thread is several times faster.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        data = pytesseract.image_to_data(
            image, lang=languages, config=f"--psm 3 --dpi {dpi}", output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError as exc:
        raise UnreadableDocument(f"OCR failed: {exc}", reason="ocr_failed") from exc
    scale = POINTS_PER_INCH / dpi
    raw = []
    for i, text in enumerate(data["text"]):
        text = _clean_ocr_word(text or "")
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        raw.append((key, text, data["left"][i], data["top"][i], data["width"][i], data["height"][i], conf))
    slope = _skew(raw)
    words: list[Word] = []
    for _key, text, left, top, w, h, conf in raw:
        # undo a slightly rotated scan so that a table row's words share one baseline again
        shift = slope * (left + w / 2)
        for piece, x0, x1 in _split_rule(text, left, left + w):
            words.append(Word(piece, x0 * scale, (top - shift) * scale, x1 * scale, (top + h - shift) * scale,
                              confidence=max(0.0, min(conf / 100.0, 1.0))))
    return words


def _skew(raw) -> float:
    """The page's skew (dy/dx), the median over Tesseract's own text lines that span some width."""
    lines: dict[tuple, list[tuple[float, float]]] = {}
    for key, _text, left, top, w, h, _conf in raw:
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


_RULE = re.compile(r"^(\d+(?:[.,]\d+)?)[|)\]/!]([A-Za-z]{1,4})$")


def _clean_ocr_word(text: str) -> str:
    """Drop table rules read as characters ('|', '[') at a word's edges."""
    return text.strip().strip("|[]{}")


def _split_rule(text: str, x0: float, x1: float):
    """'24)EA' (a quantity, a ruling line read as ')', a unit) becomes two words."""
    m = _RULE.match(text)
    if not m:
        return [(text, x0, x1)]
    cut = x0 + (x1 - x0) * len(m.group(1)) / len(text)
    return [(m.group(1), x0, cut), (m.group(2), cut + (x1 - x0) / len(text), x1)]
