"""`o2c import` (master data and open AR from ERP CSVs) and `o2c export` (the posted-record feeds)."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from o2c.cli.database import records_database
from o2c.cli.output import emit, err
from o2c.core.db import unit_of_work
from o2c.core.errors import O2CError
from o2c.core.settings import load_settings
from o2c.erp.feeds import read_feed
from o2c.ledger.masterdata import import_master_data


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


def import_(kind: MasterDataKind, file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Load master data or open AR from an ERP CSV (all rows or none)."""
    sessions = records_database(load_settings())
    try:
        with unit_of_work(sessions) as session:
            report = import_master_data(session, kind.value, file.read_bytes())
    except O2CError as exc:
        err.print(f"[red]{file}: {exc.message}")
        for row_error in exc.detail.get("errors", [])[:50]:
            err.print(f"  {row_error}")
        raise typer.Exit(2) from exc
    err.print(f"[green]{file.name}: {report}")


def export(
    feed: FeedKind,
    format: ExportFormat = typer.Option(ExportFormat.json, "--format"),
    cursor: str | None = typer.Option(None, help="Continue after this cursor."),
) -> None:
    """Print posted records (JSON Lines or CSV) in stable order; the last cursor goes to stderr."""
    sessions = records_database(load_settings())
    writer = None
    with unit_of_work(sessions) as session:
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
