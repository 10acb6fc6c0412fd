"""Adding feeds and keeping them healthy, through the real worker and WordPress, in Chromium where the owner looks.

Discovery from a page with several feeds and from one with none; the preview and the model's rewrite; refused
and "save paused" saves; the OPML round trip; a filter's reasons in the items list; a feed that is gone, one
that asks to wait (Retry-After), one that moved; the notices for a feed failing for a day and for a stalled cron.
"""

from __future__ import annotations

import calendar
import re
import time
from urllib.parse import quote

from lxml import html as lxml_html
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import ADD_FEED_SCREEN, OUTCOME_NOTICES, PAGE_WAIT, notices, open_screen, submit_feed_form
from harness import STATE_DIR, Stack, unique_name

DASHBOARD = "/wp-admin/index.php"
FEEDS_SCREEN = "/wp-admin/admin.php?page=atai-feeds"
IMPORT_SCREEN = "/wp-admin/admin.php?page=atai-feeds&action=import"


def feed_by_url(e2e: Stack, url: str) -> dict:
    [feed] = [feed for feed in e2e.rest("GET", "atai/v1/feeds", params={"per_page": 100}) if feed["url"] == url]
    return feed


def type_address(driver, e2e: Stack, url: str) -> None:
    open_screen(driver, e2e, ADD_FEED_SCREEN)
    field = driver.find_element(By.ID, "atai-url")
    field.clear()
    field.send_keys(url)


def health_notice(driver, feed_id: int, kind: str):
    """The feed-health notice of one feed on the current screen, or None."""
    found = [notice for notice in driver.find_elements(By.CSS_SELECTOR, ".atai-health-notice")
             if (notice.get_attribute("data-incident") or "").startswith(f"{kind}-{feed_id}-")]
    return found[0] if found else None


# --- Adding a feed -----------------------------------------------------------------------------------------


def test_find_feeds_on_a_page_with_several_offers_each_and_the_chosen_one_is_added(e2e, admin):
    site = unique_name("e2e-site")
    type_address(admin, e2e, f"{e2e.origin_url}/site/{site}/several.html")
    admin.find_element(By.ID, "atai-find-feeds").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#atai-discovery input[type=radio]"))

    choices = admin.find_elements(By.CSS_SELECTOR, "#atai-discovery input[type=radio]")
    assert [choice.get_attribute("value") for choice in choices] == [
        f"{e2e.origin_url}/gen/{site}.xml", f"{e2e.origin_url}/gen/{site}-comments.xml?items=2",
        f"{e2e.origin_url}/gen/{site}.json"]
    assert "(JSON Feed 1.1, 10)" in admin.find_element(By.ID, "atai-discovery").text
    choices[2].click()
    assert admin.find_element(By.ID, "atai-url").get_attribute("value") == f"{e2e.origin_url}/gen/{site}.json"

    admin.find_element(By.CSS_SELECTOR, "form.atai-feed-form [type=submit]").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, OUTCOME_NOTICES))
    assert any("Feed added" in text for text in notices(admin, "success")), notices(admin, "error")
    assert feed_by_url(e2e, f"{e2e.origin_url}/gen/{site}.json")["status"] == "active"


def test_find_feeds_on_a_page_naming_none_says_so_in_words(e2e, admin):
    type_address(admin, e2e, f"{e2e.origin_url}/site/{unique_name('e2e-plain')}/plain.html")
    admin.find_element(By.ID, "atai-find-feeds").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#atai-discovery .atai-error"))

    assert admin.find_element(By.CSS_SELECTOR, "#atai-discovery .atai-error").text == (
        "discover: the page names no feed, and none was found at the usual addresses of the site "
        "(/feed, /rss, /atom.xml, /feed.json, /index.xml...)")


