"""Run now followed live on a feed's screen, and the Activity screen's filters, in Chromium; REST and form
refusals for visitors and subscribers over HTTP. Each browser test keeps a screenshot."""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from axe import accessibility_problems
from browser import open_screen, screenshot
from harness import RUN_DEADLINE, Stack, unique_name

ACTIVITY = "/wp-admin/admin.php?page=atai-activity"


def feed_screen(feed_id: int) -> str:
    return f"/wp-admin/admin.php?page=atai-feeds&action=edit&feed={feed_id}"


def test_run_now_is_followed_live_to_the_end_with_a_link_to_each_post(e2e, admin):
    feed = e2e.create_feed(e2e.generated_feed_url(unique_name("live"), items=4), title="Live Harbour")
    open_screen(admin, e2e, feed_screen(feed["id"]))
    panel = admin.find_element(By.CSS_SELECTOR, ".atai-run-panel")
    status = panel.find_element(By.CSS_SELECTOR, ".atai-run-status")
    assert status.get_attribute("aria-live") == "polite" and status.get_attribute("role") == "status"

    panel.find_element(By.CSS_SELECTOR, ".atai-run-now").click()
    seen = set()

    def finished(_):
        seen.add(status.text)
        return status.text.startswith("Finished:")
    # No cron tick here: the screen's own polling collects the run as the worker hands it over.
    WebDriverWait(admin, RUN_DEADLINE, poll_frequency=0.2).until(finished)

    assert status.text == "Finished: 4 posted, 0 held for review, 0 skipped, 0 failed.", seen
    links = panel.find_elements(By.CSS_SELECTOR, ".atai-run-posts li a")
    assert len(links) == 4
    assert all("post.php?post=" in link.get_attribute("href") for link in links)
    assert "run=" in admin.current_url
    screenshot(admin, "run-now-finished")

    admin.refresh()  # the run is in the address: the screen still shows how it ended
    status = WebDriverWait(admin, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, ".atai-run-status"))
    assert status.text.startswith("Finished: 4 posted")
    assert len(admin.find_elements(By.CSS_SELECTOR, ".atai-run-posts li a")) == 4
    assert accessibility_problems(admin, "#wpbody-content") == []


def test_activity_filters_by_feed_and_outcome(e2e, admin):
    ok = e2e.create_feed(e2e.generated_feed_url(unique_name("activity-ok"), items=2), title="Activity Harbour")
    e2e.run_now(ok["id"])
    e2e.wait_for_run(ok["id"])

    open_screen(admin, e2e, ACTIVITY)
    Select(admin.find_element(By.ID, "atai-activity-feed")).select_by_value(str(ok["id"]))
    Select(admin.find_element(By.ID, "atai-activity-outcome")).select_by_value("posted")
    admin.find_element(By.ID, "atai-activity-submit").click()
    WebDriverWait(admin, 30).until(lambda d: f"feed={ok['id']}" in d.current_url)

    rows = admin.find_elements(By.CSS_SELECTOR, "table.wp-list-table tbody tr")
    assert len(rows) == 2
    for row in rows:
        assert row.find_element(By.CSS_SELECTOR, "td.column-feed").text == "Activity Harbour"
        assert row.find_element(By.CSS_SELECTOR, "td.column-outcome").text == "Posted"
        assert row.find_element(By.CSS_SELECTOR, "td.column-details").text.startswith("Became ")
    screenshot(admin, "activity-filtered")

    Select(admin.find_element(By.ID, "atai-activity-outcome")).select_by_value("failed")
    admin.find_element(By.ID, "atai-activity-submit").click()
    WebDriverWait(admin, 30).until(lambda d: "outcome=failed" in d.current_url)
    assert "Nothing happened that matches these filters." in admin.find_element(By.CSS_SELECTOR, "table.wp-list-table").text
    assert accessibility_problems(admin, "#wpbody-content") == []


@pytest.mark.parametrize("who", ["visitor", "subscriber"])
def test_the_progress_route_refuses_visitors_and_subscribers_with_403(e2e, who):
    feed = e2e.create_feed(e2e.generated_feed_url(unique_name("refused"), items=1))
    client = httpx.Client(base_url=e2e.site.url, timeout=30)
    try:
        auth = None
        if who == "subscriber":
            login = unique_name("subscriber")
            user = e2e.rest("POST", "wp/v2/users", {"username": login, "email": f"{login}@example.org",
                                                     "password": "subscriber-password-1", "roles": ["subscriber"]},
                            expect=(201,))
            password = e2e.rest("POST", f"wp/v2/users/{user['id']}/application-passwords", {"name": "e2e"},
                                expect=(201,))["password"]
            auth = (login, password)
        response = client.get(f"/wp-json/atai/v1/feeds/{feed['id']}/progress", auth=auth)
        started = client.post(f"/wp-json/atai/v1/feeds/{feed['id']}/run", auth=auth)
    finally:
        client.close()
    assert response.status_code == 403, response.text
    assert started.status_code == 403, started.text
    assert e2e.feed(feed["id"])["current_run"] is None
