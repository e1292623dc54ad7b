"""The head revision, read from the version files' text, and whether a database is at it: the check a start
makes before trusting the schema, without importing Alembic or SQLAlchemy."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

HERE = Path(__file__).resolve().parent

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


def script_heads() -> set[str]:
    """The revisions no other revision builds on, read from the version files' text (no Alembic import)."""
    revisions, parents = set(), set()
    for path in (HERE / "versions").glob("*.py"):
        source = path.read_text()
        revisions.update(_REVISION.findall(source))
        for down in _DOWN.findall(source):
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down))
    return revisions - parents


def sqlite_at_head(connection: sqlite3.Connection) -> bool:
    """True when this SQLite database records exactly the scripts' single head (any doubt: False)."""
    heads = script_heads()
    if len(heads) != 1:
        return False
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # no alembic_version table: never migrated
        return False
    return {row[0] for row in rows} == heads
