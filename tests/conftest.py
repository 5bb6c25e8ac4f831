"""Shared test set-up; fixtures live in tests/fixtures/, one module per real thing.

The suite runs on several workers (``make test``: pytest-xdist, ``-n``), which
take tests in collection order: modules with slow tests go first, so no worker
starts a 45-second test when the others are done.  A module's tests stay
together (its module-scoped fixtures are made once per worker).
"""

from __future__ import annotations

import pytest

pytest_plugins = [
    "pytester",
    "tests.fixtures.guards",
    "tests.fixtures.db",
    "tests.fixtures.mqtt",
    "tests.fixtures.processes",
    "tests.fixtures.admin",
    "tests.fixtures.central",
    "tests.fixtures.lanes",
    "tests.fixtures.thermometers",
    "tests.fixtures.local_kiosk",
    "tests.fixtures.snapshots",
    "tests.fixtures.web",
    "tests.fixtures.browser",
    "tests.fixtures.secure_broker",
    "tests.fixtures.chat_receivers",
    "tests.fixtures.chat_notices",
    "tests.fixtures.site_lang",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: order kept within
