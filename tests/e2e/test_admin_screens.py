"""The plugin's admin screens in a real browser (Chromium through Selenium), as the site owner uses them."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from browser import (ADD_FEED_SCREEN, FEEDS_SCREEN, PAGE_WAIT, SETTINGS_SCREEN, cell, feed_row, notices, open_screen,
                     run_now_from_the_list, submit_feed_form, wait_for_row)
from harness import Stack, StoryItem, unique_name

REVIEW_SCREEN = "/wp-admin/admin.php?page=atai-review"


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


def test_test_ai_endpoint_makes_a_real_call_and_lists_the_endpoints_models(e2e, admin):
    open_screen(admin, e2e, SETTINGS_SCREEN)
    admin.find_element(By.ID, "atai-test-ai").click()
    result = admin.find_element(By.ID, "atai-ai-result")
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: "models:" in result.text or "is-error" in result.get_attribute("class"))

    assert "is-ok" in result.get_attribute("class").split(), result.text
    assert result.text.startswith(f"test: the model fake-model at 127.0.0.1:{e2e.model_port} answered in "), result.text
    assert "with the configured key" in result.text and "offers 1 model(s)" in result.text
    options = admin.find_elements(By.CSS_SELECTOR, "datalist#atai-models option")
    assert [option.get_attribute("value") for option in options] == ["fake-model"]
    assert e2e.model_api_key not in admin.page_source


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


def test_a_feed_that_answers_404_is_failing_in_words_and_active_again_once_it_answers(e2e, admin):
    name = unique_name("e2e-flaky")
    url = e2e.switch(name, status=200)
    submit_feed_form(admin, e2e, url)
    assert notices(admin, "error") == []
    e2e.switch(name, status=404)

    run_now_from_the_list(admin, e2e, url)
    row = wait_for_row(admin, e2e, url, lambda r: cell(r, "last_error") != "—", "the list to show the feed's error")
    error = cell(row, "last_error")
    assert error.startswith("fetch:") and "404" in error and url in error, error
    assert cell(row, "last_run").endswith("(failed)"), cell(row, "last_run")
    assert cell(row, "posts_made") == "0"
    status = cell(row, "status")
    assert status.startswith("Failing\nFailing since ") and f"fetch: got 404 from {url}." in status, status
    assert "Next try " in status

    row.find_element(By.CSS_SELECTOR, "a.row-title").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.ID, "atai-health"))
    health = admin.find_element(By.ID, "atai-health").text
    assert health.startswith("Status: Failing — Failing since "), health
    assert ("What to do: The address answers 404 (not found): check it in a browser, or find the feed again from "
            "the site's address.") in health
    history = admin.find_element(By.CSS_SELECTOR, "table.atai-runs tbody tr")
    assert history.find_element(By.CSS_SELECTOR, "td.column-fetch").text.startswith("Failed (HTTP 404)")

    e2e.switch(name, status=200)
    feed_id = next(feed["id"] for feed in e2e.rest("GET", "atai/v1/feeds") if feed["url"] == url)
    e2e.wait_for_run(feed_id)  # the retries the tick made meanwhile
    e2e.run_now(feed_id)
    row = wait_for_row(admin, e2e, url, lambda r: cell(r, "status") == "Active", "the feed to be active again")
    assert cell(row, "last_error") == "—" and cell(row, "posts_made") == "3"


# --- The review queue and the budget ---------------------------------------------------------------------


def held_stories(name: str, count: int) -> list[StoryItem]:
    """Stories the fake model answers with a changed number, which the checks hold for review."""
    # The number comes first in the article, so it is the one the fake model changes (14 becomes 17).
    return [StoryItem(f"[model-number] Harbour board counts boats in {name} ({n})",
                      f"Exactly 14 boats were counted on the quay by the harbour board of {name}.")
            for n in range(1, count + 1)]


def open_review_of(driver: webdriver.Chrome, e2e: Stack, name: str) -> None:
    """From the Review screen's list, open the draft whose title names `name`."""
    open_screen(driver, e2e, REVIEW_SCREEN)
    link = next(a for a in driver.find_elements(By.CSS_SELECTOR, "table.wp-list-table a.row-title") if name in a.text)
    link.click()
    WebDriverWait(driver, PAGE_WAIT).until(expected_conditions.presence_of_element_located((By.ID, "atai-approve")))