def test_the_preview_shows_entries_as_they_would_be_posted_then_the_models_rewrite_with_its_tokens(e2e, admin):
    name = unique_name("e2e-preview")
    type_address(admin, e2e, e2e.generated_feed_url(name, items=5, image=1))
    admin.find_element(By.ID, "atai-preview").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".atai-preview-entry"))

    result = admin.find_element(By.ID, "atai-preview-result")
    assert result.find_element(By.CSS_SELECTOR, ".atai-preview-feed").text == (
        f"Larkmouth Notes: {name}: RSS 2.0, 5 entries. The first ones, as they would be posted:")
    entries = result.find_elements(By.CSS_SELECTOR, ".atai-preview-entry")
    items = e2e.feed_items(e2e.generated_feed_url(name, items=5, image=1))
    assert [entry.find_element(By.TAG_NAME, "h3").text for entry in entries] == [item.title for item in items[:3]]
    first = entries[0]
    assert first.find_element(By.TAG_NAME, "img").get_attribute("src") == f"{e2e.origin_url}/gen/img/1.png"
    assert first.find_element(By.CSS_SELECTOR, ".atai-preview-text").text.endswith("…")
    assert re.search(r"\d{4}", first.find_element(By.CSS_SELECTOR, ".atai-preview-date").text)
    source = first.find_element(By.CSS_SELECTOR, ".atai-preview-source a")
    assert (source.text, source.get_attribute("href")) == (items[0].title, items[0].link)
    assert [r for r in e2e.rest("GET", "atai/v1/feeds", params={"per_page": 100}) if name in r["url"]] == []

    # With a price for the model on the settings page, the rewrite's cost is given with its tokens.
    saved = e2e.rest("GET", "atai/v1/settings")["ai_prices"]
    e2e.rest("POST", "atai/v1/settings", {"ai_prices": "fake-model 2 8"})
    try:
        admin.find_element(By.ID, "atai-preview-rewrite").click()
        WebDriverWait(admin, PAGE_WAIT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".atai-preview-rewrite .atai-preview-entry"))
    finally:
        e2e.rest("POST", "atai/v1/settings", {"ai_prices": saved})
    rewrite = admin.find_element(By.CSS_SELECTOR, ".atai-preview-rewrite .atai-preview-entry")
    assert rewrite.find_element(By.TAG_NAME, "h3").text == "Rewritten: " + items[0].title
    usage = rewrite.find_element(By.CSS_SELECTOR, ".atai-preview-usage").text
    tokens = re.fullmatch(r"Written by fake-model: (\d+) tokens in, (\d+) out, \$(0\.\d{4})\.", usage)
    assert tokens, usage
    # Two dollars per million tokens in and eight out: micro-dollars, shown to four places.
    assert float(tokens[3]) == round((int(tokens[1]) * 2 + int(tokens[2]) * 8) / 1e6, 4)


def test_an_address_that_is_not_a_feed_is_refused_at_the_field_keeping_what_was_typed(e2e, admin):
    typed = f"{e2e.origin_url}/garbage?{unique_name('e2e')}"
    submit_feed_form(admin, e2e, typed)

    error = admin.find_element(By.ID, "atai-url-error").text
    assert error.startswith("Feed URL: no feed can be read at this address (parse: ") and "binary data" in error, error
    assert admin.find_element(By.ID, "atai-url").get_attribute("value") == typed
    assert admin.find_elements(By.ID, "atai-save-paused") == []


def test_a_site_that_is_down_is_refused_with_an_offer_to_save_it_paused(e2e, admin):
    name = unique_name("e2e-down")
    url = e2e.switch(name, status=503)
    submit_feed_form(admin, e2e, url)

    assert admin.find_element(By.ID, "atai-url-error").text.startswith(
        f"Feed URL: the address cannot be read now (fetch: got 503 from {url})")
    admin.find_element(By.ID, "atai-save-paused").click()
    admin.find_element(By.CSS_SELECTOR, "form.atai-feed-form [type=submit]").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, OUTCOME_NOTICES))

    assert [text.split("\n")[0] for text in notices(admin, "success")] == [
        "Feed saved, paused: resume it once its site answers."]
    feed = feed_by_url(e2e, url)
    assert (feed["status"], feed["health"]["label"]) == ("paused", "Paused")


# --- OPML --------------------------------------------------------------------------------------------------


