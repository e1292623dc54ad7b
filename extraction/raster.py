"""The pixel cap, checked before any page is rasterized (OCR and page images alike): a tiny PDF can declare a
page of 200 x 200 inches, which at 300 dpi is 3.6 billion pixels. Nothing is rendered before this answers."""

from __future__ import annotations

from o2c.extraction.errors import UnreadableDocument

POINTS_PER_INCH = 72.0
MIN_OCR_DPI = 100  # below this Tesseract cannot read body text: a page that only fits lower is refused


def raster_dpi(
    width_pt: float,
    height_pt: float,
    *,
    dpi: float,
    max_pixels: int,
    page: int | None = None,
    min_dpi: float = MIN_OCR_DPI,
) -> float:
    """The dpi to render a page at: the one asked for, lowered to stay within max_pixels, never below min_dpi.

    Raises UnreadableDocument(reason="page_too_large") when even min_dpi would exceed the cap."""
    area_in2 = max(width_pt, 0.0) * max(height_pt, 0.0) / (POINTS_PER_INCH * POINTS_PER_INCH)
    if area_in2 <= 0:
        raise UnreadableDocument(
            f"page {page or '?'} has no area ({width_pt} x {height_pt} pt)", reason="corrupt", page=page
        )
    fitting = (max_pixels / area_in2) ** 0.5
    chosen = min(float(dpi), fitting)
    if chosen < min_dpi:
        pixels = int(area_in2 * min_dpi * min_dpi)
        raise UnreadableDocument(
            f"page {page or '?'} is {width_pt:.0f} x {height_pt:.0f} pt: {pixels:,} pixels even at {min_dpi:.0f} dpi, "
            f"over the limit of {max_pixels:,} (O2C_MAX_IMAGE_PIXELS)",
            reason="page_too_large",
            page=page,
            width_pt=round(width_pt, 1),
            height_pt=round(height_pt, 1),
            max_pixels=max_pixels,
        )
    return chosen


def check_pixels(width_px: int, height_px: int, *, max_pixels: int, what: str = "image") -> None:
    """Refuse an image whose decoded size would exceed max_pixels (UnreadableDocument, reason image_too_large)."""
    if width_px <= 0 or height_px <= 0 or width_px * height_px > max_pixels:
        raise UnreadableDocument(
            f"{what} is {width_px}x{height_px} pixels, over the limit of {max_pixels:,}",
            reason="image_too_large",
            max_pixels=max_pixels,
        )
