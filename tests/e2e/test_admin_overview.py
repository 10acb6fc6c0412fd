"""What tells a site owner at a glance that the importer works, in Chromium: Site Health with the worker down
and up, the dashboard widget, the Source column and the filter by feed in All Posts, and the accessibility
check (axe-core) on every plugin screen. Each test keeps a screenshot under .run/e2e/screenshots/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from axe import accessibility_problems
from browser import PAGE_WAIT, open_screen, screenshot
from harness import Stack, unique_name

SITE_HEALTH = "/wp-admin/site-health.php"
DASHBOARD = "/wp-admin/index.php"
ALL_POSTS = "/wp-admin/edit.php"


@pytest.fixture(scope="module")
def imported(e2e: Stack) -> dict:
    """Feeds that have run: {'harbour': feed, 'garden': feed, 'broken': feed}, three, two and no posts."""
    feeds = {}
    for name, url in (("harbour", e2e.generated_feed_url(unique_name("overview-harbour"), items=3)),
                      ("garden", e2e.generated_feed_url(unique_name("overview-garden"), items=2)),
                      ("broken", e2e.origin_url + "/status/404")):
        feed = e2e.create_feed(url, title=unique_name(f"Overview {name}"))
        e2e.run_now(feed["id"])
        feeds[name] = e2e.wait_for_run(feed["id"])
    return feeds


def site_health_result(driver, label: str):
    """Wait for Site Health to list a test result with this headline; returns its element."""
    def found(d):
        buttons = [b for b in d.find_elements(By.CSS_SELECTOR, ".health-check-accordion-trigger")
                   if label in b.get_attribute("textContent")]
        return buttons[0] if buttons else None
    return WebDriverWait(driver, PAGE_WAIT).until(found)


def test_site_health_says_when_the_worker_is_down_and_when_it_is_back(e2e, admin):
    e2e.stop_worker()
    try:
        open_screen(admin, e2e, SITE_HEALTH)
        down = site_health_result(admin, "The AutomationTools.AI worker cannot be reached")
        down.click()
        details = admin.find_element(By.ID, down.get_attribute("aria-controls"))
        assert "connection refused" in details.text, details.text
        screenshot(admin, "site-health-worker-down")
    finally:
        e2e.start_worker()

    open_screen(admin, e2e, SITE_HEALTH)
    site_health_result(admin, "The AutomationTools.AI worker answers")
    site_health_result(admin, "The AutomationTools.AI worker keeps up with its queue")
    site_health_result(admin, "The AI endpoint answers with the configured key and model")  # the async test
    screenshot(admin, "site-health-worker-up")
    assert e2e.secret not in admin.page_source


def test_site_health_info_lists_the_plugins_settings_without_secrets(e2e, admin):
    open_screen(admin, e2e, SITE_HEALTH + "?tab=debug")
    section = WebDriverWait(admin, PAGE_WAIT).until(
        lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, ".health-check-accordion-trigger")
                   if b.get_attribute("textContent").strip().startswith("AutomationTools.AI")])[0]
    section.click()
    panel = admin.find_element(By.ID, section.get_attribute("aria-controls"))
    assert "Worker URL" in panel.text and e2e.worker.url in panel.text
    assert "Set in wp-config.php" in panel.text
    screenshot(admin, "site-health-info")
    assert e2e.secret not in admin.page_source and e2e.model_api_key not in admin.page_source


def test_the_dashboard_widget_charts_the_posts_and_links_to_what_needs_attention(e2e, admin, imported):
    open_screen(admin, e2e, DASHBOARD)
    widget = admin.find_element(By.ID, "atai_dashboard")
    chart = widget.find_element(By.CSS_SELECTOR, "svg.atai-chart[role=img]")
    assert chart.find_element(By.TAG_NAME, "title").get_attribute("textContent") == "Posts made per day"
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect.atai-chart-bar")) == 30
    review = widget.find_element(By.PARTIAL_LINK_TEXT, "waiting for review")
    assert "page=atai-review" in review.get_attribute("href")
    assert widget.find_element(By.PARTIAL_LINK_TEXT, "failing feed")
    failing = widget.find_element(By.LINK_TEXT, imported["broken"]["title"])
    assert f"feed={imported['broken']['id']}" in failing.get_attribute("href")

    widget.find_element(By.CSS_SELECTOR, "details.atai-chart-table summary").click()
    rows = widget.find_elements(By.CSS_SELECTOR, "details.atai-chart-table tbody tr")
    assert len(rows) == 30
    today = rows[0].find_elements(By.TAG_NAME, "td")[0].text
    assert int(today) >= 5, today  # the two feeds' posts, made today
    screenshot(admin, "dashboard-widget")
    assert accessibility_problems(admin, "#atai_dashboard") == []


def test_all_posts_shows_each_posts_feed_and_filters_by_feed(e2e, admin, imported):
    harbour = imported["harbour"]
    open_screen(admin, e2e, ALL_POSTS + "?post_status=all")
    assert admin.find_element(By.CSS_SELECTOR, "th#atai_source").text == "Source"

    Select(admin.find_element(By.ID, "atai-filter-feed")).select_by_value(str(harbour["id"]))
    admin.find_element(By.ID, "post-query-submit").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: f"atai_feed={harbour['id']}" in d.current_url)

    cells = admin.find_elements(By.CSS_SELECTOR, "table.wp-list-table tbody td.column-atai_source")
    assert len(cells) == 3
    for cell in cells:
        assert cell.find_element(By.CSS_SELECTOR, "a.atai-source-feed").text == harbour["title"]
        original = cell.find_element(By.CSS_SELECTOR, "a.atai-source-original").get_attribute("href")
        assert original.startswith(e2e.origin_url)
    screenshot(admin, "all-posts-source-filter")
    assert accessibility_problems(admin, "#atai-filter-feed", "table.wp-list-table") == []


def test_the_post_editor_box_names_the_source_the_feed_and_the_model(e2e, admin, imported):
    post = e2e.posts_of_feed(imported["garden"]["id"])[0]
    open_screen(admin, e2e, f"/wp-admin/post.php?post={post['id']}&action=edit")
    box = WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.ID, "atai-provenance"))[0]
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: "Feed" in box.get_attribute("textContent"))
    text = box.get_attribute("textContent")
    assert imported["garden"]["title"] in text and "fake-model" in text
    screenshot(admin, "post-editor-source")


@pytest.mark.parametrize("path", [
    "/wp-admin/admin.php?page=atai-feeds",
    "/wp-admin/admin.php?page=atai-feeds&action=add",
    "/wp-admin/admin.php?page=atai-feeds&action=import",
    "/wp-admin/admin.php?page=atai-settings",
    "/wp-admin/admin.php?page=atai-review",
    "/wp-admin/admin.php?page=atai-activity",
])
def test_every_plugin_screen_passes_the_accessibility_check(e2e, admin, path):
    open_screen(admin, e2e, path)
    assert accessibility_problems(admin, "#wpbody-content") == []


def test_a_feeds_own_screen_passes_the_accessibility_check(e2e, admin, imported):
    open_screen(admin, e2e, f"/wp-admin/admin.php?page=atai-feeds&action=edit&feed={imported['harbour']['id']}")
    assert accessibility_problems(admin, "#wpbody-content") == []
