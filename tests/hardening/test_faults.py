"""Faults of the environment never reject a document; faults of the document are said clearly and can be
reprocessed; nothing is rasterized before the pixel cap answers (issue 12, rows 1 and 2)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytesseract
import pytest
from sqlalchemy import select

from o2c.core.db import unit_of_work
from o2c.core.errors import EngineMissing, O2CError, is_transient
from o2c.extraction import service
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.raster import raster_dpi
from o2c.extraction.service import extract_document
from o2c.intake.models import Document, DocumentStatus
from o2c.pipeline.documents import reprocess
from o2c.pipeline.door import ingest
from o2c.review.models import ExceptionItem
from tests.conftest import ROOT
from tests.hardening.fuzzing import huge_page_pdf


def test_huge_declared_page_is_refused_before_rendering():
    content = huge_page_pdf()
    assert len(content) < 600
    with pytest.raises(UnreadableDocument) as caught:
        extract_document(content, filename="poster.pdf")
    assert caught.value.reason == "page_too_large"
    assert "14400 x 14400 pt" in caught.value.message


def test_o2c_extract_of_the_huge_page_stays_small(tmp_path):
    path = tmp_path / "poster.pdf"
    path.write_bytes(huge_page_pdf())
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run = subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "extract", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "O2C_DATA_DIR": str(tmp_path)},
        timeout=120,
    )
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert run.returncode == 1 and "page_too_large" in run.stderr, run.stderr
    assert max(peak_kib, before) < 1024 * 1024, f"peak RSS {peak_kib} KiB"  # was 7 GiB


def test_raster_dpi_lowers_the_resolution_of_a_large_but_readable_page():
    a0 = raster_dpi(2384, 3370, dpi=300, max_pixels=60_000_000)
    assert 100 <= a0 < 300 and (2384 / 72 * a0) * (3370 / 72 * a0) <= 60_000_000
    assert raster_dpi(612, 792, dpi=300, max_pixels=60_000_000) == 300


def test_taxonomy_splits_the_environment_from_the_document():
    assert is_transient(EngineMissing("no tesseract"))
    assert is_transient(OSError(28, "No space left on device"))
    assert is_transient(TimeoutError())
    assert not is_transient(UnreadableDocument("corrupt"))
    assert not is_transient(ValueError("bad"))
    assert not is_transient(OSError(2, "No such file"))


def _status(ctx, document_id):
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        items = list(session.scalars(select(ExceptionItem).where(ExceptionItem.document_id == document_id)))
        return document.status, document.error, [(i.status, i.reasons) for i in items]


def test_scan_while_tesseract_is_missing_waits_then_reads(make_context, tmp_path, samples, monkeypatch):
    ctx = make_context(f"sqlite:///{tmp_path / 'o2c.sqlite3'}")
    content = (samples / "scan_po.pdf").read_bytes()
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract-here"))
    [first] = ingest(ctx, content=content, filename="scan_po.pdf", channel="cli")
    assert first["status"] == "queued" and first["retryable"] is True, first
    assert "Tesseract is not installed" in first["error"]
    status, error, items = _status(ctx, first["document_id"])
    assert status == DocumentStatus.RECEIVED and error.startswith("transient:") and items == []

    monkeypatch.undo()  # Tesseract is back: the same bytes are read, not answered "duplicate"
    [again] = ingest(ctx, content=content, filename="scan_po.pdf", channel="cli")
    assert again["document_id"] == first["document_id"]
    assert again["status"] not in ("duplicate", "queued", "rejected"), again
    assert _status(ctx, first["document_id"])[0] == DocumentStatus.PROCESSED


def test_rejected_bytes_again_say_they_can_be_reprocessed(make_context, tmp_path, monkeypatch):
    ctx = make_context(f"sqlite:///{tmp_path / 'o2c.sqlite3'}")
    content = b"Purchase Order PO-1\nnothing else here\n"

    def broken(*_a, **_k):
        raise UnreadableDocument("the extractor of the day cannot read this", reason="corrupt")

    monkeypatch.setattr(service, "extract_text", broken)
    [first] = ingest(ctx, content=content, filename="po.txt", channel="cli")
    assert first["status"] == "rejected"
    [again] = ingest(ctx, content=content, filename="po.txt", channel="cli")
    assert again["status"] == "rejected" and again["reprocessable"] is True
    assert f"o2c reprocess {first['document_id']}" in again["message"]

    monkeypatch.undo()  # the extractor improved
    [outcome] = reprocess(ctx, first["document_id"], actor="admin")
    assert outcome["status"] == "rejected" and outcome["reasons"] == ["unsupported_document"], outcome
    status, error, items = _status(ctx, first["document_id"])
    assert status == DocumentStatus.PROCESSED and error is None
    assert items == [("dismissed", ["unreadable"])]


def test_reprocess_of_a_processed_document_is_a_conflict(make_context, tmp_path):
    ctx = make_context(f"sqlite:///{tmp_path / 'o2c.sqlite3'}")
    [outcome] = ingest(ctx, content=b"hello there, nothing to post", filename="note.txt", channel="cli")
    with pytest.raises(O2CError) as caught:
        reprocess(ctx, outcome["document_id"])
    assert caught.value.status == 409


def test_cli_reprocess_and_doctor(tmp_path, samples):
    env = {**os.environ, "O2C_DATA_DIR": str(tmp_path), "OMP_THREAD_LIMIT": "1"}
    env.pop("O2C_DATABASE_URL", None)
    env.pop("O2C_REDIS_URL", None)
    doc = tmp_path / "note.txt"
    doc.write_text("hello")
    run = subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "ingest", str(doc)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    document_id = json.loads(run.stdout.splitlines()[0])["document_id"]
    again = subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "reprocess", str(document_id)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert again.returncode == 1 and "is processed" in again.stderr
    doctor = subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "doctor"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    checks = {c["check"]: c for c in map(json.loads, doctor.stdout.splitlines())}
    assert set(checks) == {"ocr", "database", "redis", "disk"} and doctor.returncode == 0, doctor.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "doctor"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "PATH": "/nonexistent", "O2C_OCR_LANGUAGES": "eng+xyz", "O2C_REDIS_URL": "redis://127.0.0.1:1/0"},
        timeout=120,
    )
    assert missing.returncode == 1
    checks = {c["check"]: c for c in map(json.loads, missing.stdout.splitlines())}
    assert not checks["ocr"]["ok"] and "Tesseract" in checks["ocr"]["problem"]
    assert not checks["redis"]["ok"]
