"""Commands registered by module path: the one place the CLI loads code late.

`o2c --help` and commands that read no document must start fast, so `cli/main.py` imports none of the stack.
Each command lives in its own `cli/` module and is listed in `COMMANDS` as

    "name": ("module:attr", "one-line help shown by `o2c --help`"),

where `attr` is a Typer sub-app (a command group such as `bank`) or a plain command function (`extract`).
The module is imported only when that command runs (or its own `--help` is asked for), by `LazyGroup` below —
the only function-level import of our packages in `cli/` (`tests/test_architecture.py` allows exactly this).

Adding a command is one line in `COMMANDS` (plus the module holding it). To convert a command written as
`@app.command()` in `cli/main.py`: move the function to a `cli/<module>.py` with its imports and add its line
here. A command still registered eagerly on `app` keeps working (eager commands win over the table), it just
makes every start pay for its imports."""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperCommand, TyperGroup

COMMANDS: dict[str, tuple[str, str]] = {
    "extract": ("o2c.cli.documents:extract", "Read documents and print one JSON line per business document found."),
    "import": ("o2c.cli.records:import_", "Load master data or open AR from an ERP CSV (all rows or none)."),
    "ingest": ("o2c.cli.documents:ingest", "Receive documents and run the full pipeline; one JSON outcome each."),
    "export": ("o2c.cli.records:export", "Print posted records (JSON Lines or CSV) in stable order."),
    "summary": ("o2c.cli.review:summary", "Documents by status, touchless and auto-match rates, open exceptions."),
    "serve": ("o2c.cli.server:serve", "Run the HTTP API (OpenAPI docs at /docs)."),
    "worker": ("o2c.cli.workers:worker", "Run an RQ worker for the pipeline's jobs (needs O2C_REDIS_URL)."),
    "demo": ("o2c.cli.demo:demo", "Load the sample master data, ingest the samples inline, show what posted."),
    "db": ("o2c.cli.database:db_app", "Database schema commands."),
    "bank": ("o2c.cli.bank:bank_app", "Bank statements: import, match, unapplied."),
    "ar": ("o2c.cli.ar:ar_app", "AR views: open items, aging, DSO, unapplied cash."),
    "deductions": ("o2c.cli.deductions:deductions_app", "Deductions: list them, settle one with a reason code."),
    "ledger": ("o2c.cli.ledger:ledger_app", "Ledger integrity: prove the journal, AR and open items agree."),
    "webhooks": ("o2c.cli.review:webhooks_app", "The webhook outbox."),
    "mailbox": ("o2c.cli.connectors:mailbox_app", "Poll an IMAP mailbox."),
    "folder": ("o2c.cli.connectors:folder_app", "Watch a folder."),
    "reprocess": ("o2c.cli.operations:reprocess_command", "Run a document through the pipeline again."),
    "doctor": ("o2c.cli.operations:doctor", "Check the engines, languages, database, Redis and disk."),
}


def load(target: str):
    """The object a "module:attr" path names (imports the module)."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def as_click_command(obj, name: str):
    """A Typer sub-app or a command function as the click command Typer builds for it under `o2c`."""
    parent = typer.Typer(add_completion=False)
    if isinstance(obj, typer.Typer):
        parent.add_typer(obj, name=name)
    else:
        parent.command(name)(obj)
    return typer.main.get_group(parent).commands[name]


class LazyGroup(TyperGroup):
    """A Typer group whose commands come from COMMANDS, each imported only when it is the one invoked."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False
        self._loaded: dict[str, object] = {}

    def list_commands(self, ctx) -> list[str]:
        return list(dict.fromkeys([*super().list_commands(ctx), *COMMANDS]))

    def get_command(self, ctx, cmd_name: str):
        eager = super().get_command(ctx, cmd_name)
        if eager is not None or cmd_name not in COMMANDS:
            return eager
        target, short_help = COMMANDS[cmd_name]
        if self._listing:  # the group's own --help: name and one line, nothing imported
            return TyperCommand(cmd_name, help=short_help, short_help=short_help)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = as_click_command(load(target), cmd_name)
        return self._loaded[cmd_name]

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
