"""The gate tests' campus and central worker run on SQLite."""

from __future__ import annotations

import pytest


@pytest.fixture
def campus_db(sqlite_url: str) -> str:
    return sqlite_url
