"""`o2c ar`: finance's AR views — open items, aging, DSO, unapplied cash — as JSON lines."""

from __future__ import annotations

from datetime import date

import typer

from o2c.cli.database import records_database
from o2c.cli.output import emit
from o2c.core.db import unit_of_work
from o2c.core.settings import load_settings
from o2c.ledger.ar import aging_summary, customer_open_items, dso, open_items_summary, unapplied_cash

ar_app = typer.Typer(help="AR views: open items, aging, DSO, unapplied cash.", no_args_is_help=True)


def _session_and_date(as_of: str | None):
    settings = load_settings()
    day = date.fromisoformat(as_of) if as_of else settings.business_date or date.today()
    return records_database(settings), day


@ar_app.command("open-items")
def open_items_cmd(customer: str | None = typer.Option(None, "--customer", help="one customer's invoices")) -> None:
    """Open AR per customer, or one customer's open invoices and deductions."""
    sessions, _ = _session_and_date(None)
    with unit_of_work(sessions) as session:
        emit(customer_open_items(session, customer) if customer else {"customers": open_items_summary(session)})


@ar_app.command()
def aging(
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD; default the posting date"),
    customer: str | None = typer.Option(None, "--customer"),
) -> None:
    """Open AR per currency in buckets: current, 1-30, 31-60, 61-90, 90+ days past due."""
    sessions, day = _session_and_date(as_of)
    with unit_of_work(sessions) as session:
        emit({"as_of": day.isoformat(), "buckets": aging_summary(session, as_of=day, customer_id=customer)})


@ar_app.command("dso")
def dso_cmd(as_of: str | None = typer.Option(None, "--as-of"), days: int = typer.Option(90, "--days")) -> None:
    """Days sales outstanding per currency over the last --days days."""
    sessions, day = _session_and_date(as_of)
    with unit_of_work(sessions) as session:
        emit({"as_of": day.isoformat(), "dso": dso(session, as_of=day, days=days)})


@ar_app.command()
def unapplied(customer: str | None = typer.Option(None, "--customer")) -> None:
    """Cash on account: payments with an unapplied remainder."""
    sessions, _ = _session_and_date(None)
    with unit_of_work(sessions) as session:
        emit(unapplied_cash(session, customer_id=customer))
