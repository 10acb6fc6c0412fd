"""Chromium through Selenium, as the site owner uses wp-admin: open screens, fill forms, read rows and notices."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import SCREENSHOTS_DIR, Stack, wait_until

SETTINGS_SCREEN = "/wp-admin/admin.php?page=atai-settings"
FEEDS_SCREEN = "/wp-admin/admin.php?page=atai-feeds"
ADD_FEED_SCREEN = "/wp-admin/admin.php?page=atai-feeds&action=add"
PAGE_WAIT = 30
# The notices a form or an action leaves: not the feed-health ones every screen may show.
OUTCOME_NOTICES = ", ".join(f"#wpbody-content .notice-{kind}:not(.atai-health-notice):not(.atai-health)"
                            for kind in ("error", "success"))


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
    """Keep what the browser showed, for whoever debugs a failure."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS_DIR / f"{name}.png"))


def open_screen(driver: webdriver.Chrome, e2e: Stack, path: str) -> None:
    driver.get(e2e.site.url + path)
    WebDriverWait(driver, PAGE_WAIT).until(expected_conditions.presence_of_element_located((By.ID, "wpbody-content")))


def notices(driver: webdriver.Chrome, kind: str) -> list[str]:
    """The texts of the screen's notices of a kind, but for the feed-health notices every screen shows."""
    selector = f"#wpbody-content .notice-{kind}:not(.atai-health-notice):not(.atai-health):not(.atai-note)"
    return [notice.text for notice in driver.find_elements(By.CSS_SELECTOR, selector)]


def submit_feed_form(driver: webdriver.Chrome, e2e: Stack, url: str, post_status: str | None = None) -> None:
    """Fill in the Add feed form and send it."""
    open_screen(driver, e2e, ADD_FEED_SCREEN)
    field = driver.find_element(By.ID, "atai-url")
    field.clear()
    field.send_keys(url)
    if post_status:
        Select(driver.find_element(By.ID, "atai-post_status")).select_by_value(post_status)
    driver.find_element(By.CSS_SELECTOR, "form.atai-feed-form [type=submit]").click()
    WebDriverWait(driver, PAGE_WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, OUTCOME_NOTICES))


def feed_row(driver: webdriver.Chrome, url: str):
    """The list row of the feed with this URL."""
    rows = [row for row in driver.find_elements(By.CSS_SELECTOR, "table.wp-list-table tbody tr")
            if url in [span.text.strip() for span in row.find_elements(By.CSS_SELECTOR, "span.atai-url")]]
    assert len(rows) == 1, f"the Feeds screen lists {len(rows)} rows for {url}"
    return rows[0]


def cell(row, column: str) -> str:
    return row.find_element(By.CSS_SELECTOR, f"td.column-{column}").text.strip()


def run_now_from_the_list(driver: webdriver.Chrome, e2e: Stack, url: str) -> None:
    """Hover the feed's row, click its "Run now" action, and wait for the screen's answer."""
    open_screen(driver, e2e, FEEDS_SCREEN)
    row = feed_row(driver, url)
    ActionChains(driver).move_to_element(row).perform()
    link = row.find_element(By.LINK_TEXT, "Run now")
    WebDriverWait(driver, PAGE_WAIT).until(expected_conditions.element_to_be_clickable(link)).click()
    WebDriverWait(driver, PAGE_WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, OUTCOME_NOTICES))
    assert notices(driver, "error") == []
    assert any("sent to the worker" in text for text in notices(driver, "success")), notices(driver, "success")


def wait_for_row(driver: webdriver.Chrome, e2e: Stack, url: str, ready, what: str):
    """Reload the Feeds screen (ticking WP-Cron in between) until the feed's row passes `ready`; returns it."""
    def check():
        open_screen(driver, e2e, FEEDS_SCREEN)
        row = feed_row(driver, url)
        return row if ready(row) else None
    return wait_until(check, what, between=e2e.tick)
