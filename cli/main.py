"""`o2c`: the command line. Commands are registered by module path in cli/registry.py and imported only when run,
so `o2c --help` and commands that read no document do not pay for OCR, PDF parsing or spaCy."""

from __future__ import annotations

import sys

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
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
