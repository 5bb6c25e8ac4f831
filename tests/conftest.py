"""Shared test set-up; fixtures live in tests/fixtures/, one module per real thing."""

pytest_plugins = [
    "tests.fixtures.guards",
    "tests.fixtures.db",
    "tests.fixtures.mqtt",
    "tests.fixtures.processes",
    "tests.fixtures.admin",
    "tests.fixtures.central",
    "tests.fixtures.lanes",
    "tests.fixtures.web",
    "tests.fixtures.browser",
    "tests.fixtures.secure_broker",
]
