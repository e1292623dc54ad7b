"""What kind of file is this? Decided from the bytes first, the file name second."""

from __future__ import annotations

import re
from pathlib import PurePath

MT940 = "application/x-swift-mt940"
BAI2 = "application/x-bai2"
CAMT = "application/x-iso20022-camt+xml"
X12 = "application/edi-x12"
EDIFACT = "application/edifact"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SUPPORTED = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "message/rfc822",
    "text/plain",
    "text/csv",
    "text/html",
    "application/xml",
    MT940,
    BAI2,
    CAMT,
    X12,
    EDIFACT,
    XLSX,
}

_EXT = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".eml": "message/rfc822",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".xlsx": XLSX,
    ".x12": X12,
    ".edi": X12,
    ".edifact": EDIFACT,
}


def sniff_media_type(content: bytes, filename: str = "") -> str:
    """The media type of a file by its magic bytes, falling back to its extension."""
    head = content[:1024]
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"PK\x03\x04":
        ext = PurePath(filename).suffix.lower()
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return xlsx if ext == ".xlsx" else "application/zip"
    bank = _bank_statement(head)
    if bank:
        return bank
    edi = _edi(head)
    if edi:
        return edi
    ext = PurePath(filename).suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:5].lower() == b"<?xml":
        return "application/xml"
    lowered = head.lower()
    if any(h in lowered for h in (b"\nfrom:", b"\nsubject:", b"mime-version:", b"received:")) or lowered.startswith(
        (b"from:", b"subject:", b"return-path:", b"delivered-to:")
    ):
        return "message/rfc822"
    return "application/octet-stream"


# MT940: a SWIFT header block "{1:" or a :20: tag on one of the first lines (some banks put a line or two of
# their own before it); BAI2: the 01 file header record; camt: an ISO 20022 camt namespace near the root.
_MT940_START = re.compile(rb"^(\{1:|:(?:20|25|28C?|60[FM]|61):)|^(?:[^\n]*\n){0,3}:20:")
_BAI2_START = re.compile(rb"^01,[^,\n]*,[^,\n]*,\d{6},[^,\n]*,")
_CAMT_ROOT = re.compile(rb"<(?:\w+:)?Document[^>]+urn:iso:std:iso:20022:tech:xsd:camt\.\d{3}")


def _bank_statement(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _BAI2_START.match(text):
        return BAI2
    if _CAMT_ROOT.search(text):
        return CAMT
    if _MT940_START.match(text.replace(b"\r\n", b"\n")) and (b":25:" in head or b":61:" in head):
        return MT940
    return None


def _edi(head: bytes) -> str | None:
    """EDI by its envelope: X12 opens with the ISA header, EDIFACT with UNA (service string advice) or UNB."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:3] == b"ISA" and len(text) > 3 and not text[3:4].isalnum():
        return X12
    if text[:3] in (b"UNA", b"UNB") and len(text) > 3 and not text[3:4].isalnum():
        return EDIFACT
    return None


def is_supported(media_type: str) -> bool:
    """True when o2c can read documents of this media type."""
    return media_type in SUPPORTED