def test_a_held_draft_waits_in_the_review_screen_with_its_findings_marked_and_is_approved(e2e, admin):
    name = unique_name("e2e-review")
    feed = e2e.create_feed(e2e.write_feed(name, held_stories(name, 1)))
    e2e.run_now(feed["id"])
    e2e.wait_for_run(feed["id"])
    [post] = e2e.posts_of_feed(feed["id"])
    assert post["status"] == "pending" and e2e.anonymous(post["link"]).status_code == 404

    open_screen(admin, e2e, REVIEW_SCREEN)
    count = admin.find_element(By.CSS_SELECTOR, '#adminmenu a[href$="page=atai-review"] .pending-count')
    assert int(count.get_attribute("textContent")) >= 1
    open_review_of(admin, e2e, name)
    draft_marks = [mark.text for mark in admin.find_elements(By.CSS_SELECTOR, ".atai-draft mark.is-hold")]
    source_marks = [mark.text for mark in admin.find_elements(By.CSS_SELECTOR, ".atai-source mark.is-hold")]
    assert any("17" in text for text in draft_marks), draft_marks
    assert any("14" in text for text in source_marks), source_marks
    findings = admin.find_element(By.CSS_SELECTOR, "ol.atai-findings").text
    assert "17" in findings and "Held:" in findings, findings

    admin.find_element(By.ID, "atai-approve").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: notices(d, "success"))
    assert any("1 draft approved" in text for text in notices(admin, "success")), notices(admin, "success")
    [post] = e2e.posts_of_feed(feed["id"])
    assert post["status"] == "publish" and e2e.anonymous(post["link"]).status_code == 200
    assert post["meta"]["_atai_approved_by"] > 0
    assert [item["state"] for item in e2e.items(feed["id"])] == ["posted"]


def test_a_discarded_draft_goes_to_the_trash_and_never_comes_back(e2e, admin):
    name = unique_name("e2e-discard")
    stories = held_stories(name, 1)
    feed = e2e.create_feed(e2e.write_feed(name, stories))
    e2e.run_now(feed["id"])
    e2e.wait_for_run(feed["id"])
    [post] = e2e.posts_of_feed(feed["id"])

    open_review_of(admin, e2e, name)
    admin.find_element(By.ID, "atai-discard").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: notices(d, "success"))
    assert any("1 draft discarded" in text for text in notices(admin, "success")), notices(admin, "success")
    assert e2e.rest("GET", f"wp/v2/posts/{post['id']}", params={"context": "edit"})["status"] == "trash"

    # The feed changes (so it is read again, not answered 304): only the new story becomes a post.
    newer = StoryItem(f"Tide tables printed in {name}", f"The tide tables of {name} are out.")
    e2e.write_feed(name, stories + [newer])
    e2e.run_now(feed["id"])
    e2e.wait_for_run(feed["id"])
    posts = e2e.posts_of_feed(feed["id"])
    assert [p["id"] for p in posts if p["id"] != post["id"]] and post["id"] not in [p["id"] for p in posts]
    assert sorted(item["state"] for item in e2e.items(feed["id"])) == ["discarded", "posted"]


def test_a_spent_budget_shows_a_notice_and_feeds_wait_until_it_is_raised(e2e, admin):
    saved = e2e.rest("GET", "atai/v1/settings")
    # The fake model at a price that makes one post cost more than the budget.
    e2e.rest("POST", "atai/v1/settings", {"ai_prices": "fake-model 1000 1000", "ai_monthly_budget": 0.01})
    try:
        first = unique_name("e2e-budget")
        feed = e2e.create_feed(e2e.write_feed(first, [StoryItem(f"Boat show in {first}", f"The boat show of {first}.")]))
        e2e.run_now(feed["id"])
        e2e.wait_for_run(feed["id"])
        [post] = e2e.posts_of_feed(feed["id"])
        assert post["meta"]["_atai_cost_micros"] > 10_000

        open_screen(admin, e2e, "/wp-admin/")
        notice = admin.find_element(By.CSS_SELECTOR, ".atai-budget-notice").text
        assert notice.startswith("AI rewriting waits.") and "nothing is posted without its rewrite" in notice, notice

        second = unique_name("e2e-budget")
        url = e2e.write_feed(second, [StoryItem(f"Regatta in {second}", f"The regatta of {second}.")])
        submit_feed_form(admin, e2e, url, post_status="publish")
        open_screen(admin, e2e, FEEDS_SCREEN)
        row = feed_row(admin, url)
        ActionChains(admin).move_to_element(row).perform()
        WebDriverWait(admin, PAGE_WAIT).until(
            expected_conditions.element_to_be_clickable(row.find_element(By.LINK_TEXT, "Run now"))).click()
        WebDriverWait(admin, PAGE_WAIT).until(lambda d: notices(d, "error"))
        assert any("this month's AI budget is spent" in text for text in notices(admin, "error")), notices(admin, "error")
        waiting = next(f for f in e2e.rest("GET", "atai/v1/feeds") if f["url"] == url)
        assert "AI rewriting waits" in cell(feed_row(admin, url), "last_error")
        assert e2e.posts_of_feed(waiting["id"]) == []

        e2e.rest("POST", "atai/v1/settings", {"ai_monthly_budget": 1000})
        e2e.run_now(waiting["id"])
        e2e.wait_for_run(waiting["id"])
        assert [p["status"] for p in e2e.posts_of_feed(waiting["id"])] == ["publish"]
        open_screen(admin, e2e, "/wp-admin/")
        assert admin.find_elements(By.CSS_SELECTOR, ".atai-budget-notice") == []
    finally:
        e2e.rest("POST", "atai/v1/settings", {"ai_prices": saved["ai_prices"],
                                               "ai_monthly_budget": saved["ai_monthly_budget"]})
