"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

import o2c.core.events  # noqa: F401
import o2c.extraction.models  # noqa: F401
import o2c.intake.models  # noqa: F401
import o2c.ledger.models  # noqa: F401
import o2c.review.models  # noqa: F401
from o2c.core.db import Base
from o2c.migrations.runner import current_revision, upgrade_database


def test_migrations_match_the_models(database_url):
    upgrade_database(database_url)
    upgrade_database(database_url)  # applying twice is a no-op
    assert current_revision(database_url) is not None
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_a_database_at_head_is_left_alone_without_alembic(tmp_path, monkeypatch):
    """The embedded default calls upgrade_database on every start: at the head it must not start Alembic."""
    import alembic.command
    from sqlalchemy import text

    from o2c.migrations.runner import script_heads

    url = f"sqlite:///{tmp_path}/o2c.sqlite3"
    upgrade_database(url)
    assert script_heads() == {current_revision(url)}
    calls = []
    monkeypatch.setattr(alembic.command, "upgrade", lambda *args, **kwargs: calls.append(args[1]))
    upgrade_database(url)
    assert calls == []
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    engine.dispose()
    upgrade_database(url)
    assert calls == ["head"]
