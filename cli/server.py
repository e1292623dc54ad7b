"""`o2c serve` (the HTTP API) and `o2c worker` (an RQ worker)."""

from __future__ import annotations

import typer
import uvicorn

from o2c.core.settings import load_settings
from o2c.worker import run_worker


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    uvicorn.run("o2c.api.app:create_app", factory=True, host=host, port=port)


def worker(
    burst: bool = typer.Option(False, help="Exit when the queue is empty."),
    with_scheduler: bool = typer.Option(
        False, "--with-scheduler", help="Also schedule the sweep, webhook delivery and bank re-match."
    ),
) -> None:
    """Run an RQ worker for the pipeline's jobs (needs O2C_REDIS_URL)."""
    run_worker(load_settings(), burst=burst, with_scheduler=with_scheduler)
