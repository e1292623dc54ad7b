"""`o2c summary`: the operations side of review (the webhook outbox is cli/webhooks.py, so a summary never
imports the HTTP client)."""

from __future__ import annotations

from o2c.cli.database import records_database
from o2c.cli.output import emit
from o2c.core.db import unit_of_work
from o2c.core.settings import load_settings
from o2c.review.summary import build_summary


def summary() -> None:
    """Documents by status, touchless and auto-match rates, open exceptions by reason and age, timings."""
    with unit_of_work(records_database(load_settings())) as session:
        emit(build_summary(session))
