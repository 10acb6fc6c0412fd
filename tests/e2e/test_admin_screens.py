"""The plugin's admin screens in a real browser (Chromium through Selenium), as the site owner uses them."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import SCREENSHOTS_DIR, Stack, unique_name, wait_until

SETTINGS_SCREEN = "/wp-admin/admin.php?page=atai-settings"
FEEDS_SCREEN = "/wp-admin/admin.php?page=atai-feeds"
ADD_FEED_SCREEN = "/wp-admin/admin.php?page=atai-feeds&action=add"
PAGE_WAIT = 30


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


def notices(driver: webdriver.Chrome, kind: str) -> list[str]:
    return [notice.text for notice in driver.find_elements(By.CSS_SELECTOR, f"#wpbody-content .notice-{kind}")]


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
        lambda d: d.find_elements(By.CSS_SELECTOR, "#wpbody-content .notice-error, #wpbody-content .notice-success"))


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
        lambda d: d.find_elements(By.CSS_SELECTOR, "#wpbody-content .notice-error, #wpbody-content .notice-success"))
    assert notices(driver, "error") == []
    assert any("sent to the worker" in text for text in notices(driver, "success")), notices(driver, "success")


def wait_for_row(driver: webdriver.Chrome, e2e: Stack, url: str, ready, what: str):
    """Reload the Feeds screen (ticking WP-Cron in between) until the feed's row passes `ready`; returns it."""
    def check():
        open_screen(driver, e2e, FEEDS_SCREEN)
        row = feed_row(driver, url)
        return row if ready(row) else None
    return wait_until(check, what, between=e2e.tick)


def test_test_connection_on_settings_says_in_words_that_the_worker_answered(e2e, admin):
    open_screen(admin, e2e, SETTINGS_SCREEN)
    admin.find_element(By.ID, "atai-test-connection").click()
    result = admin.find_element(By.ID, "atai-connection-result")
    WebDriverWait(admin, PAGE_WAIT).until(
        lambda d: {"is-ok", "is-error"} & set(result.get_attribute("class").split()))

    assert "is-ok" in result.get_attribute("class").split(), result.text
    assert result.text.startswith("Connected to the worker"), result.text
    assert e2e.model_url + "/v1" in result.text  # the status comes from the running worker's environment
    assert e2e.secret not in admin.page_source and e2e.model_api_key not in admin.page_source


def test_adding_a_feed_with_an_invalid_url_shows_the_error_at_the_field_and_keeps_what_was_typed(e2e, admin):
    typed = "feeds.example.org/" + unique_name("no-scheme")
    submit_feed_form(admin, e2e, typed)

    error = admin.find_element(By.ID, "atai-url-error")
    assert error.text.startswith("Feed URL:") and "http://" in error.text, error.text
    row = error.find_element(By.XPATH, "./ancestor::tr[1]")
    assert row.find_element(By.ID, "atai-url").get_attribute("value") == typed
    assert admin.find_element(By.ID, "atai-url").get_attribute("aria-invalid") == "true"
    assert any("not saved" in text for text in notices(admin, "error")), notices(admin, "error")
    assert [feed for feed in e2e.rest("GET", "atai/v1/feeds") if typed in feed["url"]] == []


def test_a_feed_added_in_the_form_and_run_from_the_list_makes_posts_shown_in_the_list(e2e, admin):
    url = e2e.generated_feed_url(unique_name("e2e-browser"), items=3)
    submit_feed_form(admin, e2e, url, post_status="publish")
    assert notices(admin, "error") == []
    assert any("Feed added" in text for text in notices(admin, "success")), notices(admin, "success")
    row = feed_row(admin, url)
    assert cell(row, "next_run") == "Due now"
    assert cell(row, "last_run") == "Never" and cell(row, "posts_made") == "0"

    run_now_from_the_list(admin, e2e, url)
    row = wait_for_row(admin, e2e, url, lambda r: cell(r, "next_run") != "Running now" and cell(r, "last_run") != "Never",
                       "the list to show the run's end")
    assert cell(row, "posts_made") == "3"
    assert cell(row, "last_run").endswith("ago (done)"), cell(row, "last_run")
    assert cell(row, "next_run").startswith("in "), cell(row, "next_run")
    assert cell(row, "last_error") == "—"
    feed = next(feed for feed in e2e.rest("GET", "atai/v1/feeds") if feed["url"] == url)
    assert len(e2e.posts_of_feed(feed["id"])) == 3


def test_a_feed_whose_url_is_a_404_shows_its_error_in_words_in_the_list(e2e, admin):
    url = e2e.origin_url + "/status/404"
    submit_feed_form(admin, e2e, url)
    assert notices(admin, "error") == []

    run_now_from_the_list(admin, e2e, url)
    row = wait_for_row(admin, e2e, url, lambda r: cell(r, "last_error") != "—", "the list to show the feed's error")
    error = cell(row, "last_error")
    assert error.startswith("fetch:") and "404" in error and url in error, error
    assert cell(row, "last_run").endswith("(failed)"), cell(row, "last_run")
    assert cell(row, "posts_made") == "0"
