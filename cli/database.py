"""`o2c db upgrade`: apply the Alembic migrations."""

from __future__ import annotations

import typer

from o2c.cli.output import err
from o2c.core.settings import load_settings
from o2c.migrations.runner import upgrade_database

db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations to O2C_DATABASE_URL."""
    settings = load_settings()
    if settings.is_embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.effective_database_url, revision)
    err.print(f"[green]database at {revision}")
