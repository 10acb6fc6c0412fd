"""The per-entry step's pure parts."""

from atai_worker.models import Entry, Image
from atai_worker.pipeline import base_draft, excerpt_of, first_image


def test_the_excerpt_is_the_start_of_the_text():
    assert excerpt_of("<p>" + "word " * 80 + "</p>") == " ".join(["word"] * 55) + " …"
    assert excerpt_of("<h2>Short</h2><p>text</p>") == "Short text"


def test_a_link_or_image_with_an_upper_case_scheme_goes_out_in_lower_case():
    entry = Entry(feed_id=1, feed_url="https://larkmouth.example/feed", key="k", guid="g",
                  link="HTTPS://larkmouth.example/Post", title="A post",
                  images=(Image(url="ftp://larkmouth.example/a.png"), Image(url="HTTP://cdn.larkmouth.example/b.png",
                                                                          alt="Gulls")))
    assert base_draft(entry, None, []).source_url == "https://larkmouth.example/Post"
    assert first_image(entry, "") == Image(url="http://cdn.larkmouth.example/b.png", alt="Gulls")
    html = '<p><img src="data:image/png;base64,AA=="><img src="HTTPS://cdn.larkmouth.example/c.png"></p>'
    assert first_image(entry.replace(images=()), html) == Image(url="https://cdn.larkmouth.example/c.png")


def test_a_link_that_is_not_a_web_url_is_no_source_url():
    for link in (None, "mailto:editor@larkmouth.example", "http://", "/relative"):
        entry = Entry(feed_id=1, feed_url="https://larkmouth.example/feed", key="k", guid="g", link=link, title="t")
        assert base_draft(entry, None, []).source_url is None
