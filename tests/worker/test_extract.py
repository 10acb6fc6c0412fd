"""The extract stage: when an entry needs its article, and what comes out of article pages we wrote."""

from __future__ import annotations

import random
import re

import pytest

from atai_worker.extract import extract_article, needs_full_text
from atai_worker.fetch import Fetcher
from atai_worker.models import Entry
from atai_worker.parse import parse_feed
from atai_worker.sanitize import plain_text
from tests.fakes.feed_server import FIXTURES_DIR

PAGES = FIXTURES_DIR / "pages"
LONG_TEXT = "<p>" + "The ferry waits for the fog to lift before it leaves the quay. " * 10 + "</p>"


def _entry(**fields) -> Entry:
    values = dict(feed_id=1, feed_url="https://larkmouth.example/feed", key="k", guid="g",
                  link="https://larkmouth.example/post/1", title="A post")
    values.update(fields)
    return Entry(**values)


def test_an_entry_with_only_a_teaser_needs_its_article():
    assert needs_full_text(_entry(summary="<p>The ferry is late again. Read more…</p>")) is True


def test_an_entry_with_a_body_does_not():
    assert len(plain_text(LONG_TEXT)) > 500
    assert needs_full_text(_entry(content_html=LONG_TEXT)) is False


def test_summary_and_content_together_count():
    half = "<p>" + "Gulls follow the boats into the harbour every evening. " * 5 + "</p>"
    assert needs_full_text(_entry(summary=half, content_html=half.replace("Gulls", "Terns"))) is False


def test_the_same_text_as_summary_and_content_counts_once():
    half = "<p>" + "Gulls follow the boats into the harbour every evening. " * 5 + "</p>"
    assert needs_full_text(_entry(summary=half, content_html=half)) is True


def test_markup_does_not_count_as_text():
    padded = '<p><a href="https://larkmouth.example/a-very-long-address-that-is-not-text">Short.</a></p>' * 8
    assert len(padded) > 500
    assert needs_full_text(_entry(summary=padded)) is True


@pytest.mark.parametrize("link", [None, "", "mailto:editor@larkmouth.example", "/relative/post"])
def test_without_a_web_link_there_is_nothing_to_fetch(link):
    assert needs_full_text(_entry(link=link, summary="<p>Short.</p>")) is False


def test_a_blog_post_is_extracted_without_its_surroundings():
    html = extract_article((PAGES / "article-blog.html").read_bytes(), "https://notes.larkmouth.example/2026/10/sea-wall")
    text = plain_text(html)

    assert text.startswith("When the October storm tore a twelve-metre gap in the promenade")
    assert "put the wall back the way it was built" in text.replace("putting", "put")
    assert text.endswith("council's project page.")
    assert "<h2>Why granite, and why these blocks</h2>" in html
    assert "<li>Each block weighs between four hundred kilograms and a tonne.</li>" in html
    assert "<blockquote>" in html
    assert '<a href="https://council.larkmouth.example/sea-wall">' in html
    assert 'src="https://notes.larkmouth.example/images/sea-wall-blocks.jpg"' in html
    for boilerplate in ("Rebuilding the sea wall, stone by stone",  # the headline is the post's title
                        "Manage cookies", "About us", "Harbourside Hannah", "Leave a reply",
                        "Penrose Boatyard", "Recent posts", "Privacy policy", "Get the week's stories"):
        assert boilerplate not in text


def test_a_legacy_encoded_news_page_is_extracted_from_bytes():
    html = extract_article((PAGES / "article-news.html").read_bytes(), "https://courier.larkmouth.example/mackerel")
    text = plain_text(html)

    assert text.startswith("Mackerel shoals reached the waters off Larkmouth")
    assert "Dr Seán Kavanagh" in text
    assert "a reward of £20 is paid for each one" in text
    assert "<h2>Fewer boats, longer trips</h2>" in html
    assert "<table>" in html and "21 June" in text
    for boilerplate in ("Gale warning", "Related stories", "Most read", "Kernow Kitchens",
                        "Subscribe to the Courier", "Advertise with us", "Email a friend"):
        assert boilerplate not in text


def test_a_page_as_text_gives_the_same_article():
    raw = (PAGES / "article-blog.html").read_bytes()
    url = "https://notes.larkmouth.example/2026/10/sea-wall"

    assert extract_article(raw.decode("utf-8"), url) == extract_article(raw, url)


@pytest.mark.parametrize("html", [
    (PAGES / "not-an-article.html").read_bytes(),
    (FIXTURES_DIR / "pages" / "not-a-feed.html").read_bytes(),
    b"",
    "   ",
    random.Random(11).randbytes(3000),
])
def test_pages_without_an_article_give_none(html):
    assert extract_article(html, "https://larkmouth.example/login") is None


def test_a_summary_only_feed_gets_its_articles_from_the_pages(feed_server):
    feed_url = feed_server.url("/gen/teasers.xml?items=3&summary_only=1&size=4000&image=1")
    full_url = feed_server.url("/gen/teasers.xml?items=3&size=4000&image=1")
    with Fetcher(allowed_hosts=["127.0.0.1"]) as fetcher:
        teasers = parse_feed(fetcher.fetch_feed(feed_url).body, feed_id=1, feed_url=feed_url).entries
        full = parse_feed(fetcher.fetch_feed(full_url).body, feed_id=1, feed_url=full_url).entries
        entry = teasers[1]
        assert needs_full_text(entry) is True
        page = fetcher.fetch_page(entry.link)
    html = extract_article(page.body, page.url)
    text = plain_text(html)

    paragraphs = [plain_text(p) for p in re.findall(r"<p>.*?</p>", full[1].content_html)]
    assert len(paragraphs) > 5
    assert all(paragraph in text for paragraph in paragraphs)
    assert f'src="{feed_server.url("/gen/img/2.png")}"' in html
    assert "Advertisement" not in text and "Reader " not in text and "Most read" not in text
