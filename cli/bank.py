"""`o2c bank`: import statements (camt.053/054, BAI2, MT940), re-match waiting credits, show unapplied cash."""

from __future__ import annotations

from pathlib import Path

import typer

from o2c.cli.output import emit, err, expand_paths, progress
from o2c.core.errors import O2CError
from o2c.core.settings import load_settings
from o2c.intake.models import Channel
from o2c.matching.bank import BankPolicy
from o2c.pipeline.documents import build_context
from o2c.pipeline.statements import import_statement, match_pending, unapplied

bank_app = typer.Typer(help="Bank statements: the cash that remittances explain.", no_args_is_help=True)


@bank_app.command("import")
def import_files(
    paths: list[Path] = typer.Argument(..., help="Statement files or folders."),
    channel: str = typer.Option(Channel.CLI.value, help="Channel recorded on each file."),
) -> None:
    """Keep each file, read its statements, record every credit once and match it; one JSON line per credit."""
    settings = load_settings()
    ctx, policy = build_context(settings), BankPolicy.from_settings(settings)
    failed = 0
    for path in progress(expand_paths(paths), "importing"):
        try:
            outcomes = import_statement(ctx, path.read_bytes(), path.name, policy=policy, channel=channel)
        except (O2CError, OSError) as exc:
            failed += 1
            err.print(f"[red]{path}: {getattr(exc, 'message', exc)}")
            continue
        for outcome in outcomes:
            emit(outcome)
            if outcome["status"] == "rejected":
                failed += 1
                err.print(f"[red]{path}: rejected ({outcome['error']}): {outcome['message']}")
    raise typer.Exit(1 if failed else 0)


@bank_app.command("match")
def match() -> None:
    """Re-match credits still waiting for their remittance advice (run it on a schedule)."""
    settings = load_settings()
    for outcome in match_pending(build_context(settings), policy=BankPolicy.from_settings(settings)):
        emit(outcome)


@bank_app.command("unapplied")
def show_unapplied() -> None:
    """Print the cash from bank statements that is not (fully) applied, one JSON line per credit."""
    for row in unapplied(build_context(load_settings())):
        emit(row)
