"""The plugin's admin screens in a real browser (Chromium through Selenium), as the site owner uses them."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import (ADD_FEED_SCREEN, FEEDS_SCREEN, PAGE_WAIT, SETTINGS_SCREEN, cell, feed_row, notices, open_screen,
                     run_now_from_the_list, submit_feed_form, wait_for_row)
from harness import unique_name


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
