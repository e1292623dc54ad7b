"""The CLI's command registry: every command loads by module path, and `o2c --help` imports none of the stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from o2c.cli import registry
from o2c.cli.main import app
from o2c.cli.registry import COMMANDS, GROUPS, load

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
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Every module a fresh `o2c ARGS` process has imported when the command is done."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(args=list(args))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _loaded_after(*args: str) -> list[str]:
    return sorted({m.split(".")[0] for m in _modules_after(*args)} & set(HEAVY))


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


def test_every_group_has_its_help_in_the_table():
    groups = {name for name, (target, _help) in COMMANDS.items() if isinstance(load(target), typer.Typer)}
    assert set(GROUPS) == groups


def test_group_help_from_the_table_is_the_real_groups_help(monkeypatch):
    """`o2c <group> --help` and `o2c <group>` render from GROUPS without loading the module, and print exactly
    what the loaded group prints (so the table cannot drift from the docstrings)."""
    runner = CliRunner()

    def no_load(target: str):
        raise AssertionError(f"{target} loaded for a group's help")

    for name in list(GROUPS):
        for args in ([name, "--help"], [name]):
            with monkeypatch.context() as patch:
                patch.setattr(registry, "load", no_load)
                stand_in = runner.invoke(app, args)
            with monkeypatch.context() as patch:
                patch.delitem(registry.GROUPS, name)
                real = runner.invoke(app, args)
            assert real.exit_code in (0, 2) and "Commands" in real.output, (args, real.output)
            assert (stand_in.exit_code, stand_in.output) == (real.exit_code, real.output), args


def test_a_group_subcommand_still_loads_the_group():
    result = CliRunner().invoke(app, ["db", "upgrade", "--help"])
    assert result.exit_code == 0 and "--revision" in result.output


def test_group_help_imports_neither_the_group_nor_the_stack():
    loaded = _modules_after("ar", "--help")
    assert not {m.split(".")[0] for m in loaded} & {*HEAVY, "pydantic"} - {"rich"}
    assert not {m for m in loaded if m.startswith("o2c.") and m not in ("o2c.cli", "o2c.cli.main", "o2c.cli.registry")}


def test_console_entry_keeps_output_and_exit_codes(tmp_path):
    """`o2c` (cli/main.py's main: imports frozen as they load, a freeze instead of the exit's collection)
    prints and exits as the app does: a feed's cursor on stderr, an unknown command's usage error 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_")} | {"O2C_DATA_DIR": str(tmp_path)}
    entry = "import sys; from o2c.cli.main import main; sys.argv = ['o2c', *sys.argv[1:]]; main()"
    run = [sys.executable, "-c", entry]
    export = subprocess.run([*run, "export", "orders"], capture_output=True, text=True, env=env, timeout=120)
    assert (export.returncode, export.stdout, export.stderr.strip()) == (0, "", "cursor:")
    unknown = subprocess.run([*run, "no-such-command"], capture_output=True, text=True, env=env, timeout=120)
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_commands_that_read_no_document_import_no_driver_engine_or_pipeline(tmp_path):
    """On the embedded SQLite default: no PostgreSQL driver, no Redis/RQ, no OCR/PDF/NLP, no web stack, no
    pydantic-settings, and (the schema at head) no Alembic; a summary not even the webhook HTTP client. Export and
    summary, which only read, not SQLAlchemy either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_")} | {"O2C_DATA_DIR": str(tmp_path)}
    assert "alembic" in {m.split(".")[0] for m in _modules_after("db", "upgrade", env=env)}
    forbidden = {*HEAVY, "psycopg", "psycopg2", "redis", "numpy", "pydantic_settings"} - {"sqlalchemy", "rich"}
    for args in (["summary"], ["export", "orders"], ["ar", "aging"], ["export", "payments", "--format", "csv"]):
        loaded = _modules_after(*args, env=env)
        assert not {m.split(".")[0] for m in loaded} & forbidden, args
        if args[0] == "ar":
            assert "sqlalchemy" in {m.split(".")[0] for m in loaded}, args  # the command did run
        else:  # read by the standard library's driver (cli/reading.py): no SQLAlchemy, models, Alembic or pydantic
            assert "o2c.core.embedded" in loaded, args
            assert not {m.split(".")[0] for m in loaded} & {"sqlalchemy", "alembic", "pydantic"}, args
            assert not [m for m in loaded if m.startswith("o2c.") and m.endswith(".models")], args
    assert "urllib.request" not in _modules_after("summary", env=env)


def test_plain_coercion_takes_and_refuses_what_typers_own_does(tmp_path, monkeypatch):
    """A command's str and enum parameters coerce without pydantic (registry.PlainRuntimeParam): valid values
    reach the command as Typer's own coercion hands them over, and a refused value prints Typer's own error."""
    monkeypatch.setenv("O2C_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("O2C_DATABASE_URL", raising=False)
    cases = (
        ["export", "orders"],
        ["export", "payments", "--format", "csv", "--cursor", ""],
        ["export", "nosuch"],
        ["export", "orders", "--format", "CSV"],
        ["export", "orders", "--cursor"],
        ["summary", "--help"],
    )
    plain = [(r.exit_code, r.output) for r in (CliRunner().invoke(app, args) for args in cases)]
    monkeypatch.setattr(registry, "coerce_plainly", lambda command: None)  # Typer's own, pydantic adapters
    typers_own = [(r.exit_code, r.output) for r in (CliRunner().invoke(app, args) for args in cases)]
    assert plain == typers_own
    assert [code for code, _out in plain] == [0, 0, 2, 2, 2, 0]
    assert "'nosuch' is not one of 'orders'" in plain[2][1]
