"""The per-entry step's pure parts."""

from atai_worker.images import content_images, page_image
from atai_worker.models import Entry
from atai_worker.pipeline import base_draft, excerpt_of, meta_description, slug_of


def test_the_excerpt_is_the_start_of_the_text():
    assert excerpt_of("<p>" + "word " * 80 + "</p>") == " ".join(["word"] * 55) + " …"
    assert excerpt_of("<h2>Short</h2><p>text</p>") == "Short text"


def test_a_link_with_an_upper_case_scheme_goes_out_in_lower_case():
    entry = Entry(feed_id=1, feed_url="https://larkmouth.example/feed", key="k", guid="g",
                  link="HTTPS://larkmouth.example/Post", title="A post")
    assert base_draft(entry, []).source_url == "https://larkmouth.example/Post"


def test_images_of_the_content_are_those_with_a_web_address():
    html = ('<p><img src="data:image/png;base64,AA=="><img src="HTTPS://cdn.larkmouth.example/c.png" alt="Gulls &amp; terns">'
            '<img alt="no source"></p>')
    assert content_images(html) == [{"src": "HTTPS://cdn.larkmouth.example/c.png", "alt": "Gulls & terns"}]


def test_a_page_declares_its_sharing_image_by_open_graph_then_twitter():
    page = ('<head><meta name="twitter:image" content="/t.jpg">'
            '<meta content="/og.jpg" property="og:image"></head>')
    assert page_image(page, "https://larkmouth.example/post/1") == "https://larkmouth.example/og.jpg"
    assert page_image(page.replace("og:image", "og:title"), "https://larkmouth.example/") == \
        "https://larkmouth.example/t.jpg"
    assert page_image("<p>none</p>", "https://larkmouth.example/") is None


def test_slug_and_meta_description_come_from_title_and_excerpt():
    assert slug_of("Crème brûlée: the 10-minute version!") == "creme-brulee-the-10-minute-version"
    assert slug_of("Новости") == ""
    assert meta_description("Short excerpt.") == "Short excerpt."
    long = meta_description("word " * 60 + "…")
    assert len(long) <= 160 and long.endswith("word…")


def test_a_link_that_is_not_a_web_url_is_no_source_url():
    for link in (None, "mailto:editor@larkmouth.example", "http://", "/relative"):
        entry = Entry(feed_id=1, feed_url="https://larkmouth.example/feed", key="k", guid="g", link=link, title="t")
        assert base_draft(entry, []).source_url is None
