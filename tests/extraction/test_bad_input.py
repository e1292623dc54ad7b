"""Files that cannot be read raise UnreadableDocument with the right reason, quickly."""

from __future__ import annotations

import struct
import time
import zlib

import pytest

from extraction.errors import UnreadableDocument
from extraction.service import ExtractionLimits, extract_document


def _reason(content: bytes, filename: str, **limits) -> str:
    with pytest.raises(UnreadableDocument) as info:
        extract_document(content, filename=filename, limits=ExtractionLimits(**limits) if limits else None)
    return info.value.reason


def test_zero_bytes_is_empty():
    assert _reason(b"", "empty.pdf") == "empty"


def test_corrupt_pdf():
    assert _reason(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "bad.pdf") == "corrupt"


def test_truncated_pdf(pdf):
    content = pdf([[(72, 72, "PURCHASE ORDER")]])
    assert _reason(content[:200], "cut.pdf") == "corrupt"


def test_encrypted_pdf(pdf):
    content = pdf([[(72, 72, "PURCHASE ORDER")]], encrypt="secret")
    assert _reason(content, "locked.pdf") == "encrypted"


def test_too_many_pages(pdf):
    content = pdf([[(72, 72, f"page {i}")] for i in range(3)])
    assert _reason(content, "long.pdf", max_pdf_pages=2) == "too_many_pages"


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions (a decompression bomb) with almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = chunk(b"IDAT", zlib.compress(b"\x00" * 16))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + data + chunk(b"IEND", b"")


def test_decompression_bomb_png_is_refused_quickly():
    started = time.perf_counter()
    assert _reason(_png_header(100_000, 100_000), "bomb.png") == "image_too_large"
    assert _reason(_png_header(9_000, 9_000), "big.png") == "image_too_large"  # 81 MP > 60 MP limit
    assert time.perf_counter() - started < 2


def test_corrupt_image():
    assert _reason(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png") == "corrupt"


def test_unsupported_type():
    assert _reason(b"PK\x03\x04 not really a zip", "archive.zip") == "unsupported"


def test_email_without_headers_or_body():
    assert _reason(b"\r\n\r\n", "blank.eml") in {"empty", "corrupt"}
