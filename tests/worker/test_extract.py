"""The extract stage: when an entry needs its article, and what comes out of article pages we wrote."""

from __future__ import annotations

import random
import re

import lxml.html
import pytest
import trafilatura

from atai_worker.article_choice import Candidate, Text, choose
from atai_worker.article_page import IMAGE_MARK, declared_article_body, keep_main_article_only, load_page
from atai_worker.article_tidy import article_html, parse_article, tidy_article
from atai_worker.errors import ExtractError
from atai_worker.extract import extract_article
from atai_worker.teasers import needs_full_text
from atai_worker.fetch import Fetcher
from atai_worker.models import Entry
from atai_worker.parse import parse_feed
from atai_worker.sanitize import plain_text, sanitize_html
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


TIDE_URL = "https://harbour.larkmouth.example/notices/tide-tables"
OYSTER_URL = "https://notes.larkmouth.example/2026/04/oysters"
LIFEBOAT_URL = "https://courier.larkmouth.example/news/lifeboat-medal"
PROSE = ("The harbour office measures the water at the north pier every six minutes and has done so "
         "since the gauge house was built, which makes its record one of the longest on the coast. ")
MORE_PROSE = ("Volunteers from the sailing club help with the spring survey of the oyster beds, handling the "
              "dredge while the trust's biologist counts and weighs what comes up from the channel. ")
OTHER_PROSE = ("The bakery on Fore Street opens at six, and by seven the queue for saffron buns reaches the "
               "chapel steps on any Saturday between Easter and the end of the regatta week. ")
CAPTION = ("Boats at their moorings in the inner harbour on a calm morning in March, seen from the coastguard "
           "lookout above the old lime kilns on the western headland. ")


def test_structure_survives_extraction_with_absolute_addresses():
    html = extract_article((PAGES / "article-structure.html").read_bytes(), TIDE_URL)
    text = plain_text(html)

    assert text.startswith("Every January the harbour office publishes the tide tables")
    assert text.endswith("replaced at no charge.")
    assert "<h2>From the gauge to the harmonics</h2>" in html
    assert "<h3>What the table gives for a typical week</h3>" in html
    assert re.search(r"<ol>(\s*<li>[^<]+</li>){3}\s*</ol>", html)  # still numbered
    assert "<th>High water</th>" in html and "<td>Wednesday</td><td>08:25</td><td>4.2 m</td>" in html
    assert "<blockquote><p>A table is only as good as the gauge behind it" in html
    assert '<a href="https://harbour.larkmouth.example/history/gauge">history page</a>' in html
    assert '<a href="https://archive.larkmouth.example/gauge-house">' in html
    assert '<img src="https://images.larkmouth.example/photo/88213?w=1200"' in html  # no file extension
    for boilerplate in ("How the tide tables are made", "Moorings", "Open weekdays", "Privacy", "crest"):
        assert boilerplate not in html


def test_an_svg_image_is_kept_as_a_reference_in_its_figure():
    html = extract_article((PAGES / "article-structure.html").read_bytes(), TIDE_URL)
    figure = re.search(r"<figure>.*?</figure>", html, re.DOTALL).group(0)

    assert 'src="https://harbour.larkmouth.example/diagrams/tidal-constituents.svg"' in figure
    assert "<figcaption>The four largest constituents at Larkmouth, drawn to the same scale.</figcaption>" in figure
    assert IMAGE_MARK not in html
    # The post gets the reference too: the sanitizer keeps an https image whatever its format.
    assert 'src="https://harbour.larkmouth.example/diagrams/tidal-constituents.svg"' in sanitize_html(html, base_url=TIDE_URL)


def test_inline_svg_markup_never_reaches_the_article():
    html = extract_article((PAGES / "article-structure.html").read_bytes(), TIDE_URL)

    # An inline SVG can carry scripts and outside references: its markup is dropped with it.
    assert "<svg" not in html and "alert(1)" not in html and "<path" not in html


