"""The parse stage on feeds we wrote: every format, odd encodings, broken markup and things that are not feeds."""

from __future__ import annotations

import gzip
import random

import pytest

from atai_worker.decode import decode_text
from atai_worker.errors import ParseError
from atai_worker.feedparser_run import FIELD_TEXT_READ, feedparser_result
from atai_worker.fetch import Fetcher
from atai_worker.models import Image, item_key
from atai_worker import parse
from atai_worker.parse import ParsedFeed, parse_feed
from tests.fakes.feed_server import FIXTURES_DIR

FEEDS = FIXTURES_DIR / "feeds"
FEED_ID = 7


def _parse(name: str, *, feed_url: str | None = None, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), feed_id=FEED_ID,
                      feed_url=feed_url or f"https://feeds.larkmouth.example/{name}", content_type=content_type)


def _parse_error(body: bytes, url: str = "https://feeds.larkmouth.example/feed") -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_feed(body, feed_id=FEED_ID, feed_url=url)
    return caught.value


# Golden expectations: format, entry count, and the first entry's title, guid and link.
GOLDEN = [
    ("rss091.xml", "rss091n", 2, "Week 45: spring tides & a very low ebb", None,
     "https://tides.larkmouth.example/2026/week-45"),
    ("rss092.xml", "rss092", 2, "", None, None),
    ("rss10-content.rdf", "rss10", 2, "The repair corner opens",
     "https://library.larkmouth.example/news/repair-corner", "https://library.larkmouth.example/news/repair-corner"),
    ("rss20-cdata.xml", "rss20", 4, "Rye & caraway: the loaf everyone asks about", None,
     "https://bakery.larkmouth.example/2026/11/rye-and-caraway"),
    ("gzipped-feed.xml", "rss20", 4, "Rye & caraway: the loaf everyone asks about", None,
     "https://bakery.larkmouth.example/2026/11/rye-and-caraway"),
    ("atom10-xmlbase.atom", "atom10", 2, "Hesketh Cross & back: sixty kilometres",
     "tag:club.larkmouth.example,2026:ride-41", "https://club.larkmouth.example/rides/2026/hesketh-cross"),
    ("atom03.xml", "atom03", 2, "The 1911 rowing boat returns", "tag:museum.larkmouth.example,2026:diary-7",
     "https://museum.larkmouth.example/diary/rowing-boat"),
    ("atom-named.rss", "atom10", 1, "Pressing day", "urn:uuid:0e7a1f60-2c4b-4d8e-a1c2-5f9b7d3e4a10",
     "https://orchard.larkmouth.example/pressing-day"),
    ("jsonfeed10.json", "json10", 2, "New Year\u2019s dip: soup on the slipway",
     "https://swim.larkmouth.example/2026/new-year-dip", "https://swim.larkmouth.example/2026/new-year-dip"),
    ("jsonfeed11.json", "json11", 3, "Hill farm cheese is back", None,
     "https://market.larkmouth.example/stalls/hill-cheese"),
    ("windows-1251.xml", "rss20", 2, "Паром задерживается из-за тумана", "ru-news-301",
     "https://ru.larkmouth.example/news/parom"),
    ("koi8-r.xml", "rss20", 2, "Паром задерживается из-за тумана", "ru-news-301",
     "https://ru.larkmouth.example/news/parom"),
    ("utf-16.xml", "rss20", 1, "Το φέρι αναχωρεί νωρίτερα", "el-1", "https://el.larkmouth.example/feri"),
    ("undeclared-latin1.xml", "rss20", 1, "Crêpes à la crème fraîche et soupe à l'oignon gratinée",
     "cafe-menu-hiver", "https://cafe.larkmouth.example/menu/hiver"),
    ("malformed.xml", "rss20", 2, "Courgette glut again", "allotments-17",
     "https://allotments.larkmouth.example/news?page=2&id=17"),
    ("utf-16le-undeclared.xml", "rss20", 2, "Mae'r fferi'n gadael yn gynnar yfory", "cy-fferi-1",
     "https://cy.larkmouth.example/fferi"),
    ("empty-items.xml", "rss20", 2, "Spring tides this weekend", None,
     "https://tides.larkmouth.example/2026/spring-tides"),
]


