"""Alembic environment: runs migrations with the project's engine settings."""

from __future__ import annotations

from alembic import context

from services.storage.engine import make_engine
from services.storage.models import Base

config = context.config
engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
finally:
    engine.dispose()
