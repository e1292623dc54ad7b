"""A second, independent reading of a doubtful OCR'd header field: its word box cut out of the page image and read
again with other preprocessing and another page mode.

Tesseract reads a whole page once (`extraction.ocr`, `--psm 4`, a 3×3 mean at 200 dpi and over). A field whose
words it was unsure of keeps a low confidence (`Evidence.record`: under 0.9 below a word confidence of 0.9), and
a PO number or an order date read that way sends the document to review although it was, most of the time, read
right. Here the field's box (page points → image pixels, a small margin) is cut from the very image Tesseract
read (straightened, and averaged at 200 dpi and over: `ocr.prepared`), enlarged 2× and read as one line of text
(`--psm 7`): the same glyphs seen at another scale, threshold and segmentation. Only the first
`ocr.IMAGE_KEPT_PAGES` pages keep their image for this (a header's fields are on them).
Where that reading spells exactly what the page reading spelled (spaces aside), the field takes back the
confidence its words' low confidence took from it, at most AGREED_CONFIDENCE.
Any difference, an empty reading or a missing engine changes nothing.

How far agreement may lift a field is measured, not assumed: on the tuned families' scans (`bench.generalization
--tuned-only --channels scan,emailed_scan`), of the fields raised to 0.9 or more this way, the share that is right
must be at least 99 % (`python -m bench.reread`; README, "Extraction quality"; on the image as straightened and
averaged in one pass, 2026-12-06, seeds 1–2: 27 of 27 agreed fields right).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from typing import TYPE_CHECKING

from PIL import Image

from o2c.core.lazy import LazyModule
from o2c.extraction.evidence import Evidence
from o2c.extraction.pages import OCR, Page

if TYPE_CHECKING:
    import numpy as np
else:
    np = LazyModule("numpy")  # imported at the first scan, not with extraction (core/lazy.py)

# header fields a posting decision needs that arithmetic and master data cannot confirm
REREAD_FIELDS = ("order.po_number", "order.order_date", "remittance.payment_date")
AGREED_CONFIDENCE = 0.93  # the most agreement of two readings lifts a field to (bench-calibrated, see docstring)
MIN_WORD_CONFIDENCE = 0.60  # below it Tesseract barely saw the word: two readings share its misreads (BHS5-2963)
INK_LEVEL = 128  # grey below this is ink (a stroke), above it paper, grain or a light speck
TOUCHING = 0.2  # of the box height: a gap narrower than a word space (about a third of it) is inside one word
_STOPS = ".,;:'`\""  # marks a speck beside a value is read as
_EDGE = 1.0  # points of slack around a word box before ink beside it counts as unread
SCALE = 2  # the crop is enlarged this much before it is read again
_MARGIN = 0.25  # of the box's height, around the box, so no glyph edge is cut off
_PAD = 12  # white pixels around the crop: Tesseract finds no text touching the image border
_TIMEOUT_SECONDS = 10


def confirm_by_second_reading(evidence: Evidence, pages: list[Page], paths: tuple[str, ...] = REREAD_FIELDS) -> None:
    """Lift the fields in paths whose only doubt is their OCR words' confidence when a second reading agrees."""
    by_number = {p.number: p for p in pages if p.source == OCR and p.image is not None}
    for path in paths:
        capped = evidence.word_capped.get(path)
        where = evidence.provenance.get(path, {})
        page = by_number.get(where.get("page") or 0)
        if capped is None or page is None or evidence.confidence.get(path) != capped[0]:
            continue  # read surely, not by OCR, or lowered since for another reason: a second reading cannot help
        second = second_reading(page, where)
        if second is not None and same_text(second, where.get("text", "")):
            evidence.confidence[path] = round(max(capped[0], min(capped[1], AGREED_CONFIDENCE)), 4)
            where["second_reading"] = second


