"""`o2c import` (master data and open AR from ERP CSVs), and the posted-record feeds through the ORM for
`o2c export` (cli/reading.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from pathlib import Path

import typer

from o2c.cli.database import records_database
from o2c.cli.output import err
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


@contextmanager
def feed_reader() -> Iterator[Callable[..., dict]]:
    """`o2c export` through the ORM (any database but the embedded file at head; cli/reading.py): read_feed
    bound to one unit of work, which migrates the embedded default first as every records command does."""
    with unit_of_work(records_database(load_settings())) as session:
        yield partial(read_feed, session)
