"""Discovery against the fake origin: a feed's own address, pages naming several feeds or none, usual paths."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from atai_worker.api import contract_validator
from atai_worker.discover import common_paths, discover, feed_links
from atai_worker.fetch import Fetcher


@pytest.fixture
def fetcher():
    with Fetcher(allowed_hosts=["127.0.0.1"], timeout=5.0) as client:
        yield client


def discovered(url: str, fetcher: Fetcher) -> dict:
    result = discover(url, fetcher)
    contract_validator("Discovery").validate(result)
    return result


def test_the_address_of_a_feed_is_its_own_only_feed(fetcher, feed_server):
    url = feed_server.url("/files/feeds/atom03.xml")

    assert discovered(url, fetcher) == {"url": url, "page_title": None, "error": None, "feeds": [
        {"url": url, "title": "Larkmouth Museum Diary", "format": "atom03", "entries_total": 2, "found_by": "address"}]}


def test_a_feed_that_moved_for_good_is_offered_at_its_new_address(fetcher, feed_server):
    target = feed_server.url("/files/feeds/atom03.xml")
    result = discovered(feed_server.url(f"/redirect?status=301&to={quote(target, safe='')}"), fetcher)

    assert [feed["url"] for feed in result["feeds"]] == [target]


def test_a_page_naming_several_feeds_offers_each_that_can_be_read_in_the_pages_order(fetcher, feed_server):
    result = discovered(feed_server.url("/site/harbour/several.html"), fetcher)

    assert result["error"] is None and result["page_title"] == "Larkmouth Notes: harbour"
    assert [(f["url"], f["format"], f["entries_total"], f["found_by"]) for f in result["feeds"]] == [
        (feed_server.url("/gen/harbour.xml"), "rss20", 10, "link"),
        (feed_server.url("/gen/harbour-comments.xml?items=2"), "rss20", 2, "link"),
        (feed_server.url("/gen/harbour.json"), "json11", 10, "link"),
    ]
    assert result["feeds"][0]["title"] == "Larkmouth Notes: harbour"
    # The Atom link that answers 404 was tried and left out; the translation link is not a feed type.
    paths = [r["path"] for r in feed_server.requests]
    assert "/status/404" in paths and not any(p.startswith("/site/harbour/cy") for p in paths)


def test_a_page_naming_no_feed_is_answered_in_words_after_the_usual_paths_were_tried(fetcher, feed_server):
    url = feed_server.url("/site/quiet/plain.html")
    result = discovered(url, fetcher)

    assert result["feeds"] == [] and result["page_title"] == "Larkmouth Notes: quiet"
    assert result["error"] == {"code": "no_feed_found", "status": None, "retry_after": None, "message": (
        "discover: the page names no feed, and none was found at the usual addresses of the site "
        "(/feed, /rss, /atom.xml, /feed.json, /index.xml...)")}
    asked = {r["path"] for r in feed_server.requests}
    assert {"/site/quiet/feed", "/feed", "/rss", "/atom.xml", "/feed.json", "/index.xml"} <= asked


def test_a_feed_at_a_usual_path_beside_the_page_is_found(fetcher, feed_server):
    result = discovered(feed_server.url("/site/orchard/blog/"), fetcher)

    assert [(f["url"], f["found_by"]) for f in result["feeds"]] == [
        (feed_server.url("/site/orchard/blog/feed"), "common_path")]


def test_an_address_that_cannot_be_read_says_why_with_its_status(fetcher, feed_server):
    result = discovered(feed_server.url("/status/503?retry_after=60"), fetcher)

    assert result["feeds"] == []
    assert {k: result["error"][k] for k in ("code", "status", "retry_after")} == {
        "code": "http_error", "status": 503, "retry_after": 60}


def test_a_document_that_is_neither_a_feed_nor_a_page_is_not_a_feed(fetcher, feed_server):
    result = discovered(feed_server.url("/garbage"), fetcher)

    assert result["error"]["code"] == "not_a_feed"
    assert result["error"]["message"].endswith("(it looks like binary data)")


def test_a_private_address_is_refused_by_the_fetchers_rules(feed_server):
    with Fetcher(allowed_hosts=[], timeout=5.0) as strict:
        result = discovered(feed_server.url("/site/harbour/several.html"), strict)

    assert result["error"]["code"] == "blocked_address"
    assert feed_server.requests == []


def test_feed_links_honour_the_pages_base_and_skip_what_is_not_a_feed():
    page = (b'<html><head><base href="https://cdn.larkmouth.example/news/"><title> Harbour\n News </title>'
            b'<link rel="alternate" type="application/rss+xml" href="rss.xml">'
            b'<link rel="Alternate feed" type="APPLICATION/ATOM+XML" href="/atom">'
            b'<link rel="alternate" type="text/html" href="/fr/">'
            b'<link rel="stylesheet" type="application/rss+xml" href="/not-this">'
            b'<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
            b'<link rel="alternate" type="application/rss+xml" href="rss.xml"></head></html>')

    assert feed_links(page, "https://larkmouth.example/") == ("Harbour News", [
        "https://cdn.larkmouth.example/news/rss.xml", "https://cdn.larkmouth.example/atom"])


def test_usual_paths_are_tried_beside_the_page_then_at_the_sites_root():
    paths = common_paths("https://larkmouth.example/blog/post.html?x=1")

    assert paths[0] == "https://larkmouth.example/blog/feed"
    assert "https://larkmouth.example/feed" in paths and "https://larkmouth.example/feed.json" in paths
    assert common_paths("https://larkmouth.example/")[0] == "https://larkmouth.example/feed"
