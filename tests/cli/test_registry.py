"""The CLI's command registry: every command loads by module path, and `o2c --help` imports none of the stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from o2c.cli.main import app
from o2c.cli.registry import COMMANDS, load

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "spacy",
    "pdfplumber",
    "pdfminer",
    "pypdfium2",
    "pytesseract",
    "sqlalchemy",
    "alembic",
    "facturx",
    "openpyxl",
    "PIL",
    "fastapi",
    "uvicorn",
    "rq",
    "rich",
)

_PROBE = """
import json, sys
sys.argv = ["o2c", *{args!r}]
from o2c.cli.main import app
try:
    app()
except SystemExit:
    pass
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))
"""


def _loaded_after(*args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(args=list(args), heavy=HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_registered_command_loads():
    for name, (target, short_help) in COMMANDS.items():
        obj = load(target)
        assert isinstance(obj, typer.Typer) or callable(obj), name
        assert short_help and len(short_help) < 80, name


def test_help_lists_every_command_without_importing_the_stack():
    assert _loaded_after("--help") == []
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name, (_target, short_help) in COMMANDS.items():
        assert name in result.output
        assert short_help.split()[0] in result.output


def test_a_group_keeps_its_subcommands_when_loaded_late():
    result = CliRunner().invoke(app, ["db", "--help"])
    assert result.exit_code == 0 and "upgrade" in result.output
    assert "--install-completion" not in result.output


def test_unknown_command_is_an_error():
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
