"""`o2c export` and `o2c summary` (cli/reading.py): on the embedded SQLite at head they read it with the standard
library's driver and print what the ORM's path prints; anything else still goes through the ORM."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from alembic import command
from typer.testing import CliRunner

from o2c.cli import reading
from o2c.cli.main import app
from o2c.erp import records as feed_records
from o2c.migrations.heads import script_heads
from o2c.migrations.runner import alembic_config
from o2c.review import embedded_summary, summary

NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
COMMANDS = [
    ["summary"],
    *(["export", feed.value, "--format", fmt.value] for feed in reading.FeedKind for fmt in reading.ExportFormat),
]


@pytest.fixture
def demo_dir(demo_database, tmp_path, monkeypatch):
    """A copy of the demo database as O2C_DATA_DIR, every clock at NOW (an exception's age prints)."""
    with sqlite3.connect(demo_database) as source, sqlite3.connect(tmp_path / "o2c.sqlite3") as copy:
        source.backup(copy)  # the committed state, write-ahead log included
    for name in ("O2C_DATABASE_URL", "O2C_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("O2C_DATA_DIR", str(tmp_path))
    for module in (feed_records, embedded_summary, summary):
        monkeypatch.setattr(module, "utcnow", lambda: NOW)
    return tmp_path


def _run(args):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_both_paths_print_the_same(demo_dir, monkeypatch):
    used = []
    monkeypatch.setattr(reading, "read_embedded_feed", _counting(reading.read_embedded_feed, used))
    monkeypatch.setattr(reading, "read_embedded_summary", _counting(reading.read_embedded_summary, used))
    embedded = {tuple(args): _run(args) for args in COMMANDS}
    assert len(used) >= len(COMMANDS)  # every command read the file directly
    monkeypatch.setattr(reading, "sqlite_at_head", lambda _connection: False)  # the ORM's path
    used.clear()
    orm = {tuple(args): _run(args) for args in COMMANDS}
    assert not used
    assert embedded == orm
    assert all(out for out, _err in embedded.values()), [args for args, (out, _err) in embedded.items() if not out]
    assert embedded[("export", "orders", "--format", "csv")][0].startswith("id,customer_id,po_number")


def _counting(read, calls):
    def counted(*args, **kwargs):
        calls.append(read)
        return read(*args, **kwargs)

    return counted


def test_a_database_behind_the_head_is_migrated_through_the_orm(demo_dir):
    command.downgrade(alembic_config(f"sqlite:///{demo_dir / 'o2c.sqlite3'}"), "-1")
    out, err = _run(["export", "invoices"])
    assert out and err.startswith("cursor: ")
    with sqlite3.connect(demo_dir / "o2c.sqlite3") as connection:
        assert {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")} == script_heads()


def test_a_missing_database_is_created_as_before(tmp_path, monkeypatch):
    monkeypatch.delenv("O2C_DATABASE_URL", raising=False)
    monkeypatch.setenv("O2C_DATA_DIR", str(tmp_path / "new"))
    assert _run(["export", "orders"]) == ("", "cursor: \n")
    assert (tmp_path / "new" / "o2c.sqlite3").is_file()
