"""`o2c demo`: the whole road on the embedded default, with the sample documents from tests/fixtures."""

from __future__ import annotations

import dataclasses
import secrets
import tempfile
from pathlib import Path

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from o2c.api.app import create_app
from o2c.cli.output import err, progress
from o2c.core.db import unit_of_work
from o2c.core.settings import load_settings
from o2c.erp.feeds import read_feed
from o2c.ledger.masterdata import import_master_data
from o2c.pipeline.documents import build_context
from o2c.pipeline.door import ingest

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "samples"
MASTER_DATA = ("customers", "products", "prices", "invoices")
NOT_DOCUMENTS = {"customers.csv", "products.csv", "prices.csv", "invoices.csv", "outcomes.json", "README.md"}


def sample_documents(samples: Path) -> list[Path]:
    """The sample documents (not master data, not golden files), in name order."""
    return sorted(
        p for p in samples.iterdir() if p.is_file() and p.name not in NOT_DOCUMENTS and not p.name.startswith(".")
    )


def run_demo(*, data_dir: Path | None, samples: Path | None, serve: bool = False, port: int = 8000) -> list[dict]:
    """Import master data, ingest every sample inline, print postings and exceptions and how to open the reviewer
    workspace on them (serve=True opens it right away); returns the outcomes."""
    samples = samples or SAMPLES
    if not samples.is_dir():
        raise SystemExit(f"sample folder not found: {samples}")
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="o2c-demo-"))
    settings = load_settings(data_dir=data_dir, database_url=None, redis_url=None, storage_dir=None)
    err.print(f"[bold]o2c demo[/] — embedded SQLite at {settings.effective_database_url}, inline processing")
    # the sample folder is the demo's allow-listed connector and its customers trust their advices (no bank
    # feed in the demo); without both, an advice would wait for its bank credit (docs/cash-model.md)
    ctx = dataclasses.replace(build_context(settings), trusted_advice_channels=frozenset({"cli"}))
    with unit_of_work(ctx.session_factory) as session:
        for kind in MASTER_DATA:
            report = import_master_data(session, kind, (samples / f"{kind}.csv").read_bytes())
            err.print(f"  imported {kind}: {report}")
    outcomes: list[dict] = []
    for path in progress(sample_documents(samples), "ingesting samples"):
        outcomes += ingest(ctx, content=path.read_bytes(), filename=path.name, channel="cli")
    _print_report(ctx, outcomes)
    key = f"demo-reviewer-{secrets.token_hex(4)}"
    url = f"http://127.0.0.1:{port}/review"
    out = Console()
    out.print(f"\n[bold]Reviewer workspace:[/] {url}   [bold]reviewer key:[/] {key}")
    if serve:
        out.print("Serving the demo database; sign in with the key above. Ctrl-C stops it.")
        keys = ",".join(filter(None, [settings.api_keys, f"{key}:reviewer"]))
        uvicorn.run(
            create_app(settings.model_copy(update={"api_keys": keys})), host="127.0.0.1", port=port, log_level="warning"
        )
    else:
        out.print(
            f"Open it with:  O2C_DATA_DIR={data_dir} O2C_API_KEYS={key}:reviewer o2c serve --port {port}\n"
            f"(or run [bold]o2c demo --serve[/] to load the samples and serve them in one step)"
        )
    return outcomes


def _print_report(ctx, outcomes: list[dict]) -> None:
    out = Console()
    docs = Table(title="Documents", show_lines=False)
    for col in ("source", "type", "status", "customer", "result", "reasons"):
        docs.add_column(col)
    for o in outcomes:
        result = (
            o.get("invoice_number")
            or ", ".join(
                f"{a['invoice_number']} {a['amount']}"
                + (f" (disc {a['discount']})" if a.get("discount") not in (None, "0", "0.00", "0.0000") else "")
                for a in o.get("applications") or []
            )
            or ""
        )
        docs.add_row(
            o["source"],
            o.get("document_type") or "",
            _status(o["status"]),
            o.get("customer_id") or "",
            result,
            ", ".join(o.get("reasons") or []),
        )
    out.print(docs)
    with unit_of_work(ctx.session_factory) as session:
        orders = read_feed(session, "orders", limit=1000)["items"]
        invoices = [i for i in read_feed(session, "invoices", limit=1000)["items"] if i.get("order_id")]
        applications = read_feed(session, "applications", limit=1000)["items"]
        exceptions = read_feed(session, "exceptions", limit=1000)["items"]
    out.print(
        f"\n[bold green]Posted orders:[/] {len(orders)}   [bold green]Invoices issued:[/] {len(invoices)}   "
        f"[bold green]Cash applications:[/] {len(applications)}   [bold yellow]Exceptions:[/] {len(exceptions)}"
    )
    if invoices:
        table = Table(title="Invoices issued")
        for col in ("invoice", "customer", "PO", "date", "due", "amount", "currency"):
            table.add_column(col)
        for i in invoices:
            table.add_row(
                i["invoice_number"],
                i["customer_id"],
                i.get("po_number") or "",
                i["invoice_date"],
                i.get("due_date") or "",
                i["amount"],
                i["currency"],
            )
        out.print(table)
    if applications:
        table = Table(title="Cash applied")
        for col in ("payment", "invoice", "amount", "discount", "rule"):
            table.add_column(col)
        for a in applications:
            table.add_row(
                str(a.get("payment_id")),
                a.get("invoice_number") or str(a.get("invoice_id")),
                a["amount"],
                a.get("discount") or "",
                a.get("rule") or "",
            )
        out.print(table)
    if exceptions:
        table = Table(title="Exception queue (for a reviewer)")
        for col in ("id", "type", "customer", "reasons", "first evidence"):
            table.add_column(col)
        for e in exceptions:
            first = (e.get("evidence") or [{}])[0]
            hint = " ".join(f"{k}={first[k]}" for k in ("field", "read", "expected", "rule") if first.get(k))
            table.add_row(
                str(e["id"]), e["document_type"], e.get("customer_id") or "", ", ".join(e["reasons"]), hint[:90]
            )
        out.print(table)


def _status(status: str) -> str:
    colour = {"posted": "green", "exception": "yellow", "duplicate": "cyan", "rejected": "red"}.get(status, "white")
    return f"[{colour}]{status}[/]"


def demo(
    data_dir: Path | None = typer.Option(
        None, help="Where to keep the demo database (default: a fresh temporary folder)."
    ),
    samples: Path | None = typer.Option(None, help="Sample folder (default: tests/fixtures/samples)."),
    serve: bool = typer.Option(False, "--serve", help="Then serve the reviewer workspace on the demo data."),
    port: int = typer.Option(8000, help="Port for --serve (and the printed URL)."),
) -> None:
    """Load the sample master data, ingest the sample documents inline, show what posted and why not, and how to
    open the reviewer workspace on the result (a URL and a reviewer key)."""
    run_demo(data_dir=data_dir, samples=samples, serve=serve, port=port)
