"""When the worker is down, dies mid-run or the model fails: the owner is told in words, nothing is lost or doubled."""

from __future__ import annotations

import signal
from collections import Counter

from lxml import html as lxml_html

from harness import Stack, StoryItem, unique_name, wait_until
from tests.fakes.model_server import TITLE_PREFIX

FEEDS_SCREEN = "/wp-admin/admin.php?page=atai-feeds"


def feeds_screen_cell(e2e: Stack, feed_url: str, column: str) -> str:
    """The text of one column of a feed's row on the Feeds admin screen."""
    document = lxml_html.fromstring(e2e.admin_page(FEEDS_SCREEN))
    rows = [row for row in document.xpath("//table[contains(@class, 'wp-list-table')]//tbody/tr")
            if feed_url in [span.text_content().strip() for span in row.xpath(".//span[@class='atai-url']")]]
    assert len(rows) == 1, f"the Feeds screen lists {len(rows)} rows for {feed_url}"
    cells = rows[0].xpath(f".//td[contains(concat(' ', @class, ' '), ' column-{column} ')]")
    assert len(cells) == 1, f"the row of {feed_url} has no {column} column"
    return cells[0].text_content().strip()


def test_a_due_feed_with_the_worker_stopped_shows_why_and_loses_nothing(e2e):
    url = e2e.generated_feed_url(unique_name("e2e-outage"), items=5)
    e2e.stop_worker()
    try:
        feed_id = e2e.create_feed(url)["id"]

        def error_shown():
            feed = e2e.feed(feed_id)
            return feed if feed["last_error"] else None

        feed = wait_until(error_shown, "the feed to show the worker's outage", between=e2e.tick)
        message = feed["last_error"]["message"]
        assert feed["last_error"]["code"] == "atai_worker_unreachable"
        assert message.startswith("Could not reach the worker") and e2e.worker.url in message, message
        assert e2e.secret not in message
        assert feed["current_run"] is None and feed["posts_made"] == 0
        assert e2e.items(feed_id) == []
        assert feeds_screen_cell(e2e, url, "last_error") == message
    finally:
        e2e.start_worker()

    feed = e2e.wait_for_run(feed_id)
    assert feed["last_status"] == "done" and feed["last_error"] is None
    assert feed["posts_made"] == 5
    posts = e2e.posts_of_feed(feed_id)
    assert sorted(post["meta"]["_atai_source_guid"] for post in posts) == sorted(item.guid for item in e2e.feed_items(url))
    assert feeds_screen_cell(e2e, url, "last_error") == "—"


def test_killing_the_worker_in_the_middle_of_a_run_ends_with_every_item_posted_once(e2e):
    url = e2e.generated_feed_url(unique_name("e2e-kill"), items=6)
    e2e.start_slow_model(delay=1.5)
    try:
        # One model call at a time, 1.5 s each: the run is still going when a few drafts are ready.
        e2e.start_worker(e2e.slow_model_url, ATAI_AI_MAX_IN_FLIGHT="1")
        feed_id = e2e.create_feed(url)["id"]
        run_id = e2e.run_now(feed_id)

        def some_drafts_ready():
            run = e2e.worker_run(run_id)
            return run if len(run["drafts"]) >= 2 else None

        at_kill = wait_until(some_drafts_ready, "two drafts of the slow run", timeout=60)
        e2e.stop_worker(signal.SIGKILL)
        assert at_kill["state"] != "done" and len(at_kill["drafts"]) < 6, "the run ended before the kill"
    finally:
        e2e.start_worker()
        e2e.stop_slow_model()

    feed = e2e.wait_for_run(feed_id)
    guids = Counter(post["meta"]["_atai_source_guid"] for post in e2e.posts_of_feed(feed_id))
    assert guids == Counter(item.guid for item in e2e.feed_items(url))
    assert feed["posts_made"] == 6 and feed["last_error"] is None
    items = e2e.items(feed_id)
    assert sorted(item["state"] for item in items) == ["posted"] * 6
    assert len({item["post_id"] for item in items}) == 6


def test_a_model_failure_leaves_that_item_unposted_with_its_error_and_posts_the_others(e2e):
    name = unique_name("e2e-modelfail")
    stories = [
        StoryItem(f"Harbour lights switched on early in {name}", f"The lights of {name} came on at dusk."),
        StoryItem(f"[model-500] Ferry timetable changes in {name}", f"The ferry of {name} now sails at noon."),
        StoryItem(f"Market moves indoors in {name}", f"The market of {name} moved into the old fish hall."),
    ]
    feed_id = e2e.create_feed(e2e.write_feed(name, stories))["id"]
    e2e.run_now(feed_id)
    feed = e2e.wait_for_run(feed_id)

    items = {item["title"]: item for item in e2e.items(feed_id)}
    assert sorted(items) == sorted(story.title for story in stories)
    failed = items[stories[1].title]
    assert failed["state"] == "failed" and failed["post_id"] is None
    assert failed["error"]["message"].startswith("rewrite:") and "500" in failed["error"]["message"], failed["error"]
    assert failed["error"]["code"]
    for story in (stories[0], stories[2]):
        assert items[story.title]["state"] == "posted" and items[story.title]["error"] is None

    posts = e2e.posts_of_feed(feed_id)
    assert sorted(post["title"]["raw"] for post in posts) == sorted(TITLE_PREFIX + s.title for s in (stories[0], stories[2]))
    assert feed["posts_made"] == 2
    assert feed["last_error"] is not None and "items list" in feed["last_error"]["message"]
    leaked = [post["id"] for post in e2e.all_posts()
              if stories[1].signature in post["content"]["raw"] or "Ferry timetable" in post["title"]["raw"]]
    assert leaked == [], "the original of the item the model failed on was posted"
