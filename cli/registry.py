"""Commands registered by module path: the one place the CLI loads code late.

`o2c --help` and commands that read no document must start fast, so `cli/main.py` imports none of the stack.
Each command lives in its own `cli/` module and is listed in `COMMANDS` as

    "name": ("module:attr", "one-line help shown by `o2c --help`"),

where `attr` is a Typer sub-app (a command group such as `bank`) or a plain command function (`extract`).
The module is imported only when that command runs (or its own `--help` is asked for), by `LazyGroup` below —
the only function-level import of our packages in `cli/` (`tests/test_architecture.py` allows exactly this).
A command that has a light path and a heavy one calls `load` itself for the heavy one, with the same
"module:attr" form: `o2c export` and `o2c summary` (cli/reading.py) read the embedded SQLite directly and load
the ORM's reader (cli/records.py, cli/review.py) only for another database or a file not yet migrated.

A command group's own help (`o2c ar --help`, or `o2c ar` alone) needs no import either: `GROUPS` holds each
group's help text and its subcommands' one-line help, and `LazyGroup` renders that help from a stand-in group
built the way the real one is. tests/cli/test_registry.py renders both and requires them to be identical, so
the table cannot drift from the modules: a new subcommand or a changed docstring fails it until `GROUPS`
says the same.

Adding a command is one line in `COMMANDS` (plus the module holding it; a group also gets its `GROUPS` entry). To
convert a command written as `@app.command()` in `cli/main.py`: move the function to a `cli/<module>.py` with its
imports and add its line here. A command still registered eagerly on `app` keeps working (eager commands win over
the table), it just makes every start pay for its imports."""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass
from enum import Enum
from typing import Any

import typer
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice
from typer.core import TyperCommand, TyperGroup, _TyperParameter

COMMANDS: dict[str, tuple[str, str]] = {
    "extract": ("o2c.cli.documents:extract", "Read documents and print one JSON line per business document found."),
    "import": ("o2c.cli.records:import_", "Load master data or open AR from an ERP CSV (all rows or none)."),
    "ingest": ("o2c.cli.documents:ingest", "Receive documents and run the full pipeline; one JSON outcome each."),
    "export": ("o2c.cli.reading:export", "Print posted records (JSON Lines or CSV) in stable order."),
    "summary": ("o2c.cli.reading:summary", "Documents by status, touchless and auto-match rates, open exceptions."),
    "serve": ("o2c.cli.server:serve", "Run the HTTP API (OpenAPI docs at /docs)."),
    "worker": ("o2c.cli.workers:worker", "Run an RQ worker for the pipeline's jobs (needs O2C_REDIS_URL)."),
    "demo": ("o2c.cli.demo:demo", "Load the sample master data, ingest the samples inline, show what posted."),
    "db": ("o2c.cli.database:db_app", "Database schema commands."),
    "bank": ("o2c.cli.bank:bank_app", "Bank statements: import, match, unapplied."),
    "ar": ("o2c.cli.ar:ar_app", "AR views: open items, aging, DSO, unapplied cash."),
    "deductions": ("o2c.cli.deductions:deductions_app", "Deductions: list them, settle one with a reason code."),
    "ledger": ("o2c.cli.ledger:ledger_app", "Ledger integrity: prove the journal, AR and open items agree."),
    "webhooks": ("o2c.cli.webhooks:webhooks_app", "The webhook outbox."),
    "mailbox": ("o2c.cli.connectors:mailbox_app", "Poll an IMAP mailbox."),
    "folder": ("o2c.cli.connectors:folder_app", "Watch a folder."),
    "reprocess": ("o2c.cli.operations:reprocess_command", "Run a document through the pipeline again."),
    "doctor": ("o2c.cli.operations:doctor", "Check the engines, languages, database, Redis and disk."),
}

# Each group's help and its subcommands' first help paragraph, in the group's order (see the module docstring).
GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "db": ("Database schema commands.", {"upgrade": "Apply database migrations to O2C_DATABASE_URL."}),
    "bank": (
        "Bank statements: the cash that remittances explain.",
        {
            "import": "Keep each file, read its statements, record every credit once and match it; one JSON line "
            "per credit.",
            "match": "Re-match credits still waiting for their remittance advice (run it on a schedule).",
            "unapplied": "Print the cash from bank statements that is not (fully) applied, one JSON line per credit.",
        },
    ),
    "ar": (
        "AR views: open items, aging, DSO, unapplied cash.",
        {
            "open-items": "Open AR per customer, or one customer's open invoices and deductions.",
            "aging": "Open AR per currency in buckets: current, 1-30, 31-60, 61-90, 90+ days past due.",
            "dso": "Days sales outstanding per currency over the last --days days.",
            "unapplied": "Cash on account: payments with an unapplied remainder.",
        },
    ),
    "deductions": (
        "Deductions: what customers did not pay, settled by a person.",
        {
            "list": "One JSON line per deduction still open (or disputed), oldest first.",
            "resolve": "Settle one deduction; prints what was posted. A broken rule exits 1 with its message.",
        },
    ),
    "ledger": (
        "Ledger integrity: every invariant, per currency.",
        {
            "check": "Journal balances, AR control = open items, open amounts, payments and deductions; exit 1 on "
            "a violation."
        },
    ),
    "webhooks": (
        "The webhook outbox.",
        {"deliver": "Stage new events into the outbox and POST the due ones (signed, with an idempotency key)."},
    ),
    "mailbox": (
        "The IMAP mailbox connector (O2C_IMAP_* settings).",
        {"poll": "Take new mail from the IMAP folder, ingest each message once, then move or flag it."},
    ),
    "folder": (
        "The watched-folder connector.",
        {"watch": "Ingest each completely written file, then move it to processed/ (or failed/ with an .error.txt)."},
    ),
}