def test_a_page_that_states_its_article_body_gives_it_in_paragraphs():
    raw = (PAGES / "article-declared-body.html").read_bytes()
    html = extract_article(raw, LIFEBOAT_URL)

    assert html.count("<p>") == 4
    assert plain_text(html).startswith("The crew of the Larkmouth lifeboat have been given")
    assert "Everyone who launched that night" in plain_text(html)
    assert "Loading the story" not in html and "Subscribe" not in html


def test_a_declared_body_cut_short_is_a_teaser_and_not_taken():
    raw = (PAGES / "article-declared-body.html").read_text(encoding="utf-8")
    cut = re.sub(r'"articleBody": "([^"]{300})[^"]*"', r'"articleBody": "\1…"', raw)

    assert cut != raw
    assert declared_article_body(load_page(cut)) == ""
    assert extract_article(cut, LIFEBOAT_URL) is None


def test_a_notice_in_place_of_the_article_sends_extraction_to_the_fallbacks():
    raw = (PAGES / "article-reprint-notice.html").read_bytes()
    first_pass = trafilatura.extract(raw, favor_precision=True, fast=True)
    assert first_pass.startswith("This article first appeared") and "Oysters" not in first_pass

    text = plain_text(extract_article(raw, OYSTER_URL))

    assert text.startswith("Oysters have been farmed in the upper estuary")
    assert text.endswith("figures for the previous hundred years.")
    assert "reprinted here" not in text


def test_other_articles_on_the_page_are_not_part_of_it():
    tree = lxml.html.document_fromstring(
        f"<html><body><main><article class='post'><h1>The sea wall</h1><p>{PROSE * 3}</p><p>Wall text.</p>"
        "<article class='comment'><p>A reader's comment.</p></article></article>"
        "<aside><article class='teaser'><h2>The ferry</h2><p>Ferry teaser.</p></article></aside>"
        "<article class='teaser'><h2>The gulls</h2><p>Gull teaser.</p>"
        "<article class='teaser'><p>Nested teaser.</p></article></article></main></body></html>")
    keep_main_article_only(tree)
    text = tree.text_content()

    assert "Wall text." in text and "A reader's comment." in text
    assert "Ferry teaser." not in text and "Gull teaser." not in text and "Nested teaser." not in text


@pytest.mark.parametrize("page", [
    f"<article><h1>One</h1><p>{PROSE * 3}</p></article><article><h1>Two</h1><p>Second.</p></article>",
    f"<article class='header'><h1>One</h1></article><article class='body'><p>{PROSE * 3}</p><p>Second.</p></article>",
])
def test_without_one_clear_main_article_every_article_stays(page):
    tree = lxml.html.document_fromstring(f"<html><body>{page}</body></html>")
    keep_main_article_only(tree)

    assert "Second." in tree.text_content()


def test_the_headline_block_goes_and_the_article_stays():
    body = parse_article(
        '<html><body><img src="https://larkmouth.example/print-logo.png" alt="logo">'
        "https://larkmouth.example/news/sea-wall.php"
        "<h1>Rebuilding the sea wall</h1>Updated 4 March 2026"
        "<h2>The council chose granite over concrete</h2>"
        '<ul><li><img src="https://larkmouth.example/wall.jpg" alt="The wall">The wall in March. '
        '<a href="">more</a> Photo: R. Penhallow</li></ul>'
        f"<p>{PROSE}</p><p>See www.larkmouth.example/tides or "
        '<a href="https://larkmouth.example/tides">https://larkmouth.example/tides</a>.'
        ' <a href="javascript:share()">Share</a> <a href="#top">Top</a></p>'
        '<p><a name="gauge">The gauge</a> is read <a href="#table">as the table below shows</a>.</p></body></html>')
    html = article_html(tidy_article(body, "Rebuilding the sea wall"))

    assert html.startswith('<ul><li><img src="https://larkmouth.example/wall.jpg" alt="The wall"></li></ul>')
    assert plain_text(html).startswith("The harbour office measures the water")
    assert "www.larkmouth.example/tides" in html  # an address in a sentence is prose
    assert '<a href="https://larkmouth.example/tides">' in html
    assert "<p>The gauge is read as the table below shows.</p>" in html  # prose under dead links stays
    for gone in ("print-logo", "sea-wall.php", "Rebuilding", "Updated", "granite", "Photo", "more", "Share", "Top"):
        assert gone not in html


