"""Persistence: typed SQLAlchemy 2 models, Alembic migrations, repository functions."""
