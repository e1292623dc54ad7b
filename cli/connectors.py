"""`o2c mailbox poll` and `o2c folder watch`: the connectors' composition root.

Each builds the pipeline context from settings and gives its connector a `deliver` that calls `gateway.ingest`
(which processes inline, or enqueues for a worker when O2C_REDIS_URL is set) and prints the outcomes as JSON
Lines. Nothing else happens here."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import typer

from o2c.cli.output import emit, err
from o2c.core.errors import O2CError
from o2c.core.settings import load_settings
from o2c.intake.connectors.base import Backoff, Deliver
from o2c.intake.connectors.errors import MailboxUnavailable
from o2c.intake.connectors.folder import FolderWatcher
from o2c.intake.connectors.imap import MailboxConfig, MailboxConnector, PollReport
from o2c.intake.models import Channel
from o2c.pipeline.documents import PipelineContext, build_context
from o2c.pipeline.door import ingest

mailbox_app = typer.Typer(help="The IMAP mailbox connector (O2C_IMAP_* settings).", no_args_is_help=True)
folder_app = typer.Typer(help="The watched-folder connector.", no_args_is_help=True)

ONCE_ATTEMPTS = 3


def make_deliver(ctx: PipelineContext, channel: Channel) -> Deliver:
    """A deliver callback that ingests through the pipeline and prints one JSON line per outcome."""

    def deliver(content: bytes, filename: str, source_key: str, sender: str | None) -> None:
        for outcome in ingest(
            ctx, content=content, filename=filename, channel=channel.value, source_key=source_key, sender=sender
        ):
            emit(outcome)

    return deliver


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _print_when_busy(report: PollReport) -> None:
    if any(value for key, value in report.to_dict().items() if key not in ("mailbox", "uidvalidity")):
        err.print(report.to_dict())


@mailbox_app.command("poll")
def mailbox_poll(
    once: bool = typer.Option(False, "--once", help="Poll once and exit (cron)."),
    interval: float | None = typer.Option(None, help="Seconds between polls (O2C_IMAP_POLL_SECONDS)."),
) -> None:
    """Take new mail from the IMAP folder, ingest each message once, then move or flag it."""
    _logging()
    settings = load_settings()
    try:
        config = MailboxConfig.from_settings(settings)
    except O2CError as exc:
        err.print(f"[red]{exc.message}")
        raise typer.Exit(2) from exc
    ctx = build_context(settings)
    connector = MailboxConnector(config, session_factory=ctx.session_factory, deliver=make_deliver(ctx, Channel.IMAP))
    if not once:
        err.print(f"polling {config.mailbox} every {interval or settings.imap_poll_seconds:g} s")
        connector.run(
            interval=interval or settings.imap_poll_seconds, stop=_stop_on_signals(), on_report=_print_when_busy
        )
        return
    backoff = Backoff()
    try:
        for attempt in range(1, ONCE_ATTEMPTS + 1):
            try:
                err.print(connector.poll().to_dict())
                return
            except MailboxUnavailable as exc:
                err.print(f"[yellow]{exc.message} (attempt {attempt} of {ONCE_ATTEMPTS})")
                if attempt == ONCE_ATTEMPTS:
                    raise typer.Exit(1) from exc
                time.sleep(backoff.next_delay())
    finally:
        connector.close()


@folder_app.command("watch")
def folder_watch(
    directory: Path = typer.Argument(..., exists=True, file_okay=False, help="The folder to watch."),
    once: bool = typer.Option(False, "--once", help="Take what is complete now, then exit."),
    interval: float | None = typer.Option(None, help="Seconds between polls (O2C_FOLDER_POLL_SECONDS)."),
) -> None:
    """Ingest each completely written file, then move it to processed/ (or failed/ with an .error.txt)."""
    _logging()
    settings = load_settings()
    seconds = interval if interval is not None else settings.folder_poll_seconds
    ctx = build_context(settings)
    watcher = FolderWatcher(directory, deliver=make_deliver(ctx, Channel.FOLDER), max_bytes=ctx.max_upload_bytes)
    if once:  # a file is complete when it is unchanged across two polls
        watcher.poll()
        time.sleep(min(seconds, 2.0))
        report = watcher.poll()
        err.print(report.to_dict())
        raise typer.Exit(1 if report.failed or report.retrying else 0)
    err.print(f"watching {directory} every {seconds:g} s")
    watcher.run(interval=seconds, stop=_stop_on_signals(), on_report=lambda report: err.print(report.to_dict()))
