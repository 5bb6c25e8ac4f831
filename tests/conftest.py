"""Shared test set-up; fixtures live in tests/fixtures/, one module per kind of resource."""

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.mqtt",
    "tests.fixtures.processes",
    "tests.fixtures.admin",
]