def load(target: str, *, freeze: bool = False):
    """The object a "module:attr" path names (imports the module). The garbage collector pauses meanwhile: an
    import builds hundreds of thousands of objects that live as long as the process. With `freeze` (the console
    entry, a process that runs one command) they then move to the collector's permanent generation, so the
    command's own collections no longer scan them (about a tenth of `o2c summary`'s CPU time). Not in a process
    that runs many commands (tests): freezing would keep whatever garbage was still uncollected."""
    module, _, attr = target.partition(":")
    collecting = gc.isenabled()
    gc.disable()
    try:
        return getattr(importlib.import_module(module), attr)
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()


def as_click_command(obj, name: str):
    """A Typer sub-app or a command function as the click command Typer builds for it under `o2c`."""
    parent = typer.Typer(add_completion=False)
    if isinstance(obj, typer.Typer):
        parent.add_typer(obj, name=name)
    else:
        parent.command(name, cls=LoadedCommand)(obj)
    return typer.main.get_group(parent).commands[name]


def help_flag(option):
    """A --help option defaulting to False: Typer coerces an option left at None through a pydantic TypeAdapter
    it builds on first use, so every `o2c <command>` paid for importing pydantic."""
    if option is not None and option.default is None:
        option.default = False
    return option


class LoadedCommand(TyperCommand):
    """A command function loaded from COMMANDS: its own --help is a plain flag (help_flag)."""

    def get_help_option(self, ctx):
        return help_flag(super().get_help_option(ctx))


@dataclass(frozen=True)
class PlainRuntimeParam(RuntimeParam):
    """Typer's coercion of a single `str` or enum parameter, for the values it accepts, without pydantic: Typer
    builds a pydantic TypeAdapter for every parameter on first use, which made every command taking a value
    import pydantic (nearly half of `o2c export`'s start: 76 of 167 CPU-ms). A string stays itself and a choice
    becomes its enum member, by Typer's own `coerce_cli_choice`, as the adapters do; anything else (a value that
    is not a choice, bytes) is handed to Typer's own coercion, which then imports pydantic and words the error
    exactly as before (tests/cli/test_registry.py compares both, and fails first if a Typer release changes
    these internals)."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        annotation = self.annotation
        if annotation is str and isinstance(value, str):
            return value
        if annotation is not str:
            try:
                return coerce_cli_choice(
                    value, choices=list(annotation), case_sensitive=self.parameter_info.case_sensitive, ctx=ctx
                )
            except ValueError:
                pass
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def coerce_plainly(command) -> None:
    """Give the command's (and a group's subcommands') single `str` and enum parameters PlainRuntimeParam."""
    for sub in getattr(command, "commands", {}).values():
        coerce_plainly(sub)
    for param in command.params:
        if not isinstance(param, _TyperParameter) or param.nargs != 1 or param.multiple:
            continue
        descriptor = param.type_descriptor
        annotation = descriptor.annotation
        plain = annotation is str or (isinstance(annotation, type) and issubclass(annotation, Enum))
        if plain and descriptor.file_annotation is None and descriptor.parameter_info.parser is None:
            param._runtime_param = PlainRuntimeParam(parameter_info=descriptor.parameter_info, annotation=annotation)


def _not_loaded() -> None:  # pragma: no cover - a stand-in's subcommands are listed, never run
    raise RuntimeError("a group's help stand-in cannot run its commands")


def group_help_stand_in(name: str):
    """The click group for GROUPS[name], built as the real group is but with placeholder subcommands: it renders
    the group's help (and its no-arguments help) without importing the group's module."""
    group_help, subcommands = GROUPS[name]
    stand_in = typer.Typer(help=group_help, no_args_is_help=True)
    for sub, sub_help in subcommands.items():
        stand_in.command(sub, help=sub_help)(_not_loaded)
    return as_click_command(stand_in, name)


class LazyGroup(TyperGroup):
    """A Typer group whose commands come from COMMANDS, each imported only when it is the one invoked."""

    freeze_imports = False  # cli/main.py's console entry sets it: see load()

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
            command = as_click_command(load(target, freeze=self.freeze_imports), cmd_name)
            coerce_plainly(command)
            self._loaded[cmd_name] = command
        return self._loaded[cmd_name]

    def get_help_option(self, ctx):
        """The root's --help, a plain flag (help_flag)."""
        return help_flag(super().get_help_option(ctx))

    def resolve_command(self, ctx, args: list[str]):
        name, rest = (args[0], args[1:]) if args else (None, [])
        if (
            name in GROUPS
            and name not in self._loaded
            and (not rest or (len(rest) == 1 and rest[0] in ctx.help_option_names))
            and super().get_command(ctx, name) is None
        ):
            return name, group_help_stand_in(name), rest  # `o2c ar --help` / `o2c ar`: help alone, from the table
        return super().resolve_command(ctx, args)

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
