"""Session fixtures of the end-to-end suite: one stack for every test, stopped at the end whatever happens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from browser import PAGE_WAIT, chromium, screenshot
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


@pytest.fixture(scope="module")
def browser(e2e: Stack):
    """A browser logged in to wp-admin as the site's administrator."""
    driver = chromium()
    try:
        driver.get(e2e.site.url + "/wp-login.php")
        driver.find_element(By.ID, "user_login").send_keys(e2e.site.admin_user)
        driver.find_element(By.ID, "user_pass").send_keys(e2e.site.admin_password)
        driver.find_element(By.ID, "wp-submit").click()
        WebDriverWait(driver, PAGE_WAIT).until(expected_conditions.presence_of_element_located((By.ID, "wpadminbar")))
    except Exception:
        screenshot(driver, "login")
        driver.quit()
        raise
    yield driver
    driver.quit()


@pytest.fixture
def admin(browser, request):
    """The logged-in browser; a screenshot goes to .run/e2e/screenshots/ when the test fails."""
    yield browser
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot(browser, request.node.name)