@pytest.mark.parametrize(("name", "fmt", "count", "title", "guid", "link"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_each_fixture_parses_to_its_golden_first_entry(name, fmt, count, title, guid, link):
    feed = _parse(name)

    assert feed.format == fmt
    assert len(feed.entries) == count
    first = feed.entries[0]
    assert (first.title, first.guid, first.link) == (title, guid, link)
    assert first.feed_id == FEED_ID
    assert first.feed_url == f"https://feeds.larkmouth.example/{name}"
    assert len({entry.key for entry in feed.entries}) == count


def test_rss2_entries_are_normalized():
    feed = _parse("rss20-cdata.xml")
    rye, queue, apprentice, untitled = feed.entries

    assert feed.title == "Cable Street Bakery & Friends"
    assert feed.link == "https://bakery.larkmouth.example/"
    assert rye.key == item_key(FEED_ID, None, rye.link, rye.title, rye.content_html)
    assert rye.published == "2026-11-02T10:00:00+00:00"
    assert rye.author == "Maren Holt"
    assert rye.categories == ("Recipes", "Rye")  # "recipes" repeats "Recipes"
    assert rye.summary == "<p>The rye loaf takes two days. Here is why it is worth the wait.</p>"
    assert rye.content_html.startswith("<h2>Two days, one loaf</h2><p>The rye loaf takes <em>two days</em>")
    assert rye.images == (
        Image("https://bakery.larkmouth.example/images/rye-hero.jpg"),
        Image("https://bakery.larkmouth.example/images/rye-thumb.jpg"),
        Image("https://bakery.larkmouth.example/images/rye-loaf.jpg", "A dark rye loaf on a board"),
    )
    assert rye.language == "en-GB"
    assert queue.published == "2026-10-31T06:30:00+00:00"  # +0100 converted to UTC
    assert queue.summary == ("Come after ten: the second batch of <b>cinnamon buns</b> is out by then "
                             "&amp; the queue is shorter.")
    assert queue.content_html == ""
    assert queue.images == (Image("https://bakery.larkmouth.example/images/queue.png"),)
    # A relative link without xml:base is resolved against the site, not the feed's own URL.
    assert apprentice.link == "https://bakery.larkmouth.example/2026/10/apprentice-week"
    assert apprentice.guid == "bakery-apprentice-2026"
    assert untitled.title == ""
    assert untitled.guid is None and untitled.link is None
    assert untitled.key == item_key(FEED_ID, None, None, "", untitled.summary)


def test_a_repeated_item_keeps_its_first_appearance():
    feed = _parse("rss20-cdata.xml")

    rye = [entry for entry in feed.entries if entry.title.startswith("Rye")]
    assert len(rye) == 1
    assert "two days" in rye[0].summary


def test_a_guid_shared_by_entries_with_different_links_tells_them_apart_by_their_links():
    # Some publishers give every entry the same guid (the site's address): each story is still an item.
    body = """<?xml version="1.0"?><rss version="2.0"><channel><title>Shared guid</title>
    <item><title>Ferry timetable</title><link>https://news.larkmouth.example/ferry</link>
      <guid>https://news.larkmouth.example/</guid><description>The winter ferry timetable.</description></item>
    <item><title>Market moves</title><link>https://news.larkmouth.example/market</link>
      <guid>https://news.larkmouth.example/</guid><description>The market moves to the quay.</description></item>
    <item><title>Ferry timetable</title><link>https://news.larkmouth.example/ferry</link>
      <guid>https://news.larkmouth.example/</guid><description>The same entry again.</description></item>
    <item><title>Pier repairs</title><link>https://news.larkmouth.example/pier</link>
      <guid>pier-1</guid><description>The pier is repaired.</description></item>
    <item><title>Pier repairs (updated)</title><link>https://news.larkmouth.example/pier</link>
      <guid>pier-1</guid><description>The same guid and link: one item.</description></item>
    </channel></rss>""".encode()

    feed = parse_feed(body, feed_id=FEED_ID, feed_url="https://news.larkmouth.example/feed")

    assert [entry.title for entry in feed.entries] == ["Ferry timetable", "Market moves", "Pier repairs"]
    ferry, market, pier = feed.entries
    assert ferry.key == item_key(FEED_ID, None, "https://news.larkmouth.example/ferry")
    assert market.key == item_key(FEED_ID, None, "https://news.larkmouth.example/market")
    assert pier.key == item_key(FEED_ID, "pier-1", pier.link)
    assert "The winter ferry" in ferry.summary


def test_atom_xml_base_resolves_links_and_is_kept_for_content():
    feed = _parse("atom10-xmlbase.atom")
    ride, members = feed.entries

    assert feed.title == "Larkmouth Cycling Club"
    assert feed.link == "https://club.larkmouth.example/"
    assert ride.base_url == "https://club.larkmouth.example/rides/2026/"
    assert ride.images == (Image("https://club.larkmouth.example/rides/2026/images/summit.jpg", "Riders at the summit"),)
    assert ride.published == "2026-11-01T07:30:00+00:00"
    assert ride.author == "Club Secretary"  # inherited from the feed
    assert ride.categories == ("rides",)
    assert ride.language == "en-GB"
    assert ride.summary == "Sixty kilometres along the coast, then up the moor."
    # xhtml content arrives as HTML without its wrapping div or namespace
    assert ride.content_html.startswith("<p>We left the memorial at eight")
    assert 'href="map.html"' in ride.content_html  # resolving is the sanitize stage's job
    assert "xmlns" not in ride.content_html
    assert members.author == "Dev Patel"
    assert members.published == "2026-10-25T19:00:00+00:00"  # only <updated> is given
    assert members.content_html == '<p>Bring your bike and we will check the brakes. <a href="/join">Join online</a>.</p>'
    assert members.base_url == "https://club.larkmouth.example/"


def test_rss1_content_encoded_and_dublin_core():
    repair, telescopes = _parse("rss10-content.rdf").entries

    assert repair.content_html.startswith("<p>Volunteers will fix <strong>")
    assert repair.summary == "Volunteers will fix lamps, radios and toasters every Saturday."
    assert repair.published == "2026-10-30T08:15:00+00:00"
    assert repair.author == "Ines Rowe"
    assert repair.categories == ("Workshops",)
    assert repair.images == (Image("https://library.larkmouth.example/images/repair-bench.jpg", "The repair bench"),)
    assert telescopes.published == "2026-10-21T18:00:00+00:00"


def test_rss092_enclosures_give_images_only_when_they_are_images():
    untitled, folk = _parse("rss092.xml").entries

    assert untitled.images == (Image("https://radio.larkmouth.example/images/harbour-master.jpg"),)
    assert untitled.categories == ("Interviews",)
    # No guid and no link: the audio enclosure identifies the item.
    assert untitled.key == item_key(FEED_ID, None, "https://radio.larkmouth.example/audio/harbour-master.mp3")
    assert folk.images == ()


def test_items_that_share_the_site_link_are_told_apart():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Radio</title>
    <link>https://radio.larkmouth.example/</link>
    <item><title>One</title><link>https://radio.larkmouth.example/</link>
      <enclosure url="https://radio.larkmouth.example/1.mp3" type="audio/mpeg" length="1"/></item>
    <item><title>Two</title><link>https://radio.larkmouth.example/</link>
      <enclosure url="https://radio.larkmouth.example/2.mp3" type="audio/mpeg" length="1"/></item>
    <item><title>Three</title><link>https://radio.larkmouth.example/</link><description>No enclosure.</description></item>
    </channel></rss>"""
    feed = parse_feed(body, feed_id=FEED_ID, feed_url="https://radio.larkmouth.example/feed")

    assert [entry.title for entry in feed.entries] == ["One", "Two", "Three"]
    assert all(entry.link == "https://radio.larkmouth.example/" for entry in feed.entries)


def test_an_upper_case_scheme_is_lower_cased_and_a_url_without_a_host_is_no_url():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title>
    <link>http://notes.larkmouth.example/</link>
    <item><title>Loud</title><guid>loud</guid><link>HTTPS://notes.larkmouth.example/Loud</link>
      <enclosure url="HTTPS://cdn.larkmouth.example/loud.jpg" type="image/jpeg" length="1"/></item>
    <item><title>Hostless</title><guid>hostless</guid><link>https://:443/hostless</link>
      <enclosure url="https://user@/hostless.jpg" type="image/jpeg" length="1"/></item>
    </channel></rss>"""
    loud, hostless = parse_feed(body, feed_id=FEED_ID, feed_url="http://notes.larkmouth.example/feed").entries

    assert loud.link == loud.base_url == "https://notes.larkmouth.example/Loud"
    assert loud.images == (Image(url="https://cdn.larkmouth.example/loud.jpg"),)
    assert loud.key == item_key(FEED_ID, "loud", None)
    assert hostless.link is None and hostless.images == ()


def test_atom_03_escaped_content():
    boat, logbook = _parse("atom03.xml").entries

    assert boat.content_html == "<p>After two years of work the boat is back in the main hall.</p>"
    assert boat.published == "2026-10-12T10:00:00+00:00"
    assert boat.author == "The Curator"
    assert logbook.summary == "Forty years of weather, one line a day."


def test_json_feed_1_0():
    feed = _parse("jsonfeed10.json")
    dip, oldest = feed.entries

    assert feed.title == "Larkmouth Swimming Club"
    assert feed.link == "https://swim.larkmouth.example/"
    assert dip.summary == "Forty swimmers, one pot of soup."
    assert dip.categories == ("Events", "Winter")
    assert dip.author == "Club Captain"  # from the feed
    assert dip.images == (
        Image("https://swim.larkmouth.example/photos/dip-large.jpg"),
        Image("https://swim.larkmouth.example/photos/dip.jpg", "Swimmers at the slipway"),
    )
    assert oldest.guid == "1042"
    assert oldest.link == "https://swim.larkmouth.example/2025/oldest-swimmer"
    assert oldest.content_html == "<p>She swims every morning, all year.</p><p>She says the cold keeps colds away.</p>"
    assert oldest.published == "2025-12-14T13:00:00+00:00"
    assert oldest.author == "Ada Quayle"


def test_json_feed_1_1_with_missing_ids():
    cheese, honey, notice = _parse("jsonfeed11.json").entries

    assert cheese.guid is None
    assert cheese.key == item_key(FEED_ID, None, "https://market.larkmouth.example/stalls/hill-cheese")
    assert cheese.author == "Tamsin Fold"
    assert cheese.images == (Image("https://market.larkmouth.example/img/cheese.webp", "A wheel of blue cheese"),)
    assert cheese.published == "2026-10-03T07:00:00+00:00"
    assert cheese.language == "en-GB"
    assert honey.language == "cy"
    assert honey.author == "Market Office"
    assert honey.categories == ("Honey",)
    assert notice.link is None
    assert notice.key == item_key(FEED_ID, None, None, notice.title, notice.content_html)


def test_a_truncated_json_feed_is_reported_as_malformed():
    body = (FEEDS / "jsonfeed10.json").read_bytes()[:400]
    error = _parse_error(body, "https://swim.larkmouth.example/feed.json")

    assert error.code == "malformed_feed"
    assert error.stage == "parse"
    assert error.message.startswith("parse: https://swim.larkmouth.example/feed.json is JSON that cannot be read")


def test_the_http_charset_is_used_when_the_document_declares_none():
    body = (FEEDS / "windows-1251.xml").read_bytes().replace(b' encoding="windows-1251"', b"")
    feed = parse_feed(body, feed_id=FEED_ID, feed_url="https://ru.larkmouth.example/rss",
                      content_type="text/xml; charset=windows-1251")

    assert feed.title == "Новости Ларкмута"


def test_the_documents_declaration_beats_a_server_default_charset():
    feed = _parse("windows-1251.xml", content_type="text/xml; charset=ISO-8859-1")

    assert feed.entries[1].title == "Пекарня на Кабельной улице открыла новую печь"


def test_utf8_wins_over_a_wrong_declaration():
    body = (FEEDS / "windows-1251.xml").read_bytes().decode("cp1251").encode("utf-8")
    feed = parse_feed(body, feed_id=FEED_ID, feed_url="https://ru.larkmouth.example/rss")

    assert feed.entries[0].summary == "Утренний паром отправится, когда туман над гаванью рассеется."


def test_utf16_without_a_byte_order_mark():
    text = (FEEDS / "utf-16.xml").read_bytes().decode("utf-16")
    feed = parse_feed(text.encode("utf-16-be"), feed_id=FEED_ID, feed_url="https://el.larkmouth.example/rss")

    assert feed.title == "Ειδήσεις από το λιμάνι"


def test_utf16_with_neither_a_byte_order_mark_nor_a_declaration_is_read_in_either_byte_order():
    little = (FEEDS / "utf-16le-undeclared.xml").read_bytes()
    big = little.decode("utf-16-le").encode("utf-16-be")

    for body in (little, big):
        feed = parse_feed(body, feed_id=FEED_ID, feed_url="https://cy.larkmouth.example/rss")
        assert feed.title == "Newyddion y Porthladd"
        assert feed.entries[0].summary.endswith("— ŵyl, ŷd, café.")
        assert [e.title for e in feed.entries] == ["Mae'r fferi'n gadael yn gynnar yfory",
                                                   "Pobty Stryd y Cebl yn agor ffwrn newydd"]


def test_utf8_text_with_nul_bytes_is_still_not_taken_for_utf16():
    error = _parse_error(b"<\x00\x00\x00r\x00\x00\x00" * 4)

    assert error.code == "not_a_feed"


def test_an_item_with_no_title_link_or_text_is_not_an_entry():
    feed = _parse("empty-items.xml")

    assert [(e.title, e.link) for e in feed.entries] == [
        ("Spring tides this weekend", "https://tides.larkmouth.example/2026/spring-tides"),
        ("", None),
    ]
    assert feed.entries[1].summary.startswith("A note without a title")


def test_a_json_feed_item_with_nothing_in_it_is_not_an_entry():
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "Notes", "items": ['
            b'{"id": "1", "content_text": "The quay is busy today."}, {"id": "2"}, {"id": "3", "title": " "}]}')
    feed = parse_feed(body, feed_id=FEED_ID, feed_url="https://notes.larkmouth.example/feed.json")

    assert [e.guid for e in feed.entries] == ["1"]


def test_a_gzip_file_gives_the_same_entries_as_the_plain_one():
    assert _parse("gzipped-feed.xml").entries == _parse("rss20-cdata.xml", feed_url=(
        "https://feeds.larkmouth.example/gzipped-feed.xml")).entries


def test_damaged_gzip_is_not_a_feed():
    body = (FEEDS / "gzipped-feed.xml").read_bytes()
    error = _parse_error(body[:10] + b"\x00" * 40 + body[50:])

    assert error.code == "not_a_feed"
    assert "damaged gzip data" in error.message


def test_the_feed_id_is_part_of_every_key():
    body = (FEEDS / "atom03.xml").read_bytes()
    one = parse_feed(body, feed_id=1, feed_url="https://museum.larkmouth.example/feed")
    two = parse_feed(body, feed_id=2, feed_url="https://museum.larkmouth.example/feed")

    assert {e.key for e in one.entries}.isdisjoint({e.key for e in two.entries})


@pytest.mark.parametrize(("body", "looks_like"), [
    ((FIXTURES_DIR / "pages" / "not-a-feed.html").read_bytes(), "it looks like an HTML page"),
    (b"", "it is empty"),
    (b"  \n\t ", "it is empty"),
    (b'{"hello": "world"}', "it is JSON, but not a JSON Feed"),
    (b'<?xml version="1.0"?><catalog><book id="1"/></catalog>', "it is an XML document whose root element is <catalog>"),
    (b"Just a line of text, nothing more.", "it looks like plain text"),
    (random.Random(3).randbytes(2048), "it looks like binary data"),
])
def test_documents_that_are_not_feeds_say_what_they_look_like(body, looks_like):
    error = _parse_error(body, "https://larkmouth.example/")

    assert error.code == "not_a_feed"
    assert error.retryable is False
    assert error.message == f"parse: https://larkmouth.example/ is not an RSS, Atom or JSON feed ({looks_like})"


def test_parsing_never_fetches_anything(feed_server):
    url = feed_server.url("/files/feeds/rss20-cdata.xml")
    error = _parse_error(url.encode(), url)
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY remote SYSTEM "{feed_server.url('/files/feeds/rss091.xml')}">]>
<rss version="2.0"><channel><title>Entity &remote;</title>
<item><title>Only item</title><guid>x-1</guid></item></channel></rss>""".encode()
    refused = _parse_error(hostile, "https://larkmouth.example/feed")

    assert error.code == "not_a_feed"
    assert (refused.code, refused.message) == (
        "xml_entities", "parse: the feed declares XML entities, which are not accepted")
    assert feed_server.requests == []


def test_a_hostile_title_comes_out_as_plain_text(feed_server):
    url = feed_server.url("/gen/hostile.xml?items=3&hostile=1")
    with Fetcher(allowed_hosts=["127.0.0.1"]) as fetcher:
        body = fetcher.fetch_feed(url).body
    hostile = parse_feed(body, feed_id=FEED_ID, feed_url=url).entries[0]

    assert hostile.title == "Hostile item with markup"


def test_a_large_generated_feed_parses_whole(feed_server):
    url = feed_server.url("/gen/large.xml?items=50&size=125000&image=1")
    with Fetcher(allowed_hosts=["127.0.0.1"]) as fetcher:
        result = fetcher.fetch_feed(url)
    feed = parse_feed(result.body, feed_id=FEED_ID, feed_url=result.url, content_type=result.content_type)

    assert len(result.body) > 6_000_000
    assert len(feed.entries) == 50
    assert len({entry.key for entry in feed.entries}) == 50
    assert all(len(entry.content_html) >= 125_000 for entry in feed.entries)
    assert feed.entries[4].images == (Image(feed_server.url("/gen/img/5.png"), "View number 5 of the harbour"),)
    assert feed.entries[0].guid == "large-1"
    assert feed.entries[0].link == feed_server.url("/gen/articles/large-1.html?size=125000&image=1")
    assert feed.entries[0].published == "2026-11-02T09:00:00+00:00"


def test_relative_urls_of_a_link_post_resolve_against_the_site():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Links</title>
    <link>https://notes.larkmouth.example/</link>
    <item><title>Worth reading</title><link>https://elsewhere.example/essay</link><guid>l-1</guid>
      <description>&lt;p&gt;&lt;img src="/assets/icon.png" alt="icon"&gt; A good essay.&lt;/p&gt;</description></item>
    <item><title>Our own post</title><link>https://notes.larkmouth.example/2026/post/</link><guid>l-2</guid>
      <description>&lt;p&gt;&lt;img src="figure.png" alt=""&gt; Beside the post.&lt;/p&gt;</description></item>
    </channel></rss>"""
    link_post, own_post = parse_feed(body, feed_id=FEED_ID, feed_url="https://feeds.larkmouth.example/notes").entries

    assert link_post.base_url == "https://notes.larkmouth.example/"
    assert link_post.images == (Image("https://notes.larkmouth.example/assets/icon.png", "icon"),)
    assert own_post.base_url == "https://notes.larkmouth.example/2026/post/"
    assert own_post.images == (Image("https://notes.larkmouth.example/2026/post/figure.png"),)


def _entries_as_dicts(parsed):
    return [entry.to_dict() for entry in parsed.entries]


def _with_and_without_set_aside(text):
    fast = feedparser_result(text, 0)
    plain = feedparser_result(text, float("inf"))
    return fast, plain


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES_DIR / "feeds").iterdir()))
def test_setting_large_cdata_aside_gives_what_feedparser_gives(name):
    body = (FIXTURES_DIR / "feeds" / name).read_bytes()
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    text = decode_text(body, None)
    fast, plain = _with_and_without_set_aside(text)
    assert fast.entries == plain.entries
    assert fast.feed == plain.feed


