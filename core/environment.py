"""Where the database is, read from the O2C_* environment as Settings reads it, without pydantic: the commands
that only read records (`o2c export`, `o2c summary`) start from this alone (core/embedded.py)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

ENV_PREFIX = "O2C_"
DEFAULT_DATA_DIR = Path("data")


def environment_values(fields: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The O2C_* environment variables that name one of `fields`, keyed by field (names case-insensitive)."""
    prefix = ENV_PREFIX.lower()
    env = {name.lower(): value for name, value in (os.environ if environ is None else environ).items()}
    return {field: env[prefix + field] for field in fields if prefix + field in env}


def database_url(configured: str | None, data_dir: Path) -> str:
    """The configured database URL, or the embedded SQLite file in the data directory."""
    if configured:
        return configured
    return f"sqlite:///{(data_dir / 'o2c.sqlite3').resolve()}"


def environment_database_url(environ: Mapping[str, str] | None = None) -> str:
    """Settings().effective_database_url from the environment: O2C_DATABASE_URL, else the embedded file in
    O2C_DATA_DIR (default ./data)."""
    values = environment_values(("database_url", "data_dir"), environ)
    data_dir = values.get("data_dir")
    return database_url(values.get("database_url"), Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR)
