"""Every readable file in ../shared/external extracts without crashing; supplier invoices come out as 'other'."""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction.errors import UnreadableDocument
from extraction.service import extract_document

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "external"
READABLE = {".pdf", ".eml", ".txt"}  # images are OCR, kept out of the default suite (one scan is enough)
FILES = sorted(p for p in EXTERNAL.rglob("*") if p.suffix.lower() in READABLE) if EXTERNAL.is_dir() else []


@pytest.mark.skipif(not FILES, reason="../shared/external is not present")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXTERNAL)))
def test_external_file_does_not_crash(path):
    try:
        results = extract_document(path.read_bytes(), filename=path.name)
    except UnreadableDocument:
        return
    for extraction in results:
        extraction.to_contract()
        if "invoices_with_gt" in path.parts:
            assert extraction.document_type == "other", extraction.source