def test_set_aside_bodies_get_feedparsers_repairs():
    # Non-ASCII prose, stray C1 characters (windows-1252's curly quotes, and 0x9d, which it leaves
    # undefined), Windows line ends, and UTF-8 read as Latin-1.
    body = "<p>Caf\u00e9 \u201cquoted\u201d \x93odd\x94 \x9d\r\n" + "\u00c3\u00a9t\u00c3\u00a9 " + "words " * 600 + "</p>"
    mojibake = "<p>d\u00c3\u00a9j\u00c3\u00a0 vu " + "encore " * 600 + "</p>"
    text = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
        f"<item><guid>a</guid><title>A</title><description><![CDATA[ {body} ]]></description>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        f"<item><guid>b</guid><title>B</title><content:encoded>\n<![CDATA[{mojibake}]]>\n</content:encoded></item>"
        "</channel></rss>"
    )
    fast, plain = _with_and_without_set_aside(text)
    assert fast.entries == plain.entries
    assert "\u201codd\u201d \x9d\n" in fast.entries[0].content[0].value
    assert "d\u00e9j\u00e0 vu" in fast.entries[1].content[0].value


def test_a_feed_the_strict_parser_rejects_is_parsed_without_setting_aside():
    text = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T &nbsp; broken</title>'
        f"<item><guid>a</guid><description><![CDATA[<p>{'long text ' * 400}</p>]]></description></item>"
        "</channel></rss>"
    )
    fast, plain = _with_and_without_set_aside(text)
    assert fast.get("bozo")
    assert fast.entries == plain.entries
    assert "long text" in fast.entries[0].summary


