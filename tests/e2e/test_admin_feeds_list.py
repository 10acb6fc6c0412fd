"""The feeds list in Chromium: search, sorting, the status views, and bulk pause and resume; a feed's screen."""

from __future__ import annotations

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from axe import accessibility_problems
from browser import PAGE_WAIT, open_screen, screenshot
from harness import unique_name

FEEDS_SCREEN = "/wp-admin/admin.php?page=atai-feeds"


def row_names(driver) -> list[str]:
    return [link.text for link in driver.find_elements(By.CSS_SELECTOR, "table.wp-list-table tbody a.row-title")]


def search(driver, words: str) -> None:
    field = driver.find_element(By.ID, "atai-feed-search-search-input")
    field.clear()
    field.send_keys(words)
    driver.find_element(By.ID, "search-submit").click()
    WebDriverWait(driver, PAGE_WAIT).until(lambda d: "s=" in d.current_url)


def test_the_feeds_list_searches_sorts_and_pauses_and_resumes_in_bulk(e2e, admin):
    mark = unique_name("bulk")
    feeds = [e2e.create_feed(e2e.generated_feed_url(f"{mark}-{name}", items=1), title=f"{name} {mark}")
             for name in ("Beta", "Alpha", "Gamma")]
    open_screen(admin, e2e, FEEDS_SCREEN)
    search(admin, mark)
    assert sorted(row_names(admin)) == [f"Alpha {mark}", f"Beta {mark}", f"Gamma {mark}"]

    admin.find_element(By.CSS_SELECTOR, "th#feed a").click()  # sort by name
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: "orderby=feed" in d.current_url)
    names = row_names(admin)
    assert names in ([f"Alpha {mark}", f"Beta {mark}", f"Gamma {mark}"], [f"Gamma {mark}", f"Beta {mark}", f"Alpha {mark}"])
    admin.find_element(By.CSS_SELECTOR, "th#feed a").click()  # and the other way
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: row_names(d) == list(reversed(names)))

    for feed in feeds[:2]:
        admin.find_element(By.ID, f"atai-feed-{feed['id']}").click()
    Select(admin.find_element(By.ID, "bulk-action-selector-top")).select_by_value("pause")
    admin.find_element(By.ID, "doaction").click()
    WebDriverWait(admin, PAGE_WAIT).until(
        lambda d: any("2 feeds paused." in n.text for n in d.find_elements(By.CSS_SELECTOR, ".notice-success")))
    assert [e2e.feed(feed["id"])["status"] for feed in feeds] == ["paused", "paused", "active"]
    screenshot(admin, "feeds-list-bulk-paused")

    admin.find_element(By.PARTIAL_LINK_TEXT, "Paused").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: "status=paused" in d.current_url)
    assert {f"Beta {mark}", f"Alpha {mark}"} <= set(row_names(admin))
    assert f"Gamma {mark}" not in row_names(admin)

    open_screen(admin, e2e, FEEDS_SCREEN + "&s=" + mark)
    for feed in feeds[:2]:
        admin.find_element(By.ID, f"atai-feed-{feed['id']}").click()
    Select(admin.find_element(By.ID, "bulk-action-selector-bottom")).select_by_value("resume")
    admin.find_element(By.ID, "doaction2").click()
    WebDriverWait(admin, PAGE_WAIT).until(
        lambda d: any("2 feeds resumed." in n.text for n in d.find_elements(By.CSS_SELECTOR, ".notice-success")))
    assert [e2e.feed(feed["id"])["status"] for feed in feeds] == ["active", "active", "active"]
    screenshot(admin, "feeds-list")
    assert accessibility_problems(admin, "#wpbody-content") == []


def test_two_feeds_with_the_same_title_show_their_hosts(e2e, admin):
    title = unique_name("Same Title")
    e2e.create_feed(e2e.generated_feed_url(unique_name("same-a"), items=1), title=title)
    e2e.create_feed(e2e.origin_url.replace("127.0.0.1", "localhost") + f"/gen/{unique_name('same-b')}.xml?items=1",
                    title=title)
    open_screen(admin, e2e, FEEDS_SCREEN + "&s=" + title)
    assert sorted(row_names(admin)) == [f"{title} (127.0.0.1)", f"{title} (localhost)"]


def test_a_feeds_screen_has_its_run_panel_settings_groups_and_items(e2e, admin):
    feed = e2e.create_feed(e2e.generated_feed_url(unique_name("screen"), items=2), title="Screen Harbour")
    e2e.run_now(feed["id"])
    e2e.wait_for_run(feed["id"])
    open_screen(admin, e2e, f"{FEEDS_SCREEN}&action=edit&feed={feed['id']}")
    assert admin.find_element(By.CSS_SELECTOR, ".atai-run-panel .atai-run-now").text == "Run now"
    assert admin.find_element(By.CSS_SELECTOR, ".atai-run-panel .atai-toggle").text == "Pause"
    headings = [h.text for h in admin.find_elements(By.CSS_SELECTOR, "form.atai-feed-form h2")]
    assert "Source" in headings and "Posts" in headings
    assert len(admin.find_elements(By.CSS_SELECTOR, "table.atai-items tbody tr")) == 2
    screenshot(admin, "feed-screen")

    admin.find_element(By.CSS_SELECTOR, ".atai-run-panel .atai-toggle").click()  # a form: works without script
    # The old page may be read while the form posts: a stale element is waited past.
    WebDriverWait(admin, PAGE_WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".atai-run-panel .atai-toggle").text == "Resume")
    assert e2e.feed(feed["id"])["status"] == "paused"
    assert f"feed={feed['id']}" in admin.current_url
