"""`o2c`: the command line. Commands are registered by module path in cli/registry.py and imported only when run,
so `o2c --help` and commands that read no document do not pay for OCR, PDF parsing or spaCy."""

from __future__ import annotations

import atexit
import gc

import typer

from o2c.cli.registry import LazyGroup

app = typer.Typer(
    cls=LazyGroup,
    help="o2c: purchase orders and remittances in, postings and exceptions out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def root() -> None:
    """o2c: purchase orders and remittances in, postings and exceptions out."""


def main() -> None:  # pragma: no cover - console entry
    """Console entry point. At exit the interpreter would run a full garbage collection over every object the
    command's imports built (SQLAlchemy's and pydantic's graphs: about a third of `o2c summary`'s CPU time);
    freezing them first, as the last atexit step, leaves that memory to the OS. Everything else about exit
    stays: atexit handlers, finally blocks, flushed streams. The command's imports are frozen as they load
    (cli/registry.py's load) for the same reason."""
    atexit.register(gc.freeze)
    LazyGroup.freeze_imports = True
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