def test_an_opml_export_imported_again_brings_the_feeds_back_with_their_settings(e2e, admin):
    settings = {"status": "paused", "post_status": "pending", "max_posts": 4, "interval": "6hours",
                "full_text": "always", "exclude_keywords": ["sponsored", "sea wall"], "max_age_days": 9}
    urls = [e2e.generated_feed_url(unique_name("e2e-opml")) for _ in range(2)]
    before = [e2e.create_feed(url, **settings) for url in urls]
    export_link = lxml_html.fromstring(e2e.admin_page(FEEDS_SCREEN)).get_element_by_id("atai-export-opml").get("href")
    opml = e2e.admin_page(export_link.replace(e2e.site.url, ""))
    assert opml.startswith('<?xml version="1.0" encoding="UTF-8"?>') and 'atai:interval="6hours"' in opml
    for feed in before:
        e2e.rest("DELETE", f"atai/v1/feeds/{feed['id']}")
    upload = STATE_DIR / "feeds-export.opml"
    upload.write_text(opml, encoding="utf-8")

    open_screen(admin, e2e, IMPORT_SCREEN)
    admin.find_element(By.ID, "atai-opml-file").send_keys(str(upload))
    admin.find_element(By.CSS_SELECTOR, "form.atai-opml-upload [type=submit]").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.atai-opml-review"))
    rows = admin.find_elements(By.CSS_SELECTOR, "table.atai-opml-review tbody tr")
    new = [row for row in rows if "atai-opml-new" in row.get_attribute("class")]
    assert sorted(row.find_element(By.CSS_SELECTOR, ".atai-url").text for row in new) == sorted(urls)
    assert all(row.find_element(By.TAG_NAME, "input").get_attribute("disabled")
               for row in rows if "atai-opml-duplicate" in row.get_attribute("class"))
    assert "Pending review, Every 6 hours, Paused" in new[0].text
    admin.find_element(By.CSS_SELECTOR, "form [type=submit][value='Import the ticked feeds']").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, OUTCOME_NOTICES))

    assert [text.split("\n")[0] for text in notices(admin, "success")] == [
        "2 feeds added. Their first runs start within a minute."]
    for old, url in zip(before, urls):
        again = feed_by_url(e2e, url)
        assert {key: again[key] for key in settings} == settings
        assert {key: again[key] for key in ("author", "category", "embeds")} == {
            key: old[key] for key in ("author", "category", "embeds")}


# --- Filters -----------------------------------------------------------------------------------------------


def test_a_filter_set_on_the_feeds_screen_leaves_out_entries_with_the_reason_in_its_items_list(e2e, admin):
    name = unique_name("e2e-filter")
    url = e2e.generated_feed_url(name, items=4)
    feed = e2e.create_feed(url, status="paused")
    open_screen(admin, e2e, f"{FEEDS_SCREEN}&action=edit&feed={feed['id']}")
    admin.find_element(By.ID, "atai-exclude_keywords").send_keys(f"{name} #2\n{name} #4")
    admin.find_element(By.ID, "atai-whole_words").click()  # on by default: "#2" is not a whole word
    admin.find_element(By.CSS_SELECTOR, "form.atai-feed-form [type=submit]").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, OUTCOME_NOTICES))
    assert [text.split("\n")[0] for text in notices(admin, "success")] == ["Feed saved."], notices(admin, "error")

    e2e.run_now(feed["id"])
    e2e.wait_for_run(feed["id"])

    assert len(e2e.posts_of_feed(feed["id"])) == 2
    open_screen(admin, e2e, f"{FEEDS_SCREEN}&action=edit&feed={feed['id']}")
    skipped = [row for row in admin.find_elements(By.CSS_SELECTOR, "table.atai-items tbody tr")
               if row.find_elements(By.XPATH, "./td[3][starts-with(normalize-space(), 'Skipped')]")]
    reasons = sorted(row.find_element(By.CSS_SELECTOR, "td.atai-error").text for row in skipped)
    assert reasons == [f"filters: the title or text contains \u201c{name} #{n}\u201d, which this feed excludes"
                       for n in (2, 4)]
    history = admin.find_element(By.CSS_SELECTOR, "table.atai-runs tbody tr")
    assert [history.find_element(By.CSS_SELECTOR, f"td.column-{column}").text
            for column in ("fetch", "new", "skipped", "posted")] == ["Fetched", "4", "2", "2"]
    # The entries left out are never fetched (the kept ones' pages may be, for their sharing image).
    left_out = {f"/gen/articles/{name}-{n}.html" for n in (2, 4)}
    assert not [r for r in e2e.origin_log() if r["path"].split("?")[0] in left_out]


# --- Health ------------------------------------------------------------------------------------------------


