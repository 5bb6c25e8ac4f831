"""The suite-wide guard (tests/fixtures/guards.py) fails what it says it fails, and only that."""

from __future__ import annotations

import pytest

INNER = """
import logging
import threading

import pytest


def test_a_thread_dies():
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()


def test_a_loop_logs_and_goes_on():
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("services.somewhere").exception("batch failed; going on")


def test_a_handler_fails():
    class Broken(logging.Handler):
        def emit(self, record):
            try:
                raise OSError("disk full")
            except OSError:
                self.handleError(record)

    log = logging.getLogger("gateway.somewhere")
    broken = Broken()
    log.addHandler(broken)
    try:
        log.warning("a status line")
    finally:
        log.removeHandler(broken)


@pytest.mark.swallows_errors
def test_declared():
    test_a_loop_logs_and_goes_on()


def test_declared_by_fixture(expect_logged_exceptions):
    test_a_loop_logs_and_goes_on()


def test_a_warning_without_an_exception_is_fine():
    logging.getLogger("services.somewhere").warning("a slow batch")
"""


@pytest.mark.swallows_errors  # the inner tests' records reach this test's guard too
def test_the_guard_fails_swallowed_exceptions_and_passes_declared_ones(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess(
        "-p",
        "tests.fixtures.guards",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest.PytestUnknownMarkWarning",
    )
    result.assert_outcomes(passed=6, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_thread_dies*",
            "*thread * died*",
            "*ERROR at teardown of test_a_loop_logs_and_goes_on*",
            "*logged by services.somewhere: batch failed; going on*",
            "*ERROR at teardown of test_a_handler_fails*",
            "*handler <Broken (NOTSET)> failed on 'a status line'*",
        ]
    )
