"""`o2c extract` (no database) and `o2c ingest` (the full pipeline): the commands that read documents."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import AbstractContextManager
from pathlib import Path

import typer

from o2c.cli.output import emit, err, expand_paths, progress
from o2c.core.collector import INGEST_BATCH
from o2c.core.collector import batch_collector as core_batch_collector
from o2c.core.errors import O2CError
from o2c.core.settings import load_settings
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.service import ExtractionLimits, extract_document
from o2c.intake.models import Channel
from o2c.pipeline.documents import PipelineContext, build_context
from o2c.pipeline.door import ingest as ingest_file


def extract(files: list[Path] = typer.Argument(..., help="PDFs, images, .eml or text files.")) -> None:
    """Read documents and print one JSON line per business document found. No database needed."""
    settings = load_settings()
    limits = ExtractionLimits.from_settings(settings)
    failed = 0
    for path in progress(expand_paths(files), "extracting"):
        try:
            content = path.read_bytes()
            for extraction in extract_document(content, filename=path.name, limits=limits):
                emit(extraction.to_contract())
        except UnreadableDocument as exc:
            failed += 1
            err.print(f"[red]{path}: unreadable ({exc.reason}): {exc.message}")
        except O2CError as exc:  # an environment fault (Tesseract missing): the file is not at fault
            failed += 1
            err.print(f"[red]{path}: {exc.code}: {exc.message}")
        except OSError as exc:
            failed += 1
            err.print(f"[red]{path}: cannot read file: {exc}")
    raise typer.Exit(1 if failed else 0)


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders."),
    channel: str = typer.Option(Channel.CLI.value, help="Channel recorded on each document."),
) -> None:
    """Receive documents and run the full pipeline; print one JSON outcome per business document."""
    ctx = build_context(load_settings())  # one context (engine, store, policies) for the whole batch
    with batch_collector():
        _ingest_files(ctx, expand_paths(paths), channel)


def batch_collector() -> AbstractContextManager[None]:
    """The collector tuned for the ingest loop (core/collector.py: what exists when the batch starts is frozen,
    young objects are collected every 20,000 allocations), put back as it was afterwards (the CLI may run in a
    process that goes on: the tests, the demo)."""
    return core_batch_collector(INGEST_BATCH, freeze=True)


def _ingest_files(ctx: PipelineContext, files: list[Path], channel: str) -> None:
    failed = 0
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for path in progress(files, "ingesting"):
        try:
            outcomes = ingest_file(ctx, content=path.read_bytes(), filename=path.name, channel=channel, source_key=None)
        except O2CError as exc:
            failed += 1
            err.print(f"[red]{path}: {exc.message}")
            emit(
                {
                    "source": path.name,
                    "document_id": None,
                    "document_type": None,
                    "status": "rejected",
                    "reasons": [exc.code],
                    "customer_id": None,
                    "order_id": None,
                    "invoice_number": None,
                    "applications": [],
                    "error": exc.message,
                }
            )
            statuses["rejected"] += 1
            continue
        except OSError as exc:
            failed += 1
            statuses["unread"] += 1
            err.print(f"[red]{path}: cannot read file: {exc}")
            continue
        for outcome in outcomes:
            statuses[str(outcome["status"])] += 1
            emit(outcome)
            if outcome["status"] == "rejected" and outcome.get("error"):
                failed += 1
                err.print(f"[red]{path}: rejected: {outcome['error']}")
    err.print(ingest_summary(len(files), time.perf_counter() - started, statuses), highlight=False, soft_wrap=True)
    raise typer.Exit(1 if failed else 0)


def ingest_summary(files: int, seconds: float, statuses: Counter[str]) -> str:
    """The closing line of `o2c ingest`: files, time, documents/s and outcomes by status."""
    rate = files / seconds if seconds > 0 else 0.0
    by_status = ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
    return f"ingested {files} files in {seconds:.2f} s: {rate:.1f} documents/s ({by_status or 'no outcomes'})"
