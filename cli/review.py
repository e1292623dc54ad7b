"""`o2c summary` through the ORM (cli/reading.py): the operations side of review (the webhook outbox is
cli/webhooks.py, so a summary never imports the HTTP client)."""

from __future__ import annotations

from typing import Any

from o2c.cli.database import records_database
from o2c.core.db import unit_of_work
from o2c.core.settings import load_settings
from o2c.review.summary import build_summary


def read_summary() -> dict[str, Any]:
    """`o2c summary` through the ORM (any database but the embedded file at head; cli/reading.py)."""
    with unit_of_work(records_database(load_settings())) as session:
        return build_summary(session)
