"""An XLSX workbook's zip looked into before openpyxl unpacks anything: a zip bomb is refused, not opened."""

from __future__ import annotations

import io
import zipfile

from o2c.extraction.errors import UnreadableDocument

_MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024  # a remittance sheet is kilobytes; a zip bomb is gigabytes
_MAX_XLSX_ENTRIES = 1000
_MAX_XLSX_RATIO = 200  # deflate reaches ~10x on sheet XML; a thousandfold is a bomb


def inspect_xlsx_zip(content: bytes, *, max_uncompressed: int = _MAX_XLSX_UNCOMPRESSED) -> None:
    """Look into the zip before openpyxl unpacks anything: entry count, total and ratio of uncompressed size."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UnreadableDocument(f"XLSX workbook is not a readable zip: {exc}", reason="malformed") from exc
    if len(entries) > _MAX_XLSX_ENTRIES:
        raise UnreadableDocument(
            f"XLSX holds {len(entries)} parts, over the limit of {_MAX_XLSX_ENTRIES}", reason="too_large"
        )
    total = sum(e.file_size for e in entries)
    if total > max_uncompressed:
        raise UnreadableDocument(
            f"XLSX unpacks to {total:,} bytes, over the limit of {max_uncompressed:,}",
            reason="too_large",
            uncompressed=total,
        )
    for entry in entries:
        if entry.file_size > 1024 * 1024 and entry.file_size > _MAX_XLSX_RATIO * max(entry.compress_size, 1):
            ratio = entry.file_size // max(entry.compress_size, 1)
            raise UnreadableDocument(
                f"XLSX part {entry.filename!r} expands {ratio}-fold: refused as a zip bomb", reason="too_large"
            )
