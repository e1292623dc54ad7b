"""`o2c bank import` / `match` / `unapplied` (the schema made from the models until the migration exists)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

import o2c.cli.bank as cli_bank
from o2c.cli.main import app
from o2c.core.db import Base
from o2c.pipeline.documents import build_context
from tests.bank.generators import Credit, camt053, mt940


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("O2C_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("O2C_BUSINESS_DATE", "2026-03-20")
    monkeypatch.delenv("O2C_DATABASE_URL", raising=False)

    def context(settings):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        ctx = build_context(settings, migrate=False)
        Base.metadata.create_all(ctx.session_factory.kw["bind"])
        return ctx

    monkeypatch.setattr(cli_bank, "build_context", context)
    return tmp_path


def test_import_then_unapplied(workdir):
    good = workdir / "good.sta"
    good.write_bytes(
        mt940([Credit(Decimal("42.00"), payer="Nobody Known", text="hello", value_date=date(2026, 3, 18))])
    )
    bad = workdir / "bad.xml"
    bad.write_bytes(camt053([Credit(Decimal("1.00"))], closing=Decimal("7.00")))
    runner = CliRunner()
    result = runner.invoke(app, ["bank", "import", str(good), str(bad)])
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(o["source"], o["status"]) for o in lines] == [("good.sta", "unmatched"), ("bad.xml", "rejected")]
    assert lines[1]["error"] == "unbalanced_statement"
    shown = runner.invoke(app, ["bank", "unapplied"])
    assert shown.exit_code == 0
    (row,) = [json.loads(line) for line in shown.stdout.splitlines()]
    assert (row["amount"], row["status"], row["payer_name"]) == ("42.00", "unmatched", "Nobody Known")
    assert runner.invoke(app, ["bank", "match"]).exit_code == 0
