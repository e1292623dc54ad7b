"""`o2c ledger check`: prove the books reconcile; a broken rule prints the rule and its rows as JSON, exit 1."""

from __future__ import annotations

import typer

from o2c.cli.output import emit, err
from o2c.core.db import unit_of_work
from o2c.core.settings import load_settings
from o2c.ledger.check import check_ledger
from o2c.pipeline.documents import build_context

ledger_app = typer.Typer(help="Ledger integrity: every invariant, per currency.", no_args_is_help=True)


@ledger_app.command("check")
def check_cmd() -> None:
    """Journal balances, AR control = open items, open amounts, payments and deductions; exit 1 on a violation."""
    ctx = build_context(load_settings())
    with unit_of_work(ctx.session_factory) as session:
        violations = check_ledger(session)
    for violation in violations:
        emit(violation.to_dict())
    if violations:
        err.print(f"[red]{len(violations)} broken rule(s): {', '.join(sorted({v.rule for v in violations}))}")
        raise typer.Exit(1)
    err.print("[green]ledger check: every rule holds")
