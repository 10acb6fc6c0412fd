"""Guards: the checks a Draft passes before it is stored."""

import pytest

from atai_worker.errors import GuardError
from atai_worker.guards import check_draft, images, links, remove_links
from atai_worker.models import Draft

SOURCE = ('<h2>Harbour news</h2><p>The ferry to the island now runs every hour from the old pier, the '
          'council said on Monday. Tickets cost the same as last year.</p>'
          '<p>See the <a href="https://council.example/ferry">timetable</a>.</p>'
          '<img src="https://council.example/ferry.jpg" alt="The ferry">')


def draft(**changes) -> Draft:
    values = dict(key="a" * 64, guid="g1", source_url="https://news.example/ferry", source_title="Ferry",
                  title="Ferry runs hourly", content=SOURCE, excerpt="", rewritten=True, model="m")
    values.update(changes)
    return Draft(**values)


def codes(d: Draft) -> list[str]:
    return [f.code for f in d.findings]


def test_a_faithful_rewrite_passes_unchanged():
    checked = check_draft(draft(), SOURCE)
    assert checked.content == SOURCE
    assert checked.findings == ()


def test_a_long_title_is_trimmed_with_a_finding():
    checked = check_draft(draft(title="word " * 100), SOURCE)
    assert len(checked.title) == 300 and checked.title.endswith("…")
    assert codes(checked) == ["title_trimmed"]


def test_markup_in_the_title_is_dropped():
    assert check_draft(draft(title="<b>Ferry</b>   <script>x()</script>runs"), SOURCE).title == "Ferry runs"


def test_an_empty_title_is_refused():
    with pytest.raises(GuardError) as caught:
        check_draft(draft(title="  <br> "), SOURCE)
    assert caught.value.code == "title_empty"
    assert caught.value.message == "guards: the draft has no title"


def test_content_without_text_is_refused():
    with pytest.raises(GuardError) as caught:
        check_draft(draft(content="<p> </p><img src='https://council.example/ferry.jpg'>"), SOURCE)
    assert caught.value.code == "content_empty"


def test_a_rewrite_far_shorter_than_the_source_is_refused_and_retryable():
    with pytest.raises(GuardError) as caught:
        check_draft(draft(content="<p>Ferry hourly.</p>"), SOURCE)
    assert caught.value.code == "content_too_short"
    assert caught.value.retryable
    assert caught.value.message.startswith("guards: the rewritten text is much shorter than the original (")


def test_the_cleaned_original_is_not_held_to_the_rewrite_length():
    checked = check_draft(draft(content="<p>Ferry hourly.</p>", rewritten=False), SOURCE)
    assert checked.content == "<p>Ferry hourly.</p>"


def test_links_the_model_added_are_removed_and_their_text_kept():
    added = SOURCE + '<p>Book at <a href="https://spam.example/deal">our partner</a> or read ' \
                     '<a href="https://news.example/ferry">the source</a>.</p>'
    checked = check_draft(draft(content=added), SOURCE)
    assert "https://spam.example/deal" not in checked.content
    assert "Book at our partner or read" in checked.content
    assert links(checked.content) == ["https://council.example/ferry", "https://news.example/ferry"]
    assert codes(checked) == ["links_removed"]


def test_images_the_model_dropped_are_noted():
    without_image = SOURCE.replace('<img src="https://council.example/ferry.jpg" alt="The ferry">', "")
    checked = check_draft(draft(content=without_image), SOURCE)
    assert codes(checked) == ["images_dropped"]
    assert "https://council.example/ferry.jpg" in checked.findings[0].message


def test_remove_links_keeps_text_before_the_first_tag_escaped():
    html, removed = remove_links('1 &lt; 2 <a href="https://x.example/">x</a> and <b>bold</b>', set())
    assert removed == 1
    assert html == "1 &lt; 2 x and <b>bold</b>"


def test_images_and_links_are_listed_in_order():
    assert images(SOURCE) == ["https://council.example/ferry.jpg"]
    assert links("<p>no links</p>") == []
