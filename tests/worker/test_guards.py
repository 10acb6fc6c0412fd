"""Guards: the checks a Draft passes before it is stored."""

from datetime import datetime, timezone

import pytest

from atai_worker.errors import GuardError
from atai_worker.guards import check_draft, clamped_published, images, links, remove_links
from atai_worker.models import Draft, Finding

SOURCE = ('<h2>Harbour news</h2><p>The ferry to the island now runs every hour from the old pier, the '
          'council said on Monday. Tickets cost the same as last year.</p>'
          '<p>See the <a href="https://council.example/ferry">timetable</a>.</p>'
          '<img src="https://council.example/ferry.jpg" alt="The ferry">')
# The same facts in other words, as a model's faithful rewrite says them.
REWRITE = ('<h2>News from the harbour</h2><p>An hourly ferry service to the island now leaves from the old pier, '
           'the council announced on Monday. Fares are unchanged from last year.</p>'
           '<p>The <a href="https://council.example/ferry">timetable</a> has the details.</p>'
           '<img src="https://council.example/ferry.jpg" alt="The ferry">')


def draft(**changes) -> Draft:
    values = dict(key="a" * 64, guid="g1", source_url="https://news.example/ferry", source_title="Ferry",
                  title="Ferry runs hourly", content=REWRITE, excerpt="", rewritten=True, model="m")
    values.update(changes)
    return Draft(**values)


def codes(d: Draft) -> list[str]:
    return [f.code for f in d.findings]


def test_a_faithful_rewrite_passes_unchanged():
    checked = check_draft(draft(), SOURCE)
    assert checked.content == REWRITE
    assert checked.findings == ()
    assert not checked.hold


def test_a_long_title_is_trimmed_with_a_finding():
    checked = check_draft(draft(title="ferry " * 100), SOURCE)
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


def test_a_rewrite_far_shorter_than_the_source_is_a_note_not_a_hold():
    checked = check_draft(draft(content="<p>The ferry now runs every hour.</p>"), SOURCE)
    assert not checked.hold
    [short] = [f for f in checked.findings if f.code == "content_short"]
    assert not short.hold
    assert short.message.startswith("guards: the rewritten text is much shorter than the original (")


def test_a_near_copy_of_the_source_is_held_with_the_reason():
    checked = check_draft(draft(content=SOURCE), SOURCE)
    assert checked.hold
    assert [f.code for f in checked.findings if f.hold] == ["copied_from_source"]


def test_a_changed_day_is_held_and_named():
    checked = check_draft(draft(content=REWRITE.replace("Monday", "Tuesday")), SOURCE)
    assert checked.hold
    [finding] = checked.findings
    assert finding.message == "checks: the draft says Tuesday; the source says Monday"
    assert (finding.draft_text, finding.source_text) == ("Tuesday", "Monday")


def test_an_answer_cut_inside_its_markup_is_held():
    raw = REWRITE.split("</p>")[0]
    checked = check_draft(draft(content=raw + "</p>"), SOURCE, raw_content=raw)
    assert checked.hold and "draft_incomplete" in codes(checked)


def test_the_cleaned_original_is_not_checked_against_itself():
    checked = check_draft(draft(content="<p>Ferry hourly.</p>", rewritten=False), SOURCE)
    assert checked.content == "<p>Ferry hourly.</p>"
    assert checked.findings == () and not checked.hold


def test_links_the_model_added_are_removed_their_text_kept_and_the_draft_held():
    added = REWRITE + '<p>Book at <a href="https://spam.example/deal">our partner</a> or read ' \
                      '<a href="https://news.example/ferry">the source</a>.</p>'
    checked = check_draft(draft(content=added), SOURCE)
    assert "https://spam.example/deal" not in checked.content
    assert "Book at our partner or read" in checked.content
    assert links(checked.content) == ["https://council.example/ferry", "https://news.example/ferry"]
    assert "links_removed" in codes(checked)
    assert checked.hold
    assert "checks: the draft links to https://spam.example/deal, which the source does not" in \
        [f.message for f in checked.findings if f.hold]


def test_images_the_model_dropped_are_noted():
    without_image = REWRITE.replace('<img src="https://council.example/ferry.jpg" alt="The ferry">', "")
    checked = check_draft(draft(content=without_image), SOURCE)
    assert codes(checked) == ["images_dropped"]
    assert "https://council.example/ferry.jpg" in checked.findings[0].message
    assert not checked.hold


def test_remove_links_keeps_text_before_the_first_tag_escaped():
    html, removed = remove_links('1 &lt; 2 <a href="https://x.example/">x</a> and <b>bold</b>', set())
    assert removed == 1
    assert html == "1 &lt; 2 x and <b>bold</b>"


def test_images_and_links_are_listed_in_order():
    assert images(SOURCE) == ["https://council.example/ferry.jpg"]
    assert links("<p>no links</p>") == []


def test_a_held_draft_says_so_in_its_contract_form():
    data = check_draft(draft(content=SOURCE), SOURCE).to_dict()
    assert data["hold"] is True
    assert data["findings"][0]["hold"] is True and data["findings"][0]["code"] == "copied_from_source"


def test_a_publish_date_out_of_range_is_clamped_with_a_finding():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert clamped_published("1900-01-01T00:00:00+00:00", now) == ("1991-01-01T00:00:00+00:00", Finding(
        "published_clamped", "guards: the publish date 1900-01-01 is before 1991, when no web page existed; "
                             "1991-01-01 is used instead"))
    assert clamped_published("2999-01-01T00:00:00+00:00", now) == ("2026-12-01T12:00:00+00:00", Finding(
        "published_clamped", "guards: the publish date 2999-01-01 is in the future; the time of the import is "
                             "used instead"))
    assert clamped_published("2026-11-30T08:00:00+00:00", now) == ("2026-11-30T08:00:00+00:00", None)
    assert clamped_published(None, now) == (None, None)
