"""Chromium (through Selenium) logged in to wp-admin, screenshots, and the accessibility check with axe-core."""

from __future__ import annotations

import functools
import tarfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

import stack
from harness import SCREENSHOTS_DIR, Stack

PAGE_WAIT = 30

# axe-core from the npm registry, pinned by version and integrity, fetched once into .run/cache/ by npm pack.
AXE_CORE_VERSION = "4.14.1"
AXE_CORE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
# What the accessibility check fails on; "moderate" and "minor" findings are left to review.
FAILING_IMPACTS = ("serious", "critical")


def chromium() -> webdriver.Chrome:
    """Debian's headless Chromium, told not to phone home (there is no internet here)."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    """Keep what the browser showed under .run/e2e/screenshots/ (the e2e run prints the folder)."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS_DIR / f"{name}.png"))


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


def open_screen(driver: webdriver.Chrome, e2e: Stack, path: str) -> None:
    driver.get(e2e.site.url + path)
    WebDriverWait(driver, PAGE_WAIT).until(expected_conditions.presence_of_element_located((By.ID, "wpbody-content")))


@functools.cache
def axe_source() -> str:
    """axe.min.js of the pinned axe-core."""
    tarball = stack.npm_tarball("axe-core", AXE_CORE_VERSION, AXE_CORE_INTEGRITY)
    with tarfile.open(tarball, "r:gz") as package:
        return package.extractfile("package/axe.min.js").read().decode("utf-8")


def accessibility_problems(driver: webdriver.Chrome, *selectors: str) -> list[str]:
    """axe-core's serious and critical violations inside these parts of the page, in words."""
    driver.execute_script(axe_source())
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run({include: arguments[0]}, {resultTypes: ['violations']})"
        ".then(result => done(result.violations), error => done([{id: 'axe-error', impact: 'critical',"
        " help: String(error), nodes: []}]));",
        [[selector] for selector in selectors],
    )
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(" ".join(node["target"]) for node in violation["nodes"])
            for violation in violations if violation["impact"] in FAILING_IMPACTS]