# --- Hostile input: bounded patterns and lengths, forbidden characters ------------------------------------


@pytest.mark.parametrize("html, expected", [
    ('<p><img alt="a > b" src="/one.png"></p>', Image("/one.png", "a > b")),
    ("<IMG SRC='/two.png' ALT='Two'>", Image("/two.png", "Two")),
    ("<img src=/three.png alt=x>", Image("/three.png", "x")),
    ('<img alt="no source"><img src="/second.png">', Image("/second.png", "")),
    ('<img src="data:image/png;base64,AAAA"><img src="/later.png">', None),  # the first image decides
    ('<img src="' * 100_000, None),
    ("<img " * 100_000 + '<img src="/after.png">', None),  # only the first tags are read
    ('<img title="' + "x" * 20_000 + '" src="/long.png">', None),  # nor tags longer than a sane tag
])
def test_the_first_image_is_read_tag_by_tag_within_bounds(html, expected):
    assert parse._first_image_in(html) == expected


def _one_item_feed(item: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            f"<item><guid>g-1</guid>{item}</item></channel></rss>").encode()


def test_titles_authors_and_categories_are_capped_at_sane_lengths():
    item = (f"<title>{'Tide ' * 1000}</title><author>{'Maren ' * 100}</author>"
            + f"<category>{'harbour ' * 50}</category>" + "".join(f"<category>Topic {n}</category>" for n in range(500)))
    (entry,) = parse_feed(_one_item_feed(item), feed_id=FEED_ID, feed_url="https://larkmouth.example/feed").entries

    assert len(entry.title) == parse.TITLE_MAX_CHARS and entry.title.endswith("…")
    assert len(entry.author) <= parse.AUTHOR_MAX_CHARS and entry.author.endswith("…")
    assert len(entry.categories) == parse.MAX_CATEGORIES
    assert len(entry.categories[0]) <= parse.CATEGORY_MAX_CHARS and entry.categories[1] == "Topic 0"


