"""`o2c db upgrade`: apply the Alembic migrations; `records_database`: the database of a command that reads no
document."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session, sessionmaker

from o2c.cli.output import err
from o2c.core.db import make_engine, make_session_factory
from o2c.core.settings import Settings, load_settings
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


def records_database(settings: Settings) -> sessionmaker[Session]:
    """Sessions for a command that handles records but reads no document (export, import, summary, AR views,
    webhooks): the embedded default migrates itself as the pipeline's context does, and nothing of extraction,
    OCR or the pipeline is imported, so these commands start in half the time."""
    url = settings.effective_database_url
    if settings.is_embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(url)
    return make_session_factory(make_engine(url))