def second_reading(page: Page, where: dict) -> str | None:
    """The field's box read again, or None where that could prove nothing: words Tesseract barely saw, or a
    field that may run on into ink or a word beside it (agreeing on a piece of it would not confirm it)."""
    box = where.get("bbox")
    if not box or where.get("ocr_confidence", 0.0) < MIN_WORD_CONFIDENCE or not stands_alone(page, box):
        return None
    return read_box(page, box)


def stands_alone(page: Page, box: list[float]) -> bool:
    """True when nothing the field could run on into lies beside its box on its line: no word within a box height
    to its right, no word with a digit within that to its left and none closer than a word space (a letters-only
    label may stand a space before it), and no ink within that distance on either side that no word of the page
    reading accounts for (glyphs Tesseract dropped: '450635' read of '4506351425')."""
    x0, top, x1, bottom = box
    reach = bottom - top
    beside = [w for w in page.words if min(w.bottom, bottom) - max(w.top, top) > 0.5 * min(w.height, reach)]
    for w in beside:
        if w.x0 >= x1 - 0.5 and w.x0 - x1 < reach:
            return False
        if (
            w.x1 <= x0 + 0.5
            and x0 - w.x1 < reach
            and (any(c.isdigit() for c in w.text) or x0 - w.x1 < TOUCHING * reach)
        ):
            return False  # a code before it, or letters closer than a word space ('EFT' of 'EFT18606522')
    image: Image.Image = page.image
    scale = image.width / page.width
    left = max(0, int((x0 - reach) * scale))
    band = np.asarray(
        image.convert("L").crop(
            (left, int(top * scale), min(image.width, int((x1 + reach) * scale)), int(bottom * scale) + 1)
        )
    )
    inked = np.flatnonzero((band < INK_LEVEL).sum(axis=0) >= 2)  # a lone dark pixel is grain
    for at in (left + inked) / scale:
        if x0 - _EDGE <= at <= x1 + _EDGE:
            continue
        if not any(w.x0 - _EDGE <= at <= w.x1 + _EDGE for w in beside):
            return False
    return True


def read_box(page: Page, box: list[float]) -> str | None:
    """The text Tesseract reads, as one line, in a box (points) of an OCR'd page; None when it cannot be read."""
    image: Image.Image = page.image
    scale = image.width / page.width
    x0, top, x1, bottom = box
    margin = (bottom - top) * _MARGIN
    crop = image.convert("L").crop(
        (
            max(0, int((x0 - margin) * scale)),
            max(0, int((top - margin) * scale)),
            min(image.width, int((x1 + margin) * scale) + 1),
            min(image.height, int((bottom + margin) * scale) + 1),
        )
    )
    if crop.width < 2 or crop.height < 2:
        return None
    big = crop.resize((crop.width * SCALE, crop.height * SCALE), Image.Resampling.LANCZOS)
    framed = Image.new("L", (big.width + 2 * _PAD, big.height + 2 * _PAD), 255)
    framed.paste(big, (_PAD, _PAD))
    return _tesseract_line(framed, dpi=round(72 * scale * SCALE))


def _tesseract_line(image: Image.Image, *, dpi: int) -> str | None:
    engine = shutil.which("tesseract")
    if engine is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pgm") as handle:
        image.save(handle, format="PPM")
        handle.flush()
        try:
            done = subprocess.run(
                [engine, handle.name, "stdout", "-l", "eng", "--psm", "7", "--dpi", str(dpi)],
                capture_output=True,
                timeout=_TIMEOUT_SECONDS,
                check=False,
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8", errors="replace").strip()
    return text or None


def same_text(second: str, first: str) -> bool:
    """Both readings spell the same characters: spaces and rule marks aside, and a speck or stop mark at either end
    of the second reading ('23/06/2026.'), never of the first (the field's value keeps what the first one read)."""
    return bool(first) and _letters(second).strip(_STOPS) == _letters(first)


def _letters(text: str) -> str:
    return re.sub(r"\s+", "", text).strip("|[]{}~_")
