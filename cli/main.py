"""`o2c`: extract, import, ingest, export, serve, worker, demo and db upgrade."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
import uvicorn

from cli.ar import ar_app
from cli.bank import bank_app
from cli.connectors import folder_app, mailbox_app
from cli.deductions import deductions_app
from cli.demo import run_demo
from cli.output import emit, err, expand_paths, progress
from cli.review import summary, webhooks_app
from core.db import unit_of_work
from core.errors import O2CError
from core.settings import load_settings
from extraction.errors import UnreadableDocument
from extraction.service import ExtractionLimits, extract_document
from feeds import read_feed
from gateway import ingest as ingest_file
from intake.models import Channel
from ledger.masterdata import import_master_data
from migrations.runner import upgrade_database
from pipeline import build_context
from worker import run_worker

app = typer.Typer(help="o2c: purchase orders and remittances in, postings and exceptions out.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(bank_app, name="bank")
app.add_typer(ar_app, name="ar")
app.add_typer(deductions_app, name="deductions")
app.add_typer(webhooks_app, name="webhooks")
app.command("summary")(summary)
app.add_typer(mailbox_app, name="mailbox")
app.add_typer(folder_app, name="folder")


class MasterDataKind(StrEnum):
    customers = "customers"
    products = "products"
    prices = "prices"
    invoices = "invoices"


class FeedKind(StrEnum):
    orders = "orders"
    invoices = "invoices"
    payments = "payments"
    applications = "applications"
    exceptions = "exceptions"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


def _context():
    return build_context(load_settings())


@app.command()
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
        except OSError as exc:
            failed += 1
            err.print(f"[red]{path}: cannot read file: {exc}")
    raise typer.Exit(1 if failed else 0)


@app.command("import")
def import_(kind: MasterDataKind, file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Load master data or open AR from an ERP CSV (all rows or none)."""
    ctx = _context()
    try:
        with unit_of_work(ctx.session_factory) as session:
            report = import_master_data(session, kind.value, file.read_bytes())
    except O2CError as exc:
        err.print(f"[red]{file}: {exc.message}")
        for row_error in exc.detail.get("errors", [])[:50]:
            err.print(f"  {row_error}")
        raise typer.Exit(2) from exc
    err.print(f"[green]{file.name}: {report}")


@app.command()
def ingest(paths: list[Path] = typer.Argument(..., help="Files or folders."),
           channel: str = typer.Option(Channel.CLI.value, help="Channel recorded on each document.")) -> None:
    """Receive documents and run the full pipeline; print one JSON outcome per business document."""
    ctx = _context()
    failed = 0
    for path in progress(expand_paths(paths), "ingesting"):
        try:
            outcomes = ingest_file(ctx, content=path.read_bytes(), filename=path.name, channel=channel,
                                   source_key=None)
        except O2CError as exc:
            failed += 1
            err.print(f"[red]{path}: {exc.message}")
            emit({"source": path.name, "document_id": None, "document_type": None, "status": "rejected",
                  "reasons": [exc.code], "customer_id": None, "order_id": None, "invoice_number": None,
                  "applications": [], "error": exc.message})
            continue
        except OSError as exc:
            failed += 1
            err.print(f"[red]{path}: cannot read file: {exc}")
            continue
        for outcome in outcomes:
            emit(outcome)
            if outcome["status"] == "rejected" and outcome.get("error"):
                failed += 1
                err.print(f"[red]{path}: rejected: {outcome['error']}")
    raise typer.Exit(1 if failed else 0)


@app.command()
def export(feed: FeedKind, format: ExportFormat = typer.Option(ExportFormat.json, "--format"),
           cursor: str | None = typer.Option(None, help="Continue after this cursor.")) -> None:
    """Print posted records (JSON Lines or CSV) in stable order; the last cursor goes to stderr."""
    ctx = _context()
    writer = None
    with unit_of_work(ctx.session_factory) as session:
        while True:
            page = read_feed(session, feed.value, cursor=cursor, limit=500)
            for item in page["items"]:
                if format is ExportFormat.json:
                    emit(item)
                    continue
                flat = {k: (json.dumps(v, default=str) if isinstance(v, list | dict) else v) for k, v in item.items()}
                if writer is None:
                    writer = csv.DictWriter(sys.stdout, fieldnames=list(flat), extrasaction="ignore")
                    writer.writeheader()
                writer.writerow(flat)
            if not page["items"]:
                break
            cursor = page["next_cursor"]
    err.print(f"cursor: {cursor or ''}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port)


@app.command()
def worker(burst: bool = typer.Option(False, help="Exit when the queue is empty.")) -> None:
    """Run an RQ worker for the pipeline's jobs (needs O2C_REDIS_URL)."""
    run_worker(load_settings(), burst=burst)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations to O2C_DATABASE_URL."""
    settings = load_settings()
    if settings.is_embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.effective_database_url, revision)
    err.print(f"[green]database at {revision}")


@app.command()
def demo(data_dir: Path | None = typer.Option(None, help="Where to keep the demo database (default: a fresh "
                                                            "temporary folder)."),
         samples: Path | None = typer.Option(None, help="Sample folder (default: tests/fixtures/samples)."),
         serve: bool = typer.Option(False, "--serve", help="Then serve the reviewer workspace on the demo data."),
         port: int = typer.Option(8000, help="Port for --serve (and the printed URL).")) -> None:
    """Load the sample master data, ingest the sample documents inline, show what posted and why not, and how to
    open the reviewer workspace on the result (a URL and a reviewer key)."""
    run_demo(data_dir=data_dir, samples=samples, serve=serve, port=port)


def main() -> None:  # pragma: no cover - console entry
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
