"""`o2c export` and `o2c summary`: commands that only read records. On the embedded SQLite at the head revision
(the default) they read it with the standard library's driver (core/embedded.py, erp/embedded_feeds.py,
review/embedded_summary.py), so they start without SQLAlchemy, the models or Alembic; any other database, or a
file not yet migrated, is read through the ORM as before (cli/records.py, cli/review.py), loaded by module path
through the registry (cli/registry.py's `load`). Both paths print the same (tests/cli/test_reading.py)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from typing import Any

import typer

from o2c.cli.output import emit, err
from o2c.cli.registry import LazyGroup, load
from o2c.core.embedded import read_transaction, sqlite_file
from o2c.core.environment import environment_database_url
from o2c.erp.embedded_feeds import read_embedded_feed
from o2c.migrations.heads import sqlite_at_head
from o2c.review.embedded_summary import read_embedded_summary

ORM_FEED_READER = "o2c.cli.records:feed_reader"
ORM_SUMMARY = "o2c.cli.review:read_summary"


class FeedKind(StrEnum):
    orders = "orders"
    invoices = "invoices"
    payments = "payments"
    applications = "applications"
    exceptions = "exceptions"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


@contextmanager
def _embedded_reading() -> Iterator[Any]:
    """The read transaction on the embedded file when it can be read directly (a plain SQLite file at the head
    revision), else None: the ORM's path then migrates or refuses it exactly as before."""
    path = sqlite_file(environment_database_url())
    if path is None or not path.is_file():
        yield None
        return
    with read_transaction(path) as connection:
        yield connection if sqlite_at_head(connection) else None


def _orm(target: str) -> Any:
    return load(target, freeze=LazyGroup.freeze_imports)


def export(
    feed: FeedKind,
    format: ExportFormat = typer.Option(ExportFormat.json, "--format"),
    cursor: str | None = typer.Option(None, help="Continue after this cursor."),
) -> None:
    """Print posted records (JSON Lines or CSV) in stable order; the last cursor goes to stderr."""
    with _embedded_reading() as connection:
        if connection is not None:
            cursor = write_feed(partial(read_embedded_feed, connection), feed.value, format, cursor)
    if connection is None:
        with _orm(ORM_FEED_READER)() as read_page:
            cursor = write_feed(read_page, feed.value, format, cursor)
    err.print(f"cursor: {cursor or ''}")


def write_feed(read_page: Callable[..., dict], feed: str, format: ExportFormat, cursor: str | None) -> str | None:
    """Every page of the feed after the cursor to stdout; returns the last cursor."""
    writer = None
    while True:
        page = read_page(feed, cursor=cursor, limit=500)
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
            return cursor
        cursor = page["next_cursor"]


def summary() -> None:
    """Documents by status, touchless and auto-match rates, open exceptions by reason and age, timings."""
    with _embedded_reading() as connection:
        figures = read_embedded_summary(connection) if connection is not None else None
    emit(figures if figures is not None else _orm(ORM_SUMMARY)())