def test_markup_without_an_end_in_a_title_or_author_is_read_as_text():
    item = f"<title>{'&lt;a' * 5000}</title><author>{'&lt;b' * 5000} Maren</author>"
    (entry,) = parse_feed(_one_item_feed(item), feed_id=FEED_ID, feed_url="https://larkmouth.example/feed").entries

    assert len(entry.title) <= parse.TITLE_MAX_CHARS and len(entry.author) <= parse.AUTHOR_MAX_CHARS


@pytest.mark.parametrize("body", [
    _one_item_feed("<title>A\x1b[1m title\ufffe</title><description>Text\x00 here</description>"),
    _one_item_feed("<title>A&#27;[1m title&#xFFFE;</title><description>Text&#0; here</description>"),
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "g-1",'
    b' "title": "A\\u001b[1m title\\ufffe", "content_text": "Text\\u0000 here"}]}',
])
def test_characters_xml_forbids_never_leave_the_parse(body):
    (entry,) = parse_feed(body, feed_id=FEED_ID, feed_url="https://larkmouth.example/feed").entries

    assert entry.title in ("A[1m title", "A\u001b[1m title".replace("\u001b", ""))
    assert "Text here" in entry.content_html + entry.summary
    assert not any(ch in repr(entry.to_dict()) for ch in ("\\x00", "\\x1b", "\\ufffe"))


