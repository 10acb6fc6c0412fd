"""Session fixtures of the end-to-end suite: one stack for every test, stopped at the end whatever happens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import Stack


@pytest.fixture(scope="session")
def e2e() -> Iterator[Stack]:
    """The running stack: WordPress on MariaDB, the real worker, the fake feed origin and model."""
    running = Stack()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, "report_" + report.when, report)
    return report


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests left their screenshots."""
    from harness import SCREENSHOTS_DIR

    if SCREENSHOTS_DIR.is_dir():
        terminalreporter.write_line(f"Screenshots of the browser tests: {SCREENSHOTS_DIR}")
