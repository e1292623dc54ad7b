"""Apply Alembic migrations programmatically (the embedded default does this on start; `o2c db upgrade`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text

from o2c.migrations.heads import script_heads

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at this package's scripts and the given database."""
    from alembic.config import Config  # Alembic is imported when a migration runs, not with every CLI start

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (a database already at the single head is left alone
    without starting Alembic: the embedded default calls this on every CLI start)."""
    if revision == "head" and _at_head(url):
        return
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def _at_head(url: str) -> bool:
    heads = script_heads()
    if len(heads) != 1:
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return False
            return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == heads
    except Exception:  # noqa: BLE001 - any doubt: let Alembic look
        return False
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database is at (None when unmigrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