@pytest.mark.parametrize("body", [
    _one_item_feed("<title>Lone &#xD800; surrogate</title>"),
    _one_item_feed("<title>Past the last character &#1114112; &#xFFFFFFFFF;</title>"),
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "\\ud800", "title": "Lone \\udc00"}]}',
])
def test_a_reference_to_no_character_becomes_a_replacement_character_before_keys_are_made(body):
    (entry,) = parse_feed(body, feed_id=FEED_ID, feed_url="https://larkmouth.example/feed").entries

    assert "\ufffd" in entry.title and len(entry.key) == 64


def test_many_categories_cost_linear_time_in_feedparser():
    categories = "".join(f"<category>Topic {n}</category>" for n in range(20_000))
    (entry,) = parse_feed(_one_item_feed(f"<title>Many</title>{categories}"), feed_id=FEED_ID,
                          feed_url="https://larkmouth.example/feed").entries

    assert entry.categories == tuple(f"Topic {n}" for n in range(parse.MAX_CATEGORIES))


def test_a_huge_field_is_cut_before_feedparser_reads_it_never_inside_an_entity():
    title = "x" * (FIELD_TEXT_READ - 2) + "&amp;" * 100_000
    item = f"<title>{title}</title><description>{'&lt;p&gt;Kept whole. ' * 20_000}</description>"
    (entry,) = parse_feed(_one_item_feed(item), feed_id=FEED_ID, feed_url="https://larkmouth.example/feed").entries

    assert entry.title == "x" * (parse.TITLE_MAX_CHARS - 1) + "…"
    assert entry.summary.count("<p>Kept whole.") == 20_000  # the elements that carry the article are not cut