def _candidate(name: str, html: str) -> Candidate:
    return Candidate.of(name, parse_article(f"<html><body>{html}</body></html>"))


def test_more_of_the_article_is_taken_when_a_second_extractor_vouches_for_it():
    precise = _candidate("precise", f"<p>{PROSE}</p>")
    longer = _candidate("readability", f"<p>{PROSE}</p><h2>The spring survey</h2><p>{MORE_PROSE}</p>"
                        "<h2>Newsletter</h2><p>Subscribe to our newsletter today.</p>"
                        '<p><a href="/a">One of our other stories about the harbour and the fishing fleet</a>'
                        ' <a href="/b">and another about the lifeboat station and its crew</a></p>'
                        f"<figure><figcaption>{CAPTION}</figcaption></figure>")
    witness = Text.of("The spring survey " + MORE_PROSE + " Newsletter Subscribe to our newsletter today. "
                      "One of our other stories about the "
                      "harbour and the fishing fleet and another about the lifeboat station and its crew " + CAPTION)

    chosen = choose(precise, [longer], [witness], trusted=True)
    text = plain_text(article_html(chosen.body))

    assert chosen.name == "readability"
    assert PROSE.strip() in text and MORE_PROSE.strip() in text
    assert "<h2>The spring survey</h2>" in article_html(chosen.body)  # a heading goes with its passage
    for pruned in ("Newsletter", "Subscribe", "other stories", "moorings"):  # a short line, links, a caption
        assert pruned not in text


def test_an_addition_nobody_vouches_for_leaves_the_precise_article():
    precise = _candidate("precise", f"<p>{PROSE}</p>")
    longer = _candidate("readability", f"<p>{PROSE}</p><p>{MORE_PROSE}</p>")

    assert choose(precise, [longer], [Text.of(OTHER_PROSE)], trusted=True) is precise


def test_another_part_of_the_page_does_not_replace_a_trusted_article():
    precise = _candidate("precise", f"<p>{PROSE}</p>")
    elsewhere = _candidate("balanced", f"<p>{OTHER_PROSE}</p><p>{MORE_PROSE}</p><p>{CAPTION}</p>")
    witness = Text.of(OTHER_PROSE + MORE_PROSE + CAPTION)

    assert choose(precise, [elsewhere], [witness], trusted=True) is precise


def test_an_untrusted_first_pass_gives_way_to_a_vouched_article():
    notice = _candidate("precise", "<p>This story was first published by the trust and is reprinted here.</p>")
    article = _candidate("readability", f"<p>{PROSE}</p><p>{MORE_PROSE}</p>")
    witness = Text.of(PROSE + MORE_PROSE)

    assert choose(notice, [article], [witness], trusted=False).name == "readability"


def test_text_hidden_from_readers_is_dropped_from_the_article():
    article = extract_article((PAGES / "hidden-text.html").read_bytes(), "https://larkmouth.example/ferry")

    assert "HIDDEN-" not in article
    assert "Morning crossings will leave at seven" in plain_text(article)
    assert "checked against last year's observations" in plain_text(article)


def test_a_page_that_declares_entities_is_refused_in_words():
    page = ('<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            f"<html><body><article>{LONG_TEXT}&b;</article></body></html>").encode("utf-16")
    with pytest.raises(ExtractError) as caught:
        extract_article(page, "https://larkmouth.example/post/1")

    assert caught.value.message == ("extract: the page at https://larkmouth.example/post/1 declares XML entities, "
                                    "which are not accepted")


def test_characters_xml_forbids_never_leave_the_extract():
    page = "<html><body><article>" + LONG_TEXT.replace("fog", "fog\x1b\x0c") + "</article></body></html>"
    article = extract_article(page.encode(), "https://larkmouth.example/post/1")

    assert "fog to lift" in article and "\x1b" not in article and "\x0c" not in article
