"""`o2c worker`: an RQ worker (apart from `o2c serve`, so a worker's start does not import the web server)."""

from __future__ import annotations

import typer

from o2c.core.settings import load_settings
from o2c.worker import run_worker


def worker(
    burst: bool = typer.Option(False, help="Exit when the queue is empty."),
    with_scheduler: bool = typer.Option(
        False, "--with-scheduler", help="Also schedule the sweep, webhook delivery and bank re-match."
    ),
) -> None:
    """Run an RQ worker for the pipeline's jobs (needs O2C_REDIS_URL)."""
    run_worker(load_settings(), burst=burst, with_scheduler=with_scheduler)
