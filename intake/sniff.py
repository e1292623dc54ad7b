"""What kind of file is this? Decided from the bytes first, the file name second."""

from __future__ import annotations

from pathlib import PurePath

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
    ext = PurePath(filename).suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    text = head.lstrip()
    if text[:5].lower() == b"<?xml":
        return "application/xml"
    lowered = head.lower()
    if any(h in lowered for h in (b"\nfrom:", b"\nsubject:", b"mime-version:", b"received:")) or lowered.startswith(
        (b"from:", b"subject:", b"return-path:", b"delivered-to:")
    ):
        return "message/rfc822"
    return "application/octet-stream"


def is_supported(media_type: str) -> bool:
    """True when o2c can read documents of this media type."""
    return media_type in SUPPORTED
