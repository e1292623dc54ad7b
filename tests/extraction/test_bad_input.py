"""Files that cannot be read raise UnreadableDocument with the right reason, quickly."""

from __future__ import annotations

import struct
import time
import zlib
from email.message import EmailMessage

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.service import ExtractionLimits, extract_document


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


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A hand-built PDF (object 1 is the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _page_objects(text: bytes, catalog_extra: bytes = b"", page_extra: bytes = b"") -> list[bytes]:
    stream = b"BT /F1 11 Tf 72 720 Td (PURCHASE ORDER) Tj 0 -16 Td (PO Number: 7731) Tj 0 -16 Td (" + text + b") Tj ET"
    return [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b">>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def test_zero_page_pdf_is_empty():
    content = _raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    assert _reason(content, "none.pdf") in {"empty", "corrupt"}


def test_pdf_with_javascript_and_attachment_is_read_and_flagged_never_run():
    objects = _page_objects(b"Ship To: Dock 4", catalog_extra=b"/OpenAction 6 0 R /Names << /EmbeddedFiles 7 0 R >> ")
    objects += [
        b"<< /S /JavaScript /JS (app.alert\\('hi'\\);) >>",
        b"<< /Names [(x.exe) 8 0 R] >>",
        b"<< /Type /Filespec /F (x.exe) /EF << /F 9 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
    ]
    started = time.perf_counter()
    [e] = extract_document(_raw_pdf(objects), filename="active.pdf")
    assert e.order.po_number == "7731"
    assert any("JavaScript" in w for w in e.warnings) and any("attachment" in w for w in e.warnings)
    assert time.perf_counter() - started < 5


def test_signed_pdf_is_read_not_dropped():
    objects = _page_objects(b"Ship To: Dock 4", catalog_extra=b"/AcroForm << /Fields [6 0 R] /SigFlags 3 >> ")
    objects += [
        b"<< /FT /Sig /T (Signature1) /V 7 0 R >>",
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
        b"/ByteRange [0 10 20 10] /Contents <3082> >>",
    ]
    [e] = extract_document(_raw_pdf(objects), filename="signed.pdf")
    assert e.document_type == "purchase_order" and e.order.po_number == "7731"


def test_email_with_dozens_of_attachments_is_bounded():
    msg = EmailMessage()
    msg["From"] = "a@b.example"
    msg["Subject"] = "lots"
    msg.set_content("See attached.")
    for i in range(40):
        msg.add_attachment(f"note {i}".encode(), maintype="text", subtype="plain", filename=f"n{i}.txt")
    started = time.perf_counter()
    results = extract_document(msg.as_bytes(), filename="many.eml", limits=ExtractionLimits(max_email_parts=10))
    assert len(results) <= 10
    assert any("more than 10 parts" in w for e in results for w in e.warnings)
    assert time.perf_counter() - started < 10
