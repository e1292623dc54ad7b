"""Page images for review tools: a document page as PNG with the boxes of the extracted fields drawn on it."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from PIL import Image, ImageDraw
from sqlalchemy import select

from o2c.api.auth import require
from o2c.api.schemas import MAX_ID, ErrorBody
from o2c.core.db import unit_of_work
from o2c.core.errors import NotFound, O2CError
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.models import ExtractionRecord
from o2c.extraction.raster import check_pixels, raster_dpi
from o2c.intake.models import Document

router = APIRouter(tags=["documents"])
POINTS_PER_INCH = 72.0
RENDER_SCALE = 2.0  # 144 dpi: readable, small
DEFAULT_IMAGE_DPI = 300  # as extraction assumes for images without a dpi tag
MAX_PIXELS = 40_000_000
COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")


class PageNotFound(NotFound):
    """The document has no such page, or is not a PDF or an image."""

    code = "page_not_found"


class PageTooLarge(O2CError):
    """The page is too large to render within the pixel cap."""

    status = 422
    code = "page_too_large"


def render_page(content: bytes, media_type: str, number: int) -> tuple[Image.Image, float]:
    """The page as an RGB image and its pixels per PDF point."""
    if media_type == "application/pdf":
        try:
            pdf = pdfium.PdfDocument(content)
        except pdfium.PdfiumError as exc:
            raise PageNotFound(f"the PDF cannot be rendered: {exc}") from exc
        if not 1 <= number <= len(pdf):
            raise PageNotFound(f"page {number} does not exist; the document has {len(pdf)}")
        page = pdf[number - 1]
        width, height = page.get_size()
        try:  # the pixel cap before rendering: a huge declared page is drawn smaller, or refused
            scale = (
                raster_dpi(
                    width, height, dpi=RENDER_SCALE * POINTS_PER_INCH, max_pixels=MAX_PIXELS, page=number, min_dpi=18
                )
                / POINTS_PER_INCH
            )
        except UnreadableDocument as exc:
            raise PageTooLarge(exc.message) from exc
        return page.render(scale=scale).to_pil().convert("RGB"), scale
    if media_type.startswith("image/"):
        image = Image.open(io.BytesIO(content))
        try:
            check_pixels(image.width, image.height, max_pixels=MAX_PIXELS)
        except UnreadableDocument as exc:
            raise PageTooLarge(exc.message) from exc
        frames = getattr(image, "n_frames", 1)
        if not 1 <= number <= frames:
            raise PageNotFound(f"page {number} does not exist; the image has {frames}")
        image.seek(number - 1)
        dpi = image.info.get("dpi")
        try:
            value = float(dpi[0]) if dpi else 0
        except (TypeError, ValueError):
            value = 0
        dpi_value = value if 70 <= value <= 1200 else DEFAULT_IMAGE_DPI
        return image.convert("RGB"), dpi_value / POINTS_PER_INCH
    raise PageNotFound(f"{media_type} has no pages to render")


HIGHLIGHT = "#d62728"
QUIET = "#1f6feb"


def draw_boxes(
    image: Image.Image, scale: float, boxes: list[tuple[str, list[float]]], highlight: frozenset[str] = frozenset()
) -> Image.Image:
    """Outline each field's box [x0, top, x1, bottom] (points) and label it with the field path; the fields in
    `highlight` (the ones a reviewer must look at) get a thick red box with a tint, the others a thin blue one, both
    unlabelled (the workspace lists the fields beside the page)."""
    if not highlight:
        draw = ImageDraw.Draw(image)
        for index, (label, (x0, top, x1, bottom)) in enumerate(boxes):
            colour = COLOURS[index % len(COLOURS)]
            draw.rectangle([x0 * scale, top * scale, x1 * scale, bottom * scale], outline=colour, width=2)
            draw.text((x0 * scale, max(0, top * scale - 11)), label, fill=colour)
        return image
    tint = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(tint)
    for label, (x0, top, x1, bottom) in boxes:
        box = [x0 * scale - 2, top * scale - 2, x1 * scale + 2, bottom * scale + 2]
        if label in highlight:
            draw.rectangle(box, fill=(214, 39, 40, 48), outline=HIGHLIGHT, width=4)
        else:
            draw.rectangle(box, fill=(31, 111, 235, 18), outline=QUIET, width=1)
    return Image.alpha_composite(image.convert("RGBA"), tint).convert("RGB")


def page_count(content: bytes, media_type: str) -> int:
    """How many pages a stored PDF or image has (0: nothing to render)."""
    try:
        if media_type == "application/pdf":
            return len(pdfium.PdfDocument(content))
        if media_type.startswith("image/"):
            return getattr(Image.open(io.BytesIO(content)), "n_frames", 1)
    except (pdfium.PdfiumError, OSError):
        return 0
    return 0


def render_document_page(
    ctx, document_id: int, number: int, *, highlight: frozenset[str] = frozenset()
) -> tuple[bytes, int]:
    """Page `number` of a stored document as PNG with every extracted field's box drawn; (png, boxes drawn)."""
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} does not exist")
        sha256, media_type = document.sha256, document.media_type
        payloads = list(
            session.scalars(
                select(ExtractionRecord.payload)
                .where(ExtractionRecord.document_id == document_id)
                .order_by(ExtractionRecord.part_index)
            )
        )
    boxes = [
        (path, where["bbox"])
        for payload in payloads
        for path, where in sorted((payload.get("provenance") or {}).items())
        if where.get("page") == number and isinstance(where.get("bbox"), list) and len(where["bbox"]) == 4
    ]
    image, scale = render_page(ctx.store.get(sha256), media_type, number)
    buffer = io.BytesIO()
    draw_boxes(image, scale, boxes, highlight).save(buffer, format="PNG")
    return buffer.getvalue(), len(boxes)


@router.get(
    "/documents/{document_id}/pages/{number}.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The page with field boxes"},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
    },
    summary="A page as PNG with the extracted fields outlined",
)
def page_image(
    request: Request,
    document_id: int = Path(..., ge=1, le=MAX_ID),
    number: int = Path(..., ge=1, le=10_000),
    caller: str = Depends(require("reviewer", "connector")),
) -> Response:
    """Render page `number` (1-based) of a PDF or image and draw each field's bounding box from its provenance."""
    png, drawn = render_document_page(request.app.state.ctx, document_id, number)
    return Response(
        png, media_type="image/png", headers={"X-O2C-Fields": str(drawn), "Cache-Control": "private, max-age=300"}
    )