def test_a_feed_that_is_gone_is_paused_with_a_note_and_a_notice_until_dismissed(e2e, admin):
    name = unique_name("e2e-gone")
    url = e2e.switch(name, status=410)
    feed_id = e2e.create_feed(url)["id"]

    feed = e2e.wait_for_run(feed_id)

    assert (feed["status"], feed["health"]["state"], feed["health"]["label"]) == ("paused", "gone", "Gone")
    assert "answers 410 (gone for good)" in feed["note"]
    open_screen(admin, e2e, DASHBOARD)
    notice = health_notice(admin, feed_id, "gone")
    assert notice is not None and "is gone: its address answers 410, so it was paused" in notice.text
    notice.find_element(By.LINK_TEXT, "Dismiss").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.ID, "wpbody-content"))
    assert health_notice(admin, feed_id, "gone") is None
    open_screen(admin, e2e, f"{FEEDS_SCREEN}&action=edit&feed={feed_id}")
    assert admin.find_element(By.ID, "atai-note").text.startswith("Paused on ")
    assert admin.find_element(By.ID, "atai-health").text.startswith("Status: Gone — The feed's address answers 410")


def test_a_feed_that_asks_to_wait_is_not_asked_again_before_its_retry_after(e2e):
    name = unique_name("e2e-wait")
    url = e2e.switch(name, status=429, retry_after=7200)
    feed_id = e2e.create_feed(url)["id"]

    feed = e2e.wait_for_run(feed_id)
    for _ in range(3):
        e2e.tick()

    next_try = calendar.timegm(time.strptime(feed["health"]["next_try"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 7100 < next_try - time.time() <= 7200
    assert "(it asks to wait 7200 s). Next try in 2 hours" in feed["health"]["summary"]
    assert len([r for r in e2e.origin_log() if r["path"] == f"/switch/{name}.xml"]) == 1


def test_a_feed_that_moved_for_good_gets_its_new_address_with_a_note(e2e):
    target = e2e.generated_feed_url(unique_name("e2e-moved"), items=2)
    start = f"{e2e.origin_url}/redirect?status=301&to={quote(target, safe='')}"
    feed_id = e2e.create_feed(start)["id"]

    feed = e2e.wait_for_run(feed_id)

    # Both entries were read from the new address: posted, or skipped as the same story as a post of an
    # earlier test (the generated articles draw on one pool of sentences).
    items = e2e.items(feed_id)
    assert feed["url"] == target
    assert feed["posts_made"] + len([item for item in items if item["state"] == "skipped"]) == 2, items
    assert f"moved for good from {start} to {target}; its address was changed" in feed["note"]


def test_a_feed_failing_for_more_than_a_day_has_a_notice_on_every_screen_until_dismissed(e2e, admin):
    url = e2e.switch(unique_name("e2e-failing"), status=500)
    feed_id = e2e.create_feed(url)["id"]
    e2e.wait_for_run(feed_id)
    e2e.sql(f"UPDATE wp_atai_feeds SET failing_since = UTC_TIMESTAMP() - INTERVAL 2 DAY WHERE id = {feed_id}")

    for screen in (DASHBOARD, "/wp-admin/edit.php", FEEDS_SCREEN):
        open_screen(admin, e2e, screen)
        notice = health_notice(admin, feed_id, "failing")
        assert notice is not None, screen
        assert f"has been failing for 2 days: fetch: got 500 from {url}" in notice.text
    notice.find_element(By.LINK_TEXT, "Open the feed").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.ID, "atai-health"))
    assert admin.find_element(By.ID, "atai-health").text.startswith("Status: Failing — Failing since ")

    health_notice(admin, feed_id, "failing").find_element(By.LINK_TEXT, "Dismiss").click()
    WebDriverWait(admin, PAGE_WAIT).until(lambda d: d.find_elements(By.ID, "atai-health"))
    open_screen(admin, e2e, DASHBOARD)
    assert health_notice(admin, feed_id, "failing") is None


def test_a_feed_not_run_for_twice_its_interval_has_a_notice_saying_wp_cron_does_not_run(e2e, admin):
    feed_id = e2e.create_feed(e2e.generated_feed_url(unique_name("e2e-stalled")), interval="15min")["id"]
    e2e.sql(f"UPDATE wp_atai_feeds SET next_run_at = UTC_TIMESTAMP() - INTERVAL 3 HOUR WHERE id = {feed_id}; "
            "INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('atai_last_tick', "
            "UNIX_TIMESTAMP() - 3 * 3600, 'no') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)")

    open_screen(admin, e2e, DASHBOARD)

    notice = health_notice(admin, feed_id, "stalled")
    assert notice is not None
    assert "has never run, though it is checked every 15 minutes. WP-Cron last ran the plugin's check 3 hours ago." \
        in notice.text
    assert "have the system's cron call wp-cron.php every minute" in notice.text
    e2e.wait_for_run(feed_id)
    open_screen(admin, e2e, DASHBOARD)
    assert health_notice(admin, feed_id, "stalled") is None
