"""`o2c deductions`: list short pays and unearned discounts, settle one with a reason code."""

from __future__ import annotations

from enum import StrEnum

import typer

from o2c.cli.output import emit, err
from o2c.core.db import unit_of_work
from o2c.core.errors import O2CError
from o2c.core.settings import load_settings
from o2c.ledger import deductions as deduction_ledger
from o2c.pipeline.documents import build_context
from o2c.pipeline.resolutions import settle_deduction

deductions_app = typer.Typer(help="Deductions: what customers did not pay, settled by a person.", no_args_is_help=True)


class Outcome(StrEnum):
    write_off = "write_off"
    credit_memo = "credit_memo"
    rebill = "rebill"
    dispute = "dispute"


@deductions_app.command("list")
def list_open(
    customer: str | None = typer.Option(None, "--customer", help="Only this customer id."),
    all_: bool = typer.Option(False, "--all", help="Settled ones too."),
) -> None:
    """One JSON line per deduction still open (or disputed), oldest first."""
    ctx = build_context(load_settings())
    with unit_of_work(ctx.session_factory) as session:
        for row in deduction_ledger.list_deductions(
            session, status=None if all_ else "open", customer_id=customer, limit=10_000
        ):
            emit(row)


@deductions_app.command("resolve")
def resolve(
    deduction_id: int = typer.Argument(..., min=1),
    outcome: Outcome = typer.Option(..., "--outcome", help="write_off, credit_memo, rebill or dispute."),
    reason_code: str = typer.Option(
        ..., "--reason-code", help="short_payment, unearned_discount, pricing, damaged, shortage, promotion, other"
    ),
    note: str | None = typer.Option(None, "--note", help="Why (kept in the audit trail)."),
    actor: str = typer.Option("cli", "--actor", help="Who decides, for the audit trail."),
) -> None:
    """Settle one deduction; prints what was posted. A broken rule exits 1 with its message."""
    try:
        emit(
            settle_deduction(
                build_context(load_settings()),
                deduction_id,
                outcome=outcome.value,
                reason_code=reason_code,
                note=note,
                reviewer=f"cli:{actor}",
            )
        )
    except O2CError as exc:
        err.print(f"[red]{exc.code}: {exc.message}")
        raise typer.Exit(1) from exc
