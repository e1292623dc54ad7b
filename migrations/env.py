"""Alembic environment: every package's tables share core.db.Base.metadata."""

from alembic import context
from sqlalchemy import create_engine, pool

import o2c.core.events  # noqa: F401  (register tables)
import o2c.extraction.models  # noqa: F401
import o2c.intake.models  # noqa: F401
import o2c.ledger.models  # noqa: F401
import o2c.review.models  # noqa: F401
from o2c.core.db import Base

target_metadata = Base.metadata
url = context.config.get_main_option("sqlalchemy.url")


def run_migrations() -> None:
    """Run migrations online against the configured URL (SQLite uses batch mode for ALTERs)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations()
