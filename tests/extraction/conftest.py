"""Helpers that draw small documents with reportlab for extraction tests."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas


def draw_pdf(
    pages: list[list[tuple[float, float, str]]], *, font: str = "Helvetica", size: float = 10, **canvas_options
) -> bytes:
    """A PDF whose pages hold the given (x, y-from-top, text) strings."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=LETTER, invariant=1, **canvas_options)
    for items in pages:
        for x, y, text in items:
            c.setFont(font, size)
            c.drawString(x, LETTER[1] - y, text)
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture
def pdf():
    """The draw_pdf helper as a fixture."""
    return draw_pdf
