"""`o2c webhooks deliver`: the webhook outbox, staged and POSTed."""

from __future__ import annotations

import time

import typer

from o2c.cli.database import records_database
from o2c.cli.output import emit, err
from o2c.core.errors import O2CError
from o2c.core.settings import load_settings
from o2c.erp.outbox import WebhookPolicy, deliver_due

webhooks_app = typer.Typer(help="The webhook outbox.", no_args_is_help=True)


@webhooks_app.command("deliver")
def deliver(
    loop: bool = typer.Option(False, "--loop", help="Keep delivering every --interval seconds."),
    interval: float = typer.Option(5.0, min=0.1),
) -> None:
    """Stage new events into the outbox and POST the due ones (signed, with an idempotency key)."""
    settings = load_settings()
    try:
        policy = WebhookPolicy.from_settings(settings)
    except O2CError as exc:  # a URL without a secret: refuse, saying why
        err.print(f"[red]{exc.message}")
        raise typer.Exit(2) from exc
    if policy is None:
        err.print("O2C_WEBHOOK_URL is not set: nothing to deliver to")
        raise typer.Exit(2)
    sessions = records_database(settings)
    while True:
        emit(deliver_due(sessions, policy))
        if not loop:
            return
        time.sleep(interval)
